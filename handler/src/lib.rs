//! The registration function of the Landelijk OPP Project.
//!
//! [`registration`] holds the rules (plain Rust), [`store`] speaks DynamoDB, [`http`] maps HTTP to both,
//! [`pages`] renders the theme's templates, [`meetings`] reads the generator's `meetings.json`.
//! [`admin`] is `opp-admin`, the organisers' tool.

pub mod admin;
pub mod http;
pub mod logging;
pub mod meetings;
pub mod pages;
pub mod registration;
pub mod store;
pub mod token;

use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls;

/// The HTTP client of every DynamoDB client here: HTTPS with rustls and ring (smaller and quicker to build
/// than the SDK's default aws-lc), and plain HTTP for a local store.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build()
}

/// The function's client. Lambda hands region and credentials over in environment variables, so only
/// those are read: the binary carries none of the profile, SSO or instance-metadata code. With a local
/// `endpoint_url` (`opp-handler --local`) a region and dummy credentials are filled in when missing.
pub fn function_client(endpoint_url: Option<&str>) -> Result<aws_sdk_dynamodb::Client, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts());
    match (endpoint_url, region) {
        (_, Some(region)) => config = config.region(Region::new(region)),
        (Some(_), None) => config = config.region(Region::new("eu-central-1")),
        (None, None) => return Err("AWS_REGION is not set (Lambda sets it; locally pass AWS_ENDPOINT_URL or set AWS_REGION)".into()),
    }
    if let Some(endpoint) = endpoint_url {
        config = config.endpoint_url(endpoint);
    }
    config = if var("AWS_ACCESS_KEY_ID").is_some() {
        config.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else if endpoint_url.is_some() {
        config.credentials_provider(Credentials::new("local", "local", None, None, "local"))
    } else {
        return Err(
            "AWS_ACCESS_KEY_ID is not set (Lambda sets it from the function's role)".into(),
        );
    };
    Ok(aws_sdk_dynamodb::Client::from_conf(config.build()))
}

/// A client for a local DynamoDB-compatible endpoint (tests, `cargo dev`): any region, dummy credentials.
pub fn local_client(endpoint_url: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .endpoint_url(endpoint_url)
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
        .http_client(http_client())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}
