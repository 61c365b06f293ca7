//! `cargo dev`: the whole system on one machine, no AWS account needed. The site is built, served and rebuilt
//! on change (`opp-site serve`), `/api/*` is the registration handler's router on the same origin, and the
//! registrations go to an embedded DynamoDB-compatible store kept in a file and served on its own port, so
//! `opp-admin` and the AWS CLI can read it. The mailer reads the store's stream and delivers to a local
//! outbox, shown at `/_mail/`.
//!
//! The top of the dependency graph: it may use every crate of the workspace, and none may depend on it.

mod beheer;
mod cms;
mod local_store;
mod mail;
mod mailbox;
mod meetings_sync;

use std::path::PathBuf;

use clap::Parser;
use opp_handler::http::{AppState, Settings, router};
use opp_handler::pages::{Pages, SharedPages};
use opp_site::BuildOptions;
use opp_site::serve::{ServeOptions, run};
use opp_store::link_keys::{self, LinkKeySource};

/// The local link key ring in the state folder (in AWS: Secrets Manager).
pub const LINK_KEYS_FILE: &str = "link-keys.json";

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "opp-dev",
    version,
    about = "Runs the site, the registration API and a local DynamoDB-compatible store together",
    after_help = "Environment:\n  \
                  OPP_LANG=en   the site builder's messages in English (default: Dutch)\n  \
                  RUST_LOG      what the handler logs to the terminal (default: warnings)"
)]
struct Cli {
    /// The folder with config.yaml, content/ and theme/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Port of the site and its /api/ on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Port of the DynamoDB-compatible store on 127.0.0.1 (for opp-admin and the AWS CLI).
    #[arg(long, default_value_t = 8000)]
    store_port: u16,
    /// Where the store keeps its file (registrations survive a restart); relative to --root.
    #[arg(long, default_value = ".opp-state")]
    state_dir: PathBuf,
    /// Include pages marked `draft: true`.
    #[arg(long)]
    drafts: bool,
    /// Also the editing screen (Decap CMS) at http://redactie.localhost:<editing-port>/, saving into
    /// content/ through decap-server.
    #[arg(long)]
    cms: bool,
    /// Port of the editing screen (under the host name redactie.localhost).
    #[arg(long, default_value_t = 8084)]
    editing_port: u16,
    /// Port of decap-server, the editing screen's local backend, on 127.0.0.1.
    #[arg(long, default_value_t = 8081)]
    cms_port: u16,
    /// Also the organisers' back office at http://beheer.localhost:<beheer-port>/, signing in through a
    /// local OpenID provider (needs `bash scripts/setup oidc`).
    #[arg(long)]
    beheer: bool,
    /// Port of the back office (under the host name beheer.localhost).
    #[arg(long, default_value_t = 8083)]
    beheer_port: u16,
    /// Port of the local OpenID provider on 127.0.0.1.
    #[arg(long, default_value_t = 8082)]
    oidc_port: u16,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match start(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The handler's warnings and errors in the terminal, one plain line each (`RUST_LOG` for more).
fn log_to_terminal() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("opp_handler=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .try_init();
}

async fn start(cli: Cli) -> anyhow::Result<()> {
    log_to_terminal();
    // Checked first: a missing install should not wait for the store and the first build.
    let cms_packages = if cli.cms {
        Some(cms::packages(&cli.root)?)
    } else {
        None
    };
    let state_dir = cli.root.join(&cli.state_dir);
    let store = local_store::start(&state_dir, cli.store_port).await?;
    // Made once, like the store's file: links from earlier runs keep working.
    let link_keys =
        link_keys::load_or_create(&state_dir.join(LINK_KEYS_FILE)).map_err(anyhow::Error::msg)?;
    let site_origin = format!("http://127.0.0.1:{}", cli.port);

    let pages = Pages::from_root(&cli.root).map_err(|err| {
        anyhow::anyhow!("the theme's handler templates could not be loaded: {err}")
    })?;
    let pages = SharedPages::new(pages);
    let outbox = state_dir.join(mail::MAIL_DIR);
    mail::start(mail::LocalMail {
        root: cli.root.clone(),
        outbox: outbox.clone(),
        site_url: site_origin.clone(),
        store: store.store.clone(),
        endpoint: store.endpoint.clone(),
        keys: link_keys.clone(),
    })
    .await?;
    let api = router(
        AppState::new(
            store.store.clone(),
            pages.clone(),
            Settings {
                // The same server under both loopback names: a browser opened on localhost works too.
                site_origins: vec![
                    site_origin.clone(),
                    format!("http://localhost:{}", cli.port),
                ],
                origin_secret: opp_handler::origin_secret::OriginSecret::Off,
                link_keys: LinkKeySource::fixed(link_keys.clone()),
            },
        )
        .map_err(|err| anyhow::anyhow!("config.yaml: {err}"))?,
    )
    .merge(mailbox::routes(outbox));
    let beheer = if cli.beheer {
        Some(
            beheer::start(
                &cli.root,
                store.store.clone(),
                link_keys.clone(),
                cli.beheer_port,
                cli.oidc_port,
                &site_origin,
            )
            .await?,
        )
    } else {
        None
    };
    let backend = match &cms_packages {
        Some(packages) => Some(cms::start(
            &cli.root,
            packages,
            cli.cms_port,
            cli.editing_port,
        )?),
        None => None,
    };
    let after_build = meetings_sync::after_build(
        store.store.clone(),
        pages,
        cli.root.clone(),
        site_origin.clone(),
        store.endpoint.clone(),
    );

    let mut build = BuildOptions::new(&cli.root);
    build.drafts = cli.drafts;
    if let (Some(backend), Some(packages)) = (&backend, &cms_packages) {
        let screen = cms::serve_editing_screen(
            opp_site::serve::served_site_dir(cli.port),
            packages,
            backend,
            cli.editing_port,
        )
        .await?;
        println!(
            "Editing screen: {screen} (saves into content/ through decap-server on {})",
            backend.api_url
        );
        build.cms_backend = opp_site::cms::CmsBackend::Local {
            url: backend.api_url.clone(),
        };
    }
    build.base_url = Some(site_origin);
    let stop_store = store.stop;
    // Ctrl-C and SIGTERM both end `run` (which removes its served copy), then the store stops.
    run(ServeOptions {
        build,
        port: cli.port,
        api: Some(api),
        after_build: Some(after_build),
    })
    .await?;
    let _ = stop_store.send(());
    drop(backend);
    drop(beheer);
    Ok(())
}
