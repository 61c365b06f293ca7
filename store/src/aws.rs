//! The one constructor of DynamoDB clients: the function, `opp-admin`, `cargo dev`, the tests and the
//! benchmarks all get their client here, so timeouts, retries, TLS and region rules are the same everywhere
//! and a test sees the timeouts production has.

use std::time::Duration;

use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Credentials, Region, SharedCredentialsProvider, SharedHttpClient};
use aws_smithy_http_client::tls;

/// The region named for a local endpoint when none is configured (a local store accepts any).
pub const LOCAL_REGION: &str = "eu-central-1";

/// How long a client waits. The function answers a person who is waiting for a page; organisers' jobs
/// read whole meetings and may wait longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patience {
    /// The function (and everything that stands in for it: `cargo dev`, tests, benchmarks): connect 2 s,
    /// one attempt 3 s, the whole operation with the SDK's retries 8 s.
    Request,
    /// `opp-admin`: connect 3 s, one attempt 10 s, the whole operation 30 s.
    Organiser,
    /// A secret read on a visitor's request (the origin secret, the link key ring): connect 1 s, one
    /// attempt 1 s, the whole operation 2 s. A slow Secrets Manager must cost a request little: the
    /// cached values serve meanwhile, and the store's budget counts this time too.
    Secret,
}

impl Patience {
    fn timeouts(self) -> TimeoutConfig {
        let (connect, attempt, operation) = match self {
            Patience::Request => (2, 3, 8),
            Patience::Organiser => (3, 10, 30),
            Patience::Secret => (1, 1, 2),
        };
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(connect))
            .operation_attempt_timeout(Duration::from_secs(attempt))
            .operation_timeout(Duration::from_secs(operation))
            .build()
    }
}

/// Where the client goes and who it is.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub patience: Patience,
    /// None: the region must come from `credentials`' source or the environment (see [`dynamodb_client`]).
    pub region: Option<String>,
    /// A local DynamoDB-compatible store (`http://127.0.0.1:8000`) instead of AWS.
    pub endpoint_url: Option<String>,
    /// None: the environment's `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` (what
    /// Lambda sets), or dummy keys for a local endpoint.
    pub credentials: Option<SharedCredentialsProvider>,
}

impl ClientSettings {
    /// The function's settings: region and credentials from the environment.
    pub fn from_environment(endpoint_url: Option<String>) -> Self {
        ClientSettings {
            patience: Patience::Request,
            region: env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")),
            endpoint_url,
            credentials: None,
        }
    }

    /// A local store (tests, `cargo dev`, benchmarks): any region, dummy keys, the function's timeouts.
    pub fn local(endpoint_url: &str) -> Self {
        ClientSettings {
            patience: Patience::Request,
            region: Some(LOCAL_REGION.into()),
            endpoint_url: Some(endpoint_url.into()),
            credentials: None,
        }
    }
}

/// What is missing to make a client; the message says what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError(pub String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClientError {}

/// A client of one AWS SDK crate from [`SdkParts`]: our TLS client, timeouts, standard retries (3 attempts
/// within the operation timeout), region, credentials and endpoint. Every SDK crate has its own `Config`
/// type, hence a macro: `sdk_client!(aws_sdk_sesv2, SdkParts::of(settings)?)`.
#[macro_export]
macro_rules! sdk_client {
    ($sdk:ident, $parts:expr) => {{
        let parts: $crate::aws::SdkParts = $parts;
        let mut config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .http_client($crate::aws::http_client())
            .timeout_config(parts.timeouts)
            .retry_config($sdk::config::retry::RetryConfig::standard())
            .region(parts.region)
            .credentials_provider(parts.credentials);
        if let Some(endpoint) = parts.endpoint_url {
            config = config.endpoint_url(endpoint);
        }
        $sdk::Client::from_conf(config.build())
    }};
}

/// The DynamoDB client for `settings`. The SDK retries throttling and transient errors itself; the store
/// adds its own retries only for transaction conflicts.
pub fn dynamodb_client(settings: ClientSettings) -> Result<aws_sdk_dynamodb::Client, ClientError> {
    Ok(sdk_client!(aws_sdk_dynamodb, SdkParts::of(settings)?))
}

