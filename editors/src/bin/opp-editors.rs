//! The Lambda entry point (`opp-editors`), and `opp-editors --local` to serve the same routes on 127.0.0.1,
//! with the editing screen's files beside them when `--screen` is given. Only wiring: settings from the
//! environment, the GitHub client, the router.

use std::path::PathBuf;

use clap::Parser;
use opp_editors::github::{GITHUB_URL, GitHub, GitHubSettings};
use opp_editors::http::{AppState, CALLBACK_PATH, Settings, router};
use opp_editors::local::{ScreenFiles, screen_router};
use opp_editors::scopes::Allowlist;
use opp_http_client::ProviderClient;
use opp_store::aws::{ClientSettings, read_secret_text, secrets_client};
use opp_store::origin_secret::OriginSecret;

#[derive(Parser)]
#[command(
    name = "opp-editors",
    version,
    about = "The editors' sign-in for the editing screen (GitHub OAuth): runs under AWS Lambda, or with --local on 127.0.0.1",
    after_help = "Environment:\n  \
                  RUST_LOG   the log level (default: info)\n  \
                  AWS_REGION and the credentials come from Lambda's environment"
)]
struct Cli {
    /// Serve on 127.0.0.1 instead of waiting for Lambda events.
    #[arg(long)]
    local: bool,
    /// Port for --local.
    #[arg(long, default_value_t = 3200, requires = "local")]
    port: u16,
    /// The editing screen's own origin, e.g. https://redactie.example.nl: GitHub returns there and the
    /// token is posted to that origin only.
    #[arg(long, env = "EDITING_ORIGIN")]
    editing_origin: String,
    /// GitHub's address (a stand-in on loopback in the browser check).
    #[arg(long, env = "GITHUB_URL", default_value = GITHUB_URL)]
    github_url: String,
    /// The OAuth App's or GitHub App's client id.
    #[arg(long, env = "GITHUB_CLIENT_ID")]
    client_id: String,
    /// The Secrets Manager secret (its ARN or name) holding the client secret.
    #[arg(
        long,
        env = "GITHUB_CLIENT_SECRET_ARN",
        hide_env_values = true,
        conflicts_with = "client_secret"
    )]
    client_secret_arn: Option<String>,
    /// The client secret itself (local runs).
    #[arg(long, hide_env_values = true)]
    client_secret: Option<String>,
    /// The scopes an editor may ask for, separated by spaces or commas.
    #[arg(long, env = "EDITOR_SCOPES", default_value = "public_repo")]
    scopes: String,
    /// The Secrets Manager secret CloudFront's `x-origin-verify` must match (infra/template.yaml sets it).
    #[arg(long, env = "ORIGIN_SECRET_ARN", hide_env_values = true)]
    origin_secret_arn: Option<String>,
    /// With --local: also serve the editing screen's files from this folder (a build's `admin/`).
    #[arg(long, requires = "local")]
    screen: Option<PathBuf>,
    /// With --screen: Decap's bundle folder (`decap-cms/dist` of the npm package).
    #[arg(long, requires = "screen")]
    decap: Option<PathBuf>,
    /// With --screen: an origin the screen may connect to besides GitHub's API (a local stand-in).
    #[arg(long, requires = "screen")]
    connect_src: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    opp_store::logging::init();
    let cli = Cli::parse();
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let client_secret = match (
        non_empty(cli.client_secret_arn),
        non_empty(cli.client_secret),
    ) {
        (Some(arn), _) => read_secret_text(&arn, "the GitHub client secret").await?,
        (None, Some(secret)) => secret,
        (None, None) => {
            return Err("GITHUB_CLIENT_SECRET_ARN is not set: the token exchange needs the client secret (see infra/template.yaml)".into());
        }
    };
    let origin_secret = match non_empty(cli.origin_secret_arn) {
        Some(arn) => {
            OriginSecret::managed(secrets_client(ClientSettings::from_environment(None))?, arn)
                .await
                .map_err(|err| format!("the origin secret could not be read: {err}"))?
        }
        None if cli.local => OriginSecret::Off,
        None => {
            return Err("ORIGIN_SECRET_ARN is not set: only CloudFront may reach the editors' sign-in (see infra/template.yaml)".into());
        }
    };
    let editing_origin = cli.editing_origin.trim_end_matches('/').to_string();
    let github = GitHub::new(
        &GitHubSettings {
            url: cli.github_url,
            client_id: cli.client_id,
            client_secret,
            redirect_url: format!("{editing_origin}{CALLBACK_PATH}"),
        },
        ProviderClient::new()?,
    )?;
    let app = router(AppState::new(
        github,
        Settings {
            editing_origin,
            scopes: Allowlist::parse(&cli.scopes)?,
            origin_secret,
        },
    ));
    if !cli.local {
        return lambda_http::run(app).await;
    }
    let app = match cli.screen {
        Some(dir) => {
            let extra: Vec<&str> = cli.connect_src.iter().map(String::as_str).collect();
            app.merge(screen_router(ScreenFiles {
                dir,
                bundle_dir: cli
                    .decap
                    .unwrap_or_else(|| "browser/node_modules/decap-cms/dist".into()),
                csp: opp_model::cdn::editing_screen_csp(&extra),
            }))
        }
        None => app,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
    println!(
        "Editors' sign-in on http://{} (Ctrl-C stops)",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
