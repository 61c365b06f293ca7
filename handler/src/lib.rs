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

/// A DynamoDB client from the standard AWS configuration chain, or for a local endpoint.
pub async fn dynamodb_client(endpoint_url: Option<&str>) -> aws_sdk_dynamodb::Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(endpoint) = endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let shared = loader.load().await;
    aws_sdk_dynamodb::Client::new(&shared)
}
