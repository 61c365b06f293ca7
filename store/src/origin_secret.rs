//! The secret CloudFront adds to every request (`x-origin-verify`), so only the CDN reaches the function.
//!
//! In AWS it lives in Secrets Manager (`ORIGIN_SECRET_ARN`). Rotation is two-phase (docs/operations/secrets.md,
//! "Rotating the origin secret"): a new value becomes `AWSCURRENT` while CloudFront still sends the old one,
//! now `AWSPREVIOUS`; a stack update then moves CloudFront to the new value. The function accepts both
//! stages and reads them again at most [`REFRESH`] after the last read, on a request (a frozen Lambda
//! environment runs no timers), so no post is refused during a rotation.
//!
//! A read must cost a request little: both stages are read at once, within [`READ_TIMEOUT`] (the client
//! itself has `Patience::Secret`), and only one request reads while the others use the values they have.
//! When a read fails the last values stay and the next read waits [`RETRY_AFTER`] (doubling up to
//! [`REFRESH`]): a slow or failing Secrets Manager neither locks everyone out nor slows every request.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::aws::SecretError;
use aws_sdk_secretsmanager::Client;

/// How old the accepted values may be when a request is checked.
pub const REFRESH: Duration = Duration::from_secs(5 * 60);

/// The longest a request waits for a read of both stages.
pub const READ_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long after a failed read the next one is tried (then twice as long, up to [`REFRESH`]).
pub const RETRY_AFTER: Duration = Duration::from_secs(15);

/// The header CloudFront adds with the secret (the public function's and the back office's distribution).
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";

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
    refresh: Duration,
    cached: RwLock<Cached>,
    /// Set while one request reads: the others use the cached values.
    reading: std::sync::atomic::AtomicBool,
}

/// The accepted values, when they may be read again, and how long to wait after the next failure.
struct Cached {
    values: Vec<String>,
    next_read: Instant,
    backoff: Duration,
}

impl OriginSecret {
    /// Reads the secret once: a function that cannot read it at start refuses to start.
    pub async fn managed(client: Client, arn: String) -> Result<OriginSecret, SecretError> {
        OriginSecret::managed_every(client, arn, REFRESH).await
    }

    /// [`OriginSecret::managed`], read again every `refresh` (tests make it short).
    pub async fn managed_every(
        client: Client,
        arn: String,
        refresh: Duration,
    ) -> Result<OriginSecret, SecretError> {
        let values = read_stages(&client, &arn).await?;
        Ok(OriginSecret::Managed(Arc::new(Managed {
            client,
            arn,
            refresh,
            cached: RwLock::new(Cached {
                values,
                next_read: Instant::now() + refresh,
                backoff: RETRY_AFTER.min(refresh),
            }),
            reading: std::sync::atomic::AtomicBool::new(false),
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
    /// The accepted values, read again once they are due (see the module). A failed or slow read keeps
    /// the last values and pushes the next read back.
    async fn current(&self) -> Vec<String> {
        use std::sync::atomic::Ordering;
        let (values, due) = match self.cached.read() {
            Ok(cached) => (cached.values.clone(), Instant::now() >= cached.next_read),
            Err(poisoned) => {
                let cached = poisoned.into_inner();
                (cached.values.clone(), true)
            }
        };
        if !due || self.reading.swap(true, Ordering::AcqRel) {
            return values;
        }
        // Cleared however this ends, also when the request is dropped halfway.
        struct Reading<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for Reading<'_> {
            fn drop(&mut self) {
                self.0.store(false, std::sync::atomic::Ordering::Release);
            }
        }
        let _reading = Reading(&self.reading);
        let read = tokio::time::timeout(READ_TIMEOUT, read_stages(&self.client, &self.arn)).await;
        match read {
            Ok(Ok(fresh)) => {
                if let Ok(mut cached) = self.cached.write() {
                    *cached = Cached {
                        values: fresh.clone(),
                        next_read: Instant::now() + self.refresh,
                        backoff: RETRY_AFTER.min(self.refresh),
                    };
                }
                fresh
            }
            failed => {
                let reason = match failed {
                    Ok(Err(err)) => err.0,
                    _ => format!("no answer within {} ms", READ_TIMEOUT.as_millis()),
                };
                if let Ok(mut cached) = self.cached.write() {
                    cached.next_read = Instant::now() + cached.backoff;
                    tracing::warn!(reason = %reason, retry_in_s = cached.backoff.as_secs(), "origin secret: kept the last values");
                    cached.backoff = (cached.backoff * 2).min(self.refresh.max(RETRY_AFTER));
                }
                values
            }
        }
    }
}

/// The values of `AWSCURRENT` (required) and `AWSPREVIOUS` (absent until the first rotation), read at
/// the same time.
async fn read_stages(client: &Client, arn: &str) -> Result<Vec<String>, SecretError> {
    let read = |stage: &'static str| async move {
        (
            stage,
            client
                .get_secret_value()
                .secret_id(arn)
                .version_stage(stage)
                .send()
                .await,
        )
    };
    let (current, previous) = tokio::join!(read("AWSCURRENT"), read("AWSPREVIOUS"));
    let mut values = Vec::with_capacity(2);
    for (stage, result) in [current, previous] {
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
