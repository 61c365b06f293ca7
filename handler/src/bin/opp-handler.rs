//! The Lambda entry point (`opp-handler`), and `opp-handler --local` to serve the same router on 127.0.0.1.
//! Only wiring: settings from the environment Lambda sets, one client, one state, the router.

use std::path::PathBuf;

use clap::Parser;
use opp_handler::http::{AppState, Settings, router};
use opp_handler::origin_secret::OriginSecret;
use opp_handler::pages::{Pages, SharedPages};
use opp_model::links::LinkKeys;
use opp_store::aws::{ClientSettings, dynamodb_client, secrets_client};
use opp_store::link_keys::{self, LinkKeySource};
use opp_store::{DEFAULT_RETENTION_DAYS, Store};

#[derive(Parser)]
#[command(
    name = "opp-handler",
    version,
    about = "The registration function: runs under AWS Lambda, or with --local on 127.0.0.1",
    after_help = "Environment:\n  \
                  RUST_LOG   the log level (default: info; infra/template.yaml sets it); the AWS SDK, Lambda \
                  runtime and HTTP libraries never log below warn, whatever it says (they would log personal data)\n  \
                  AWS_REGION and the credentials come from Lambda's environment"
)]
struct Cli {
    /// Serve on 127.0.0.1 instead of waiting for Lambda events.
    #[arg(long)]
    local: bool,
    /// Port for --local.
    #[arg(long, default_value_t = 3000, requires = "local")]
    port: u16,
    /// Render the handler's pages from this site folder's theme instead of the one compiled in.
    #[arg(long)]
    site_root: Option<PathBuf>,
    /// The DynamoDB table (infra/template.yaml sets it); `opp-registrations` with --local.
    #[arg(long, env = "TABLE_NAME", hide_env_values = true)]
    table: Option<String>,
    /// The site's origin, e.g. https://www.example.nl: posts from elsewhere are refused.
    #[arg(long, env = "SITE_ORIGIN")]
    site_origin: Option<String>,
    /// The Secrets Manager secret whose value CloudFront adds to every request (x-origin-verify);
    /// infra/template.yaml sets it. Both AWSCURRENT and AWSPREVIOUS are accepted (two-phase rotation).
    #[arg(
        long,
        env = "ORIGIN_SECRET_ARN",
        hide_env_values = true,
        conflicts_with = "origin_secret"
    )]
    origin_secret_arn: Option<String>,
    /// A fixed origin secret instead (local runs).
    #[arg(long, hide_env_values = true)]
    origin_secret: Option<String>,
    /// The Secrets Manager secret with the link key ring personal links are derived from; infra/template.yaml
    /// sets it. Read on the first registration after a cold start, then kept.
    #[arg(
        long,
        env = "LINK_KEY_ARN",
        hide_env_values = true,
        conflicts_with = "link_key_file"
    )]
    link_key_arn: Option<String>,
    /// A local key ring file instead (made when missing); with --local and neither, a ring kept in memory.
    #[arg(long)]
    link_key_file: Option<PathBuf>,
    /// Days registrations are kept after a meeting whose item has no retention date of its own.
    #[arg(long, env = "RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS)]
    retention_days: u32,
    /// A local DynamoDB-compatible store instead of AWS.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    opp_store::logging::init();
    let cli = Cli::parse();
    let non_empty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());

    let Some(table) =
        non_empty(cli.table).or_else(|| cli.local.then(|| "opp-registrations".into()))
    else {
        return Err(
            "TABLE_NAME is not set: it names the DynamoDB table (see infra/template.yaml)".into(),
        );
    };
    let site_origin = non_empty(cli.site_origin);
    if site_origin.is_none() && !cli.local {
        return Err("SITE_ORIGIN is not set: posts are only accepted from the site's origin, e.g. https://www.example.nl".into());
    }
    let pages = match &cli.site_root {
        Some(root) => Pages::from_root(root),
        None => Pages::embedded(),
    }
    .map_err(|err| format!("the theme could not be loaded: {err}"))?;
    let endpoint_url = non_empty(cli.endpoint_url);
    let client = dynamodb_client(ClientSettings::from_environment(endpoint_url.clone()))?;
    let origin_secret_arn = non_empty(cli.origin_secret_arn);
    let link_key_arn = non_empty(cli.link_key_arn);
    // One Secrets Manager client for both secrets. AWS_ENDPOINT_URL points at a local DynamoDB, never at
    // Secrets Manager.
    let secrets = if origin_secret_arn.is_some() || link_key_arn.is_some() {
        Some(secrets_client(ClientSettings::from_environment(None))?)
    } else {
        None
    };
    let origin_secret = match (
        origin_secret_arn,
        non_empty(cli.origin_secret),
        secrets.clone(),
    ) {
        (Some(arn), _, Some(secrets)) => OriginSecret::managed(secrets, arn)
            .await
            .map_err(|err| format!("the origin secret could not be read: {err}"))?,
        (None, Some(secret), _) => OriginSecret::Fixed(secret),
        (None, None, _) if cli.local => OriginSecret::Off,
        _ => {
            return Err("ORIGIN_SECRET_ARN is not set: only CloudFront may reach the function (see infra/template.yaml)".into());
        }
    };
    let link_keys = match (link_key_arn, cli.link_key_file, secrets) {
        (Some(arn), _, Some(secrets)) => LinkKeySource::managed(secrets, arn),
        (None, Some(path), _) => LinkKeySource::fixed(link_keys::load_or_create(&path)?),
        (None, None, _) if cli.local => {
            LinkKeySource::fixed(LinkKeys::first(link_keys::new_secret()?))
        }
        _ => {
            return Err("LINK_KEY_ARN is not set: personal links are derived from the link key (see infra/template.yaml)".into());
        }
    };
    let state = AppState::new(
        Store::new(client, table).with_fallback_retention(cli.retention_days),
        SharedPages::new(pages),
        Settings {
            site_origins: site_origin.into_iter().collect(),
            origin_secret,
            link_keys,
        },
    )
    .map_err(|err| format!("config.yaml compiled into the function: {err}"))?;
    let app = router(state);
    if cli.local {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
        println!(
            "Registration API on http://{}/api/ (Ctrl-C stops)",
            listener.local_addr()?
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    } else {
        lambda_http::run(app).await
    }
}
