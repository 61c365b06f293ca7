//! Where the link key ring (`opp_model::links`) comes from: Secrets Manager in AWS (`LINK_KEY_ARN`), read
//! once per cold start on first use and kept; locally a file in the state folder, made once.
//!
//! The function, the mailer and `opp-admin` read the same ring: a link the function issued can be formed
//! again by the mailer (a promotion, "link kwijt?").

use std::path::Path;
use std::sync::Arc;

use aws_sdk_secretsmanager::Client;
use opp_model::links::LinkKeys;
use tokio::sync::OnceCell;

use crate::aws::SecretError;

/// The ring, or how to get it.
#[derive(Clone, Default)]
pub enum LinkKeySource {
    /// None configured: nothing that needs a link is done (registering answers "probeer het later").
    #[default]
    Missing,
    /// A ring already read (a local file, tests).
    Fixed(Arc<LinkKeys>),
    /// Secrets Manager, read on first use, within [`READ_TIMEOUT`]; after a failed read the next one waits
    /// [`RETRY_AFTER`] (requests meanwhile answer "probeer het later" at once instead of waiting too).
    Managed(Arc<Managed>),
}

/// The longest a request waits for the ring.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// How long after a failed read the ring is not asked for again.
pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

pub struct Managed {
    client: Client,
    arn: String,
    ring: OnceCell<Arc<LinkKeys>>,
    failed_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl std::fmt::Debug for LinkKeySource {
    /// Never a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkKeySource::Missing => f.write_str("Missing"),
            LinkKeySource::Fixed(ring) => write!(f, "Fixed({ring:?})"),
            LinkKeySource::Managed(managed) => write!(f, "Managed({})", managed.arn),
        }
    }
}

impl LinkKeySource {
    pub fn fixed(ring: LinkKeys) -> LinkKeySource {
        LinkKeySource::Fixed(Arc::new(ring))
    }

    /// Reads nothing yet: the first request that needs a link does (a cold start stays as fast as before).
    pub fn managed(client: Client, arn: String) -> LinkKeySource {
        LinkKeySource::Managed(Arc::new(Managed {
            client,
            arn,
            ring: OnceCell::new(),
            failed_at: std::sync::Mutex::new(None),
        }))
    }

    /// The ring; an error names what failed and never a key.
    pub async fn ring(&self) -> Result<Arc<LinkKeys>, SecretError> {
        match self {
            LinkKeySource::Missing => Err(SecretError(
                "no link key is configured (LINK_KEY_ARN, or --link-key-file locally)".into(),
            )),
            LinkKeySource::Fixed(ring) => Ok(ring.clone()),
            LinkKeySource::Managed(managed) => {
                if let Some(ring) = managed.ring.get() {
                    return Ok(ring.clone());
                }
                let failed_at = *managed
                    .failed_at
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
                    return Err(SecretError(
                        "the link key could not be read a moment ago; not asked again yet".into(),
                    ));
                }
                let read = tokio::time::timeout(
                    READ_TIMEOUT,
                    managed
                        .ring
                        .get_or_try_init(|| read_ring(&managed.client, &managed.arn)),
                )
                .await;
                let result = match read {
                    Ok(result) => result.cloned(),
                    Err(_) => Err(SecretError(format!(
                        "GetSecretValue link key: no answer within {} ms",
                        READ_TIMEOUT.as_millis()
                    ))),
                };
                if result.is_err() {
                    *managed
                        .failed_at
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                        Some(std::time::Instant::now());
                }
                result
            }
        }
    }
}

async fn read_ring(client: &Client, arn: &str) -> Result<Arc<LinkKeys>, SecretError> {
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|err| {
            SecretError(format!(
                "GetSecretValue link key: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&err)
            ))
        })?;
    let text = output.secret_string().unwrap_or_default();
    LinkKeys::parse(text)
        .map(Arc::new)
        .map_err(|err| SecretError(format!("the link key secret: {err}")))
}

/// 32 random bytes for a new key.
pub fn new_secret() -> Result<[u8; 32], String> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|err| format!("no randomness for a link key: {err}"))?;
    Ok(secret)
}

/// 16 random bytes for a new link id.
pub fn new_link_random() -> Result<[u8; 16], getrandom::Error> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)?;
    Ok(random)
}

/// The local ring in `path` (the state folder's `link-keys.json`), made on first use and readable by the
/// owner only. Deleting the file makes every earlier local link stop working.
pub fn load_or_create(path: &Path) -> Result<LinkKeys, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => LinkKeys::parse(&text).map_err(|err| format!("{}: {err}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let ring = LinkKeys::first(new_secret()?);
            write_private(path, &ring.to_json())
                .map_err(|err| format!("{}: could not be written: {err}", path.display()))?;
            Ok(ring)
        }
        Err(err) => Err(format!("{}: could not be read: {err}", path.display())),
    }
}

/// Writes the file whole (a temporary file renamed into place), mode 0600 on Unix.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_ring_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("link-keys.json");
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "{").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(err.contains("link-keys.json"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_ring_is_an_error_that_says_what_to_set() {
        let err = LinkKeySource::Missing.ring().await.unwrap_err();
        assert!(err.0.contains("LINK_KEY_ARN"), "{}", err.0);
    }
}
