//! The secret CloudFront adds to every request (`x-origin-verify`), so only the CDN reaches the function.
//!
//! In AWS it lives in Secrets Manager (`ORIGIN_SECRET_ARN`). Rotation is two-phase (docs/operations/secrets.md,
//! "Rotating the origin secret"): a new value becomes `AWSCURRENT` while CloudFront still sends the old one,
//! now `AWSPREVIOUS`; a stack update then moves CloudFront to the new value. The function accepts both
//! stages and reads them again at most [`REFRESH`] after the last read, on a request (a frozen Lambda
//! environment runs no timers), so no post is refused during a rotation.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use opp_store::aws::SecretError;

/// How old the accepted values may be when a request is checked.
pub const REFRESH: Duration = Duration::from_secs(5 * 60);

/// Where the accepted values come from.
#[derive(Clone, Default)]
pub enum OriginSecret {
    /// No check: `cargo dev`, tests of other parts, and a function without CloudFront in front.
    #[default]
    Off,
    /// One fixed value (`--origin-secret`, local runs and tests).
    Fixed(String),
    /// Secrets Manager: the values of `AWSCURRENT` and `AWSPREVIOUS`, refreshed on use.
    Managed(Arc<Managed>),
}

impl std::fmt::Debug for OriginSecret {
    /// Never the value itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginSecret::Off => f.write_str("Off"),
            OriginSecret::Fixed(_) => f.write_str("Fixed(…)"),
            OriginSecret::Managed(managed) => write!(f, "Managed({})", managed.arn),
        }
    }
}

pub struct Managed {
    client: Client,
    arn: String,
    values: RwLock<(Vec<String>, Instant)>,
}

impl OriginSecret {
    /// Reads the secret once: a function that cannot read it at start refuses to start.
    pub async fn managed(client: Client, arn: String) -> Result<OriginSecret, SecretError> {
        let values = read_stages(&client, &arn).await?;
        Ok(OriginSecret::Managed(Arc::new(Managed {
            client,
            arn,
            values: RwLock::new((values, Instant::now())),
        })))
    }

    /// Whether `given` (the request's header) is one of the accepted values; compared in constant time.
    pub async fn accepts(&self, given: &[u8]) -> bool {
        match self {
            OriginSecret::Off => true,
            OriginSecret::Fixed(secret) => constant_time_eq(given, secret.as_bytes()),
            OriginSecret::Managed(managed) => managed
                .current()
                .await
                .iter()
                // Every value is compared, so the time does not tell which one matched.
                .fold(false, |ok, secret| {
                    constant_time_eq(given, secret.as_bytes()) | ok
                }),
        }
    }

    pub fn is_checked(&self) -> bool {
        !matches!(self, OriginSecret::Off)
    }
}

impl Managed {
    /// The accepted values, read again when older than [`REFRESH`]. When that read fails, the last values
    /// stay (the next request tries again): a Secrets Manager hiccup must not lock everyone out.
    async fn current(&self) -> Vec<String> {
        let (values, stale) = match self.values.read() {
            Ok(guard) => (guard.0.clone(), guard.1.elapsed() >= REFRESH),
            Err(_) => (Vec::new(), true),
        };
        if !stale {
            return values;
        }
        match read_stages(&self.client, &self.arn).await {
            Ok(fresh) => {
                if let Ok(mut guard) = self.values.write() {
                    *guard = (fresh.clone(), Instant::now());
                }
                fresh
            }
            Err(err) => {
                tracing::warn!(reason = %err, "origin secret: kept the last values");
                values
            }
        }
    }
}

/// The values of `AWSCURRENT` (required) and `AWSPREVIOUS` (absent until the first rotation).
async fn read_stages(client: &Client, arn: &str) -> Result<Vec<String>, SecretError> {
    let mut values = Vec::with_capacity(2);
    for stage in ["AWSCURRENT", "AWSPREVIOUS"] {
        let result = client
            .get_secret_value()
            .secret_id(arn)
            .version_stage(stage)
            .send()
            .await;
        match result {
            Ok(output) => {
                if let Some(value) = output.secret_string().filter(|v| !v.is_empty()) {
                    values.push(value.to_string());
                }
            }
            Err(err)
                if stage == "AWSPREVIOUS"
                    && err
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(err) => {
                return Err(SecretError(format!(
                    "GetSecretValue {stage}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&err)
                )));
            }
        }
    }
    if values.is_empty() {
        return Err(SecretError(
            "the origin secret has no AWSCURRENT value (infra/deploy.sh creates it)".into(),
        ));
    }
    Ok(values)
}

/// Equal bytes, compared in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_secret_accepts_only_itself() {
        let secret = OriginSecret::Fixed("s3cret".into());
        assert!(secret.accepts(b"s3cret").await);
        assert!(!secret.accepts(b"s3cre").await);
        assert!(!secret.accepts(b"").await);
        assert!(OriginSecret::Off.accepts(b"").await);
    }
}
