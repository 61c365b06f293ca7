//! Back-office benchmarks (bench/README.md, "Back office"): the function time of the overview, the first page
//! of a 300-person meeting's list and a search over those 300 (the router in process, warm, against the
//! embedded store on loopback), each page's size gzipped, and the cold start of `opp-console --local` to its
//! first page. A session is stored directly (as a sign-in would), so no OpenID provider is involved: the
//! figures do not count the provider, as the issue asks. Run with `bash bench/console.sh`; `--quick` is
//! the tiny run CI uses to keep it working.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use clap::Parser;
use opp_console::http::{AppState, Settings, router};
use opp_console::http_client::ProviderClient;
use opp_console::oidc::{OidcSettings, Provider};
use opp_console::pages::Pages;
use opp_console::roles::RoleClaim;
use opp_console::session::{self, SessionLimits};
use opp_model::registration::Registration;
use opp_store::Store;
use opp_store::sessions::SessionRecord;
use tower::ServiceExt;

#[path = "../startup.rs"]
mod startup;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MEETING: &str = "bench-meeting";
const ORIGIN: &str = "http://beheer.localhost";

#[derive(Parser)]
struct Cli {
    /// People registered for the meeting.
    #[arg(long, default_value_t = 300)]
    people: usize,
    /// Requests per page measured (after 20 warm-up requests).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Starts of `opp-console --local` to time.
    #[arg(long, default_value_t = 10)]
    starts: usize,
    /// The `opp-console` binary to start.
    #[arg(long)]
    console_bin: Option<PathBuf>,
    /// A tiny run that only checks that everything works (CI).
    #[arg(long)]
    quick: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    if cli.quick {
        cli.people = 30;
        cli.requests = 5;
        cli.starts = 1;
    }
    let (store, endpoint) = seeded_store(cli.people).await?;
    let (cookie, csrf) = signed_in(&store).await?;
    let app = router(console_state(store.clone()));
    println!("| measurement | median | p95 | page gzipped |");
    println!("|---|---|---|---|");
    let pages = [
        ("overview", "/".to_string()),
        (
            "the meeting's list, first page",
            format!("/bijeenkomsten/{MEETING}"),
        ),
        (
            "a search over the meeting",
            format!("/bijeenkomsten/{MEETING}?zoek=deelnemer+1&status=&sorteer=naam"),
        ),
    ];
    for (name, path) in &pages {
        let (median, p95, gzipped) = time_page(&app, path, &cookie, cli.requests).await?;
        println!(
            "| {name} ({} people) | {:.1} ms | {:.1} ms | {:.1} KB |",
            cli.people,
            median.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
            gzipped as f64 / 1024.0
        );
    }
    let (median, p95) = time_scans(&app, &store, &cookie, &csrf, cli.requests).await?;
    println!(
        "| door: a scanned code to its answer (\"Welkom\", checked in; each a different seat) | {:.1} ms | {:.1} ms | |",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
    );
    let cold = cold_start(&cli, &endpoint, &cookie).await?;
    println!(
        "| cold start: `opp-console --local` to the overview (median of {}) | {:.0} ms | | |",
        cli.starts,
        cold.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The embedded store on loopback with one meeting and `people` registrations.
async fn seeded_store(people: usize) -> anyhow::Result<(Store, String)> {
    let endpoint = opp_store::testkit::embedded_store().await;
    let store = Store::new(opp_store::testkit::client(&endpoint), "opp-registrations");
    store
        .create_table_without_stream()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    let now = opp_store::testkit::now();
    for i in 0..4 {
        let meeting = opp_store::testkit::sample::meeting(&if i == 0 {
            MEETING.to_string()
        } else {
            format!("{MEETING}-{i}")
        })
        .capacity(250)
        .open_from(now)
        .build();
        store
            .put_meeting_details(&meeting)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    for i in 0..people {
        let registration = Registration {
            meeting: MEETING.into(),
            name: format!("Deelnemer {i}"),
            email: format!("deelnemer{i}@example.nl"),
            role: "ouder".into(),
            sector: None,
            organisation: Some(format!("School {}", i % 17)),
            needs: None,
        };
        let hash = opp_model::token::hash(&opp_model::token::new_token()?);
        store
            .register(&registration, &hash, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok((store, endpoint))
}

/// A session as a sign-in stores it; returns the cookie.
/// A stored session: its cookie and its form token.
async fn signed_in(store: &Store) -> anyhow::Result<(String, String)> {
    let id = session::new_id().map_err(anyhow::Error::msg)?;
    let csrf = session::new_id().map_err(anyhow::Error::msg)?;
    let now = jiff::Timestamp::now().as_second();
    store
        .start_session(
            &session::id_hash(&id),
            &SessionRecord {
                subject: "bench".into(),
                name: "Bench".into(),
                role: "beheer".into(),
                csrf: csrf.clone(),
                started_at: now,
                last_seen: now,
                ends_at: now + 36_000,
                id_token: None,
                code_misses: 0,
                code_window: 0,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    Ok((format!("opp-beheer={id}"), csrf))
}

fn console_state(store: Store) -> AppState {
    let provider = Provider::new(
        OidcSettings {
            // Never reached: the session exists, nobody signs in during the benchmark.
            issuer: "http://127.0.0.1:9".into(),
            client_id: "bench".into(),
            client_secret: None,
            redirect_url: format!("{ORIGIN}/aanmelden/klaar"),
            scopes: Vec::new(),
            logout_url: None,
        },
        ProviderClient::new().expect("TLS roots"),
    )
    .expect("provider settings");
    AppState::new(
        store,
        provider,
        Pages::embedded().expect("templates"),
        Settings {
            origin: ORIGIN.into(),
            role_claim: RoleClaim::default(),
            limits: SessionLimits::default(),
            audit_days: 365,
            link_keys: opp_store::link_keys::LinkKeySource::fixed(
                opp_model::links::LinkKeys::first([7; 32]),
            ),
            origin_secret: opp_store::origin_secret::OriginSecret::Off,
        },
    )
    .with_clock(Arc::new(jiff::Timestamp::now))
}

/// Median and 95th percentile of the router's time for `path` (from the request to the whole body), and
/// the body's size gzipped.
async fn time_page(
    app: &axum::Router,
    path: &str,
    cookie: &str,
    requests: usize,
) -> anyhow::Result<(Duration, Duration, usize)> {
    let mut times = Vec::with_capacity(requests);
    let mut body = Vec::new();
    for i in 0..requests + 20 {
        let request = axum::http::Request::get(path)
            .header("cookie", cookie)
            .body(Body::empty())?;
        let started = Instant::now();
        let response = app.clone().oneshot(request).await?;
        anyhow::ensure!(response.status() == 200, "{path}: {}", response.status());
        body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await?
            .to_vec();
        if i >= 20 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&body)?;
    let gzipped = gzip.finish()?.len();
    Ok((
        times[times.len() / 2],
        times[(times.len() * 95 / 100).min(times.len() - 1)],
        gzipped,
    ))
}

/// From a scanned code's POST to the door's answer, through the router and the store: the meeting and its
/// people read, the audit entry, the conditional check-in write, the page. Each request checks in another
/// seat (the first 20 warm up), so every one is a real "Welkom".
async fn time_scans(
    app: &axum::Router,
    store: &Store,
    cookie: &str,
    csrf: &str,
    requests: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let codes: Vec<String> = store
        .registrations(MEETING, &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?
        .into_iter()
        .filter(|r| r.status == opp_model::RegistrationStatus::Confirmed)
        .filter_map(|r| r.check_in_code)
        .collect();
    let warm_up = 20.min(codes.len() / 4);
    anyhow::ensure!(
        codes.len() >= requests + warm_up,
        "{} seats for {} scans: raise --people",
        codes.len(),
        requests + warm_up
    );
    let mut times = Vec::with_capacity(requests);
    for (i, code) in codes.iter().take(requests + warm_up).enumerate() {
        let request = axum::http::Request::post(format!("/bijeenkomsten/{MEETING}/deur/code"))
            .header("cookie", cookie)
            .header("origin", ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&code={code}")))?;
        let started = Instant::now();
        let response = app.clone().oneshot(request).await?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        anyhow::ensure!(
            status == 200 && String::from_utf8_lossy(&body).contains("Welkom"),
            "scan {i}: {status}"
        );
        if i >= warm_up {
            times.push(started.elapsed());
        }
    }
    times.sort();
    Ok((
        times[times.len() / 2],
        times[(times.len() * 95 / 100).min(times.len() - 1)],
    ))
}

/// Median time from starting `opp-console --local` to its first answer to `GET /` with a session.
async fn cold_start(cli: &Cli, endpoint: &str, cookie: &str) -> anyhow::Result<Duration> {
    let binary = match &cli.console_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("opp-console"),
    };
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build opp-console first",
        binary.display()
    );
    let keys = tempfile_path("opp-bench-console-keys.json");
    let median = startup::median_startup(
        "opp-console",
        cli.starts,
        |port| {
            let mut command = tokio::process::Command::new(&binary);
            command
                .args(["--local", "--port", &port.to_string()])
                .args(["--link-key-file", &keys.display().to_string()])
                .env("AWS_ENDPOINT_URL", endpoint)
                .env("TABLE_NAME", "opp-registrations")
                .env("CONSOLE_ORIGIN", ORIGIN)
                .env("OIDC_ISSUER", "http://127.0.0.1:9")
                .env("OIDC_CLIENT_ID", "bench")
                .env("AWS_REGION", "eu-central-1")
                .env("AWS_ACCESS_KEY_ID", "bench")
                .env("AWS_SECRET_ACCESS_KEY", "bench")
                .env("RUST_LOG", "warn");
            command
        },
        "/",
        &format!("Cookie: {cookie}\r\n"),
    )
    .await;
    // The console writes a key ring there on its first start; it is the benchmark's to remove.
    let _ = std::fs::remove_file(&keys);
    median
}

fn tempfile_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{}-{name}", std::process::id()))
}
