//! `cargo dev --beheer`: the back office on its own host name (`http://beheer.localhost:PORT`, which browsers
//! resolve to loopback; cookies ignore ports, so another name keeps its cookie away from the public site),
//! signing in through a real OpenID provider on loopback (PyPI's `oidc-provider-mock`, installed by
//! `bash scripts/setup oidc`) with three users to pick: a manager, a door keeper and one without a role.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use opp_console::http::{AppState, Settings, router};
use opp_console::http_client::ProviderClient;
use opp_console::oidc::{OidcSettings, Provider};
use opp_console::pages::Pages;
use opp_console::roles::RoleClaim;
use opp_console::session::SessionLimits;
use opp_store::Store;

/// The provider's users, as `--user-claims` takes them: the claim is Cognito's, as in production.
const USERS: [(&str, &str); 3] = [
    (
        "bea",
        r#"{"sub":"bea","name":"Bea Beheer","cognito:groups":["beheer"]}"#,
    ),
    (
        "dirk",
        r#"{"sub":"dirk","name":"Dirk Deur","cognito:groups":["deur"]}"#,
    ),
    (
        "gast",
        r#"{"sub":"gast","name":"Gast Zonder Rol","cognito:groups":[]}"#,
    ),
];

/// The running provider; stopped when dropped.
pub struct Beheer {
    provider: Child,
}

impl Drop for Beheer {
    fn drop(&mut self) {
        let _ = self.provider.kill();
        let _ = self.provider.wait();
    }
}

/// Where `scripts/setup oidc` put the provider: beside this binary's target folder (`target/debug/opp-dev`
/// -> `target/oidc-venv`), else under `$CARGO_TARGET_DIR` or the site folder's `target/`.
fn provider_python(root: &Path) -> anyhow::Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(target) = exe.parent().and_then(Path::parent)
    {
        candidates.push(target.join("oidc-venv/bin/python"));
    }
    if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(target).join("oidc-venv/bin/python"));
    }
    candidates.push(root.join("target/oidc-venv/bin/python"));
    candidates
        .iter()
        .find(|python| python.exists())
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--beheer needs the local OpenID provider ({} is missing): run `bash scripts/setup oidc` first",
                candidates[0].display()
            )
        })
}

pub async fn start(
    root: &Path,
    store: Store,
    link_keys: opp_model::links::LinkKeys,
    port: u16,
    provider_port: u16,
    site_origin: &str,
) -> anyhow::Result<Beheer> {
    let python = provider_python(root)?;
    let mut command = Command::new(python);
    command
        .args(["-W", "ignore", "-m", "oidc_provider_mock", "-p"])
        .arg(provider_port.to_string())
        .args(["--require-nonce", "true"]);
    for (_, claims) in USERS {
        command.arg("--user-claims").arg(claims);
    }
    let provider = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| anyhow::anyhow!("the OpenID provider did not start: {err}"))?;
    let beheer = Beheer { provider };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", provider_port))
        .await
        .is_err()
    {
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the OpenID provider did not answer on port {provider_port} within 30 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let origin = format!("http://beheer.localhost:{port}");
    let provider = Provider::new(
        OidcSettings {
            issuer: format!("http://127.0.0.1:{provider_port}"),
            client_id: "opp-console-local".into(),
            client_secret: Some("local".into()),
            redirect_url: format!("{origin}/aanmelden/klaar"),
            scopes: vec!["email".into(), "profile".into()],
            logout_url: None,
        },
        ProviderClient::new().map_err(anyhow::Error::msg)?,
    )
    .map_err(anyhow::Error::msg)?;
    let state = AppState::new(
        store,
        provider,
        Pages::embedded_for(Some(site_origin)).map_err(anyhow::Error::msg)?,
        Settings {
            origin: origin.clone(),
            role_claim: RoleClaim::default(),
            limits: SessionLimits::default(),
            audit_days: 365,
            link_keys: opp_store::link_keys::LinkKeySource::fixed(link_keys),
            origin_secret: opp_store::origin_secret::OriginSecret::Off,
        },
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router(state)).await {
            eprintln!("the back office stopped: {err}");
        }
    });
    println!(
        "Back office: {origin}/ (sign in at the local provider by clicking a user, or typing one:"
    );
    println!(
        "  bea  = role beheer (everything), dirk = role deur (the door), gast = no role: \"geen toegang\")"
    );
    Ok(beheer)
}