/// The Secrets Manager client for the origin secret: the same region, credentials, TLS and timeouts.
/// The Secrets Manager client. What a request's patience allows a table operation is too much for a
/// secret read inside the same request: it gets [`Patience::Secret`]; organisers keep theirs.
pub fn secrets_client(
    settings: ClientSettings,
) -> Result<aws_sdk_secretsmanager::Client, ClientError> {
    let settings = ClientSettings {
        patience: match settings.patience {
            Patience::Request => Patience::Secret,
            other => other,
        },
        ..settings
    };
    Ok(sdk_client!(aws_sdk_secretsmanager, SdkParts::of(settings)?))
}

/// The text of a secret read once at start-up (a sign-in client's secret), or what went wrong in words that
/// name `what` and never the value.
pub async fn read_secret_text(arn: &str, what: &str) -> Result<String, String> {
    let secrets =
        secrets_client(ClientSettings::from_environment(None)).map_err(|err| err.to_string())?;
    let value = secrets
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|err| format!("{what} could not be read: {err:?}"))?;
    value
        .secret_string()
        .filter(|text| !text.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{what} has no text value"))
}

/// What every client of ours shares, whatever the service (the mailer builds its SES client from it).
pub struct SdkParts {
    pub region: Region,
    pub credentials: SharedCredentialsProvider,
    pub timeouts: TimeoutConfig,
    pub endpoint_url: Option<String>,
}

impl SdkParts {
    pub fn of(settings: ClientSettings) -> Result<SdkParts, ClientError> {
        let local = settings.endpoint_url.is_some();
        let region = match (settings.region, local) {
            (Some(region), _) => region,
            (None, true) => LOCAL_REGION.to_string(),
            (None, false) => {
                return Err(ClientError(
                    "AWS_REGION is not set (Lambda sets it; locally pass AWS_ENDPOINT_URL or set AWS_REGION)"
                        .into(),
                ));
            }
        };
        let credentials = match settings.credentials {
            Some(credentials) => credentials,
            None => match environment_credentials() {
                Some(credentials) => SharedCredentialsProvider::new(credentials),
                None if local => SharedCredentialsProvider::new(Credentials::new(
                    "local", "local", None, None, "local",
                )),
                None => {
                    return Err(ClientError(
                        "AWS_ACCESS_KEY_ID is not set (Lambda sets it from the function's role)"
                            .into(),
                    ));
                }
            },
        };
        Ok(SdkParts {
            region: Region::new(region),
            credentials,
            timeouts: settings.patience.timeouts(),
            endpoint_url: settings.endpoint_url,
        })
    }
}

/// A client for a local DynamoDB-compatible endpoint (tests, `cargo dev`, benchmarks).
pub fn local_client(endpoint_url: &str) -> aws_sdk_dynamodb::Client {
    dynamodb_client(ClientSettings::local(endpoint_url))
        .expect("a local endpoint needs neither region nor credentials")
}

/// HTTPS with rustls and ring (smaller and quicker to build than the SDK's default aws-lc), and plain
/// HTTP for a local store. Also for `opp-admin`'s credential chain (SSO, instance metadata), so no second
/// TLS stack is linked.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The keys Lambda puts in the function's environment (they hold for the life of the execution
/// environment). Read once: the binary carries none of the profile, SSO or instance-metadata code.
fn environment_credentials() -> Option<Credentials> {
    Some(Credentials::new(
        env("AWS_ACCESS_KEY_ID")?,
        env("AWS_SECRET_ACCESS_KEY")?,
        env("AWS_SESSION_TOKEN"),
        None,
        "environment",
    ))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_endpoint_needs_nothing_else() {
        let settings = ClientSettings {
            patience: Patience::Request,
            region: None,
            endpoint_url: Some("http://127.0.0.1:1".into()),
            credentials: None,
        };
        let client = dynamodb_client(settings).unwrap();
        let config = client.config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some(LOCAL_REGION));
        let timeouts = config.timeout_config().unwrap();
        assert_eq!(
            timeouts.operation_timeout(),
            Some(Duration::from_secs(8)),
            "tests get the function's timeouts"
        );
    }

    #[test]
    fn aws_without_a_region_says_what_to_set() {
        let settings = ClientSettings {
            patience: Patience::Organiser,
            region: None,
            endpoint_url: None,
            credentials: Some(SharedCredentialsProvider::new(Credentials::new(
                "a", "b", None, None, "test",
            ))),
        };
        let err = dynamodb_client(settings).unwrap_err();
        assert!(err.0.contains("AWS_REGION"), "{err}");
    }
}

/// The secret could not be read; the message is for logs and names no value.
#[derive(Debug)]
pub struct SecretError(pub String);

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SecretError {}
