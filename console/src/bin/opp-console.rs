//! The Lambda entry point (`opp-console`), and `opp-console --local` to serve the same router on
//! 127.0.0.1. Only wiring: settings from the environment, the provider, the store, the router.

use clap::Parser;
use opp_console::http::{AppState, Settings, router};
use opp_console::http_client::ProviderClient;
use opp_console::oidc::{OidcSettings, Provider};
use opp_console::pages::Pages;
use opp_console::roles::RoleClaim;
use opp_console::session::SessionLimits;
use opp_store::Store;
use opp_store::aws::{ClientSettings, dynamodb_client, read_secret_text, secrets_client};
use opp_store::link_keys::{self, LinkKeySource};
use opp_store::origin_secret::OriginSecret;

#[derive(Parser)]
#[command(
    name = "opp-console",
    version,
    about = "The organisers' back office: runs under AWS Lambda, or with --local on 127.0.0.1",
    after_help = "Environment:\n  \
                  RUST_LOG   the log level (default: info)\n  \
                  AWS_REGION and the credentials come from Lambda's environment"
)]
struct Cli {
    /// Serve on 127.0.0.1 instead of waiting for Lambda events.
    #[arg(long)]
    local: bool,
    /// Port for --local.
    #[arg(long, default_value_t = 3100, requires = "local")]
    port: u16,
    /// The DynamoDB table (infra/template.yaml sets it); `opp-registrations` with --local.
    #[arg(long, env = "TABLE_NAME", hide_env_values = true)]
    table: Option<String>,
    /// The back office's own origin, e.g. https://beheer.example.nl: the sign-in returns there and posts
    /// from elsewhere are refused.
    #[arg(long, env = "CONSOLE_ORIGIN")]
    console_origin: String,
    /// The OpenID provider's issuer URL (Cognito: https://cognito-idp.<region>.amazonaws.com/<pool id>).
    #[arg(long, env = "OIDC_ISSUER")]
    oidc_issuer: String,
    /// The client id the provider knows the back office by.
    #[arg(long, env = "OIDC_CLIENT_ID")]
    oidc_client_id: String,
    /// The Secrets Manager secret (its ARN or name) holding the client secret (a confidential client, as
    /// Cognito's).
    #[arg(
        long,
        env = "OIDC_CLIENT_SECRET_ARN",
        hide_env_values = true,
        conflicts_with = "oidc_client_secret"
    )]
    oidc_client_secret_arn: Option<String>,
    /// The client secret itself (local runs); without either, a public client with PKCE.
    #[arg(long, hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// Scopes asked for beside `openid`, separated by spaces.
    #[arg(long, env = "OIDC_SCOPES", default_value = "email profile")]
    oidc_scopes: String,
    /// Where to end the session at the provider when its discovery names no end_session_endpoint
    /// (Cognito: https://<domain>.auth.<region>.amazoncognito.com/logout; infra/template.yaml sets it).
    #[arg(long, env = "OIDC_LOGOUT_URL")]
    oidc_logout_url: Option<String>,
    /// The ID token's claim that carries the roles (Cognito: cognito:groups; Entra ID: groups or roles).
    #[arg(long, env = "OIDC_ROLE_CLAIM", default_value = "cognito:groups")]
    oidc_role_claim: String,
    /// The claim's value that gives role `deur` (the door).
    #[arg(long, env = "OIDC_DOOR_VALUE", default_value = "deur")]
    oidc_door_value: String,
    /// The claim's value that gives role `beheer` (everything).
    #[arg(long, env = "OIDC_MANAGER_VALUE", default_value = "beheer")]
    oidc_manager_value: String,
    /// The Secrets Manager secret with the link key ring (a registration by hand gets its personal link
    /// from it); infra/template.yaml sets it.
    #[arg(
        long,
        env = "LINK_KEY_ARN",
        hide_env_values = true,
        conflicts_with = "link_key_file"
    )]
    link_key_arn: Option<String>,
    /// A local key ring file instead (the one `cargo dev` and `opp-handler --link-key-file` use).
    #[arg(long)]
    link_key_file: Option<std::path::PathBuf>,
    /// The Secrets Manager secret whose value CloudFront adds to every request (x-origin-verify);
    /// infra/template.yaml sets it. AWSCURRENT and AWSPREVIOUS are both accepted (two-phase rotation).
    #[arg(long, env = "ORIGIN_SECRET_ARN", hide_env_values = true)]
    origin_secret_arn: Option<String>,
    /// Days audit entries are kept.
    #[arg(long, env = "AUDIT_DAYS", default_value_t = 365)]
    audit_days: u32,
    /// The site's public URL, when it is not config.yaml's base_url: the links in the message preview (the
    /// mailer's SITE_URL).
    #[arg(long, env = "SITE_URL")]
    site_url: Option<String>,
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
    let client_secret = match (
        non_empty(cli.oidc_client_secret_arn),
        non_empty(cli.oidc_client_secret),
    ) {
        (Some(arn), _) => Some(read_secret_text(&arn, "the OIDC client secret").await?),
        (None, secret) => secret,
    };
    let origin = cli.console_origin.trim_end_matches('/').to_string();
    let provider = Provider::new(
        OidcSettings {
            issuer: cli.oidc_issuer,
            client_id: cli.oidc_client_id,
            client_secret,
            redirect_url: format!("{origin}/aanmelden/klaar"),
            scopes: cli
                .oidc_scopes
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            logout_url: non_empty(cli.oidc_logout_url),
        },
        ProviderClient::new()?,
    )?;
    let link_keys = match (non_empty(cli.link_key_arn), cli.link_key_file) {
        (Some(arn), _) => {
            LinkKeySource::managed(secrets_client(ClientSettings::from_environment(None))?, arn)
        }
        (None, Some(path)) => LinkKeySource::fixed(link_keys::load_or_create(&path)?),
        (None, None) => {
            return Err("LINK_KEY_ARN is not set: a registration by hand needs the link key (see infra/template.yaml)".into());
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
            return Err("ORIGIN_SECRET_ARN is not set: only CloudFront may reach the back office (see infra/template.yaml)".into());
        }
    };
    let client = dynamodb_client(ClientSettings::from_environment(non_empty(
        cli.endpoint_url,
    )))?;
    let state = AppState::new(
        Store::new(client, table),
        provider,
        Pages::embedded_for(non_empty(cli.site_url.clone()).as_deref())?,
        Settings {
            origin,
            role_claim: RoleClaim {
                claim: cli.oidc_role_claim,
                door: cli.oidc_door_value,
                manager: cli.oidc_manager_value,
            },
            limits: SessionLimits::default(),
            audit_days: cli.audit_days,
            link_keys,
            origin_secret,
        },
    );
    let app = router(state);
    if cli.local {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
        println!(
            "Back office on http://{} (Ctrl-C stops)",
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
