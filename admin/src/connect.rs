//! Connecting `opp-admin` to a table: the standard AWS configuration chain for the real table, or a local
//! endpoint (`--endpoint-url`, e.g. `cargo dev`'s store), and one early call that turns the usual setup
//! mistakes (unreachable, no credentials, no region, wrong table) into messages that say what to do.

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use opp_store::aws::{ClientSettings, LOCAL_REGION, Patience, dynamodb_client};

use opp_operations::{Failure, OperationError, say};
use opp_store::Store;

/// Where the table is.
#[derive(Debug, Clone)]
pub struct Target {
    pub table: String,
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
}

/// Builds a client for `target` and checks that the table answers. Region and credentials are found the
/// way the AWS CLI finds them (flags, environment, profiles, SSO); the client is the workspace's one.
/// The region and credentials for `target`, found the way the AWS CLI finds them.
async fn identity(
    target: &Target,
) -> Result<(String, aws_sdk_dynamodb::config::SharedCredentialsProvider), OperationError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(opp_store::aws::http_client());
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let local = target.endpoint_url.is_some();
    if local {
        if target.region.is_none() && std::env::var_os("AWS_REGION").is_none() {
            loader = loader.region(Region::new(LOCAL_REGION));
        }
        // A local store accepts any key; do not make people configure one.
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
            && std::env::var_os("AWS_PROFILE").is_none()
        {
            loader = loader.credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "opp-admin",
            ));
        }
    }
    let config = loader.load().await;
    let Some(region) = config.region() else {
        return Err(OperationError::new(Failure::Unreachable, say!(NO_REGION)));
    };
    let Some(credentials) = config.credentials_provider() else {
        return Err(OperationError::new(
            Failure::Unreachable,
            say!(NO_CREDENTIALS),
        ));
    };
    Ok((region.to_string(), credentials))
}

pub async fn connect(target: &Target) -> Result<Store, OperationError> {
    let (region, credentials) = identity(target).await?;
    let client = dynamodb_client(ClientSettings {
        patience: Patience::Organiser,
        region: Some(region),
        endpoint_url: target.endpoint_url.clone(),
        credentials: Some(credentials),
    })
    .map_err(|err| OperationError::new(Failure::Unreachable, err.0))?;
    let store = Store::new(client, &target.table);
    store
        .describe_table()
        .await
        .map_err(|err| classify(target, &err))?;
    Ok(store)
}

fn classify(target: &Target, err: &SdkError<DescribeTableError>) -> OperationError {
    let place = match &target.endpoint_url {
        Some(endpoint) => endpoint.clone(),
        None => "AWS".to_string(),
    };
    if let Some(service) = err.as_service_error() {
        if service.is_resource_not_found_exception() {
            return OperationError::new(
                Failure::TableMissing,
                format!(
                    "{}{}",
                    say!(TABLE_MISSING, table = target.table, place = place),
                    if target.endpoint_url.is_some() {
                        say!(TABLE_MISSING_LOCAL)
                    } else {
                        String::new()
                    }
                ),
            );
        }
        let code = service.meta().code().unwrap_or("an error");
        let message = service.meta().message().unwrap_or("");
        return OperationError::new(
            Failure::Unreachable,
            say!(
                REFUSED_REQUEST,
                place = place,
                code = code,
                message = message,
                table = target.table
            ),
        );
    }
    let detail = format!("{err:?}");
    if detail.contains("credentials") || detail.contains("Credentials") {
        return OperationError::new(Failure::Unreachable, say!(NO_CREDENTIALS));
    }
    match &target.endpoint_url {
        Some(endpoint) => OperationError::new(
            Failure::Unreachable,
            say!(LOCAL_UNREACHABLE, endpoint = endpoint),
        ),
        None => OperationError::new(Failure::Unreachable, say!(AWS_UNREACHABLE)),
    }
}

/// The Secrets Manager client for `target`'s account and region (never the local store's endpoint).
pub async fn secrets(target: &Target) -> Result<aws_sdk_secretsmanager::Client, OperationError> {
    let (region, credentials) = identity(&Target {
        endpoint_url: None,
        ..target.clone()
    })
    .await?;
    opp_store::aws::secrets_client(ClientSettings {
        patience: Patience::Organiser,
        region: Some(region),
        endpoint_url: None,
        credentials: Some(credentials),
    })
    .map_err(|err| OperationError::new(Failure::Unreachable, err.0))
}
