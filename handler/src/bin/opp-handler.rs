//! The Lambda entry point (`opp-handler`), and `opp-handler --local` to serve the same router on 127.0.0.1.

use std::sync::Arc;

use opp_handler::http::{AppState, Settings, router};
use opp_handler::pages::{Pages, SharedPages};
use opp_handler::store::Store;

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    opp_handler::logging::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let local = args.iter().any(|a| a == "--local");
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };

    let table = env("TABLE_NAME").or_else(|| local.then(|| "opp-registrations".to_string()));
    let Some(table) = table else {
        return Err(
            "TABLE_NAME is not set: it names the DynamoDB table (see infra/template.yaml)".into(),
        );
    };
    let site_origin = env("SITE_ORIGIN");
    if site_origin.is_none() && !local {
        return Err("SITE_ORIGIN is not set: posts are only accepted from the site's origin, e.g. https://www.example.nl".into());
    }
    let pages = match arg("--site-root") {
        Some(root) => Pages::from_root(std::path::Path::new(&root)),
        None => Pages::embedded(),
    }
    .map_err(|err| format!("the theme could not be loaded: {err}"))?;
    let retention_days = match env("RETENTION_DAYS") {
        Some(days) => days.parse::<u32>().map_err(|_| {
            format!("RETENTION_DAYS is `{days}`: give a whole number of days, e.g. 90")
        })?,
        None => opp_handler::store::DEFAULT_RETENTION_DAYS,
    };
    let client = opp_handler::function_client(env("AWS_ENDPOINT_URL").as_deref())?;
    let state = AppState {
        store: Store::new(client, table).with_fallback_retention(retention_days),
        pages: SharedPages::new(pages),
        settings: Settings {
            site_origin,
            origin_secret: env("ORIGIN_VERIFY_SECRET"),
        },
        clock: Arc::new(jiff::Timestamp::now),
    };
    let app = router(state);
    if local {
        let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(3000);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
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
