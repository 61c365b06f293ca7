//! Handler benchmarks (bench/README.md, "Handler"): start-up time of `opp-handler --local`, the handler's
//! per-registration cost against the raw TransactWriteItems it makes, and registrations per second with
//! concurrent HTTP clients, all against the embedded DynamoDB-compatible store on loopback.
//! Run with `bash bench/handler.sh` (release build); `--quick` is the tiny run CI uses to keep it working.
//! Lives in `bench/` (crate `opp-bench`), which nothing depends on, so it may link the embedded store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use axum::body::Body;
use clap::Parser;
use opp_handler::http::{AppState, Settings, router};
use opp_handler::pages::{Pages, SharedPages};
use opp_model::records::MeetingRecord;
use opp_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

#[path = "../startup.rs"]
mod startup;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORIGIN: &str = "http://127.0.0.1";

#[derive(Parser)]
struct Cli {
    /// Registrations per measurement of the per-request cost.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrent HTTP clients for the throughput run.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Registrations per client in the throughput run.
    #[arg(long, default_value_t = 250)]
    per_client: usize,
    /// Starts of `opp-handler --local` to time.
    #[arg(long, default_value_t = 10)]
    starts: usize,
    /// The `opp-handler` binary to start.
    #[arg(long)]
    handler_bin: Option<PathBuf>,
    /// A tiny run that only checks that everything works (CI).
    #[arg(long)]
    quick: bool,
    /// Only time the start-up of `--handler-bin` and print the median in milliseconds.
    #[arg(long)]
    startup_only: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    if cli.quick {
        cli.requests = 20;
        cli.clients = 4;
        cli.per_client = 5;
        cli.starts = 1;
    }
    let root = std::env::current_dir()?;

    let startup = startup(&cli).await?;
    if cli.startup_only {
        println!("{:.1}", startup.as_secs_f64() * 1000.0);
        return Ok(());
    }
    let (handler_us, raw_us) = per_request(&root, cli.requests).await?;
    let (rate, total) = throughput(&root, cli.clients, cli.per_client).await?;

    let overhead = (handler_us / raw_us - 1.0) * 100.0;
    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| (b) `opp-handler --local`: process start to first answered request (median of {}) | {:.1} ms |",
        cli.starts,
        startup.as_secs_f64() * 1000.0
    );
    println!(
        "| (c) one registration through the handler (router, {} sequential) | {:.0} µs |",
        cli.requests, handler_us
    );
    println!("| (c) the same TransactWriteItems sent directly | {raw_us:.0} µs |");
    println!("| (c) handler overhead | {overhead:.1} % |");
    println!(
        "| (d) registrations per second, {} HTTP clients, {} registrations | {rate:.0} /s |",
        cli.clients, total
    );
    Ok(())
}

/// An in-memory store on loopback with an empty table; returns the store and its endpoint.
async fn empty_store(table: &str) -> anyhow::Result<(Store, String)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let database = dynoxide::Database::memory().map_err(|e| anyhow::anyhow!("{e}"))?;
    tokio::spawn(dynoxide::server::serve_on(listener, database));
    let store = Store::new(opp_store::aws::local_client(&endpoint), table);
    store
        .create_table_without_stream()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    Ok((store, endpoint))
}

/// A store on loopback with one big meeting, and the handler's router in front of it.
async fn stack(root: &std::path::Path, capacity: u32) -> anyhow::Result<(Store, axum::Router)> {
    let (store, _) = empty_store("bench").await?;
    store
        .put_meeting_details(&meeting(capacity))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let app = router(
        AppState::new(
            store.clone(),
            SharedPages::new(Pages::from_root(root).map_err(anyhow::Error::msg)?),
            Settings {
                site_origins: vec![ORIGIN.into()],
                origin_secret: opp_handler::origin_secret::OriginSecret::Off,
                link_keys: opp_store::link_keys::LinkKeySource::fixed(
                    opp_model::links::LinkKeys::first([7; 32]),
                ),
            },
        )
        .map_err(anyhow::Error::msg)?,
    );
    Ok((store, app))
}

fn meeting(capacity: u32) -> MeetingRecord {
    opp_store::testkit::sample::meeting("bench")
        .capacity(capacity)
        .untimed()
        .open_from(jiff::Timestamp::now())
        .with(|m| {
            m.title = "Benchmark".into();
            m.path = "/bijeenkomsten/bench/".into();
            m.date = "2099-01-01".into();
            m.date_label = "donderdag 1 januari 2099".into();
            m.time_label = "13.00 tot 16.00 uur".into();
            m.venue_name = "Zaal".into();
            m.venue_address = None;
            m.venue_route = None;
            m.city = "Utrecht".into();
            m.ics_path = "/bijeenkomsten/bench/bench.ics".into();
        })
        .build()
}

fn form(email: &str) -> String {
    format!(
        "meeting=bench&name=Anna+de+Vries&email={email}&role=onderwijsprofessional&sector=po&organisation=OBS+De+Linde&privacy=ja&website="
    )
}

/// Mean microseconds per registration: through the router, and as the bare transaction.
async fn per_request(root: &std::path::Path, requests: usize) -> anyhow::Result<(f64, f64)> {
    let (store, app) = stack(root, u32::MAX / 2).await?;
    // Warm up both paths (connection pool, meeting cache, SQLite pages).
    for i in 0..20 {
        send_form(&app, &format!("warm{i}%40example.nl")).await?;
        raw_registration(&store, &format!("rawwarm{i}@example.nl")).await?;
    }
    let mut handler = Duration::ZERO;
    let mut raw = Duration::ZERO;
    // Interleaved in rounds so that both see the same table size and machine noise.
    for round in 0..requests {
        let started = Instant::now();
        send_form(&app, &format!("h{round}%40example.nl")).await?;
        handler += started.elapsed();
        let started = Instant::now();
        raw_registration(&store, &format!("r{round}@example.nl")).await?;
        raw += started.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / requests as f64;
    Ok((per(handler), per(raw)))
}

async fn send_form(app: &axum::Router, email: &str) -> anyhow::Result<()> {
    let request = axum::http::Request::post("/api/registrations")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", ORIGIN)
        .body(Body::from(form(email)))?;
    let response = app.clone().oneshot(request).await?;
    anyhow::ensure!(
        response.status() == 303
            && response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/api/registrations/")),
        "registration was not stored: {}",
        response.status()
    );
    Ok(())
}

/// The three writes the handler makes for a confirmed registration, without the handler.
async fn raw_registration(store: &Store, email: &str) -> anyhow::Result<()> {
    let s = |v: &str| AttributeValue::S(v.to_string());
    let n = |v: i64| AttributeValue::N(v.to_string());
    let token = opp_model::token::hash(&opp_model::token::new_token()?);
    let now = jiff::Timestamp::now();
    let created = opp_store::arrival_time(now);
    let item: HashMap<String, AttributeValue> = HashMap::from([
        ("PK".into(), s("MEETING#bench")),
        ("SK".into(), s(&format!("REG#{email}"))),
        ("type".into(), s("registration")),
        ("meeting".into(), s("bench")),
        ("email".into(), s(email)),
        ("name".into(), s("Anna de Vries")),
        ("role".into(), s("onderwijsprofessional")),
        ("sector".into(), s("po")),
        ("organisation".into(), s("OBS De Linde")),
        ("status".into(), s("confirmed")),
        ("created_at".into(), s(&created)),
        ("token_hash".into(), s(&token)),
        ("expires_at".into(), n(now.as_second() + 86_400)),
    ]);
    let token_item: HashMap<String, AttributeValue> = HashMap::from([
        ("PK".into(), s(&format!("TOKEN#{token}"))),
        ("SK".into(), s("TOKEN")),
        ("type".into(), s("token")),
        ("meeting".into(), s("bench")),
        ("email".into(), s(email)),
        ("created_at".into(), s(&created)),
        ("expires_at".into(), n(now.as_second() + 86_400)),
    ]);
    store
        .client()
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(store.table())
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()?,
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(store.table())
                        .set_item(Some(token_item))
                        .condition_expression("attribute_not_exists(PK)")
                        .build()?,
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(store.table())
                        .key("PK", s("MEETINGS"))
                        .key("SK", s("MEETING#bench"))
                        .update_expression("SET confirmed = confirmed + :one")
                        .condition_expression(
                            "confirmed < #capacity AND closes_at > :now AND over_at > :now AND (attribute_not_exists(opens_at) OR opens_at <= :now)",
                        )
                        .expression_attribute_names("#capacity", "capacity")
                        .expression_attribute_values(":one", n(1))
                        .expression_attribute_values(":now", n(now.as_second()))
                        .build()?,
                )
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

/// Registrations per second over HTTP/1.1 keep-alive connections, `clients` at a time.
async fn throughput(
    root: &std::path::Path,
    clients: usize,
    per_client: usize,
) -> anyhow::Result<(f64, usize)> {
    let (store, app) = stack(root, u32::MAX / 2).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        tasks.spawn(async move {
            let mut connection = tokio::net::TcpStream::connect(address).await?;
            connection.set_nodelay(true)?;
            for i in 0..per_client {
                post(
                    &mut connection,
                    address,
                    &form(&format!("c{client}-{i}%40example.nl")),
                )
                .await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let elapsed = started.elapsed();
    let total = clients * per_client;
    let meeting = store
        .meeting("bench")
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?
        .ok_or_else(|| anyhow::anyhow!("meeting gone"))?;
    anyhow::ensure!(
        meeting.confirmed as usize == total,
        "{} confirmed, expected {total}",
        meeting.confirmed
    );
    Ok((total as f64 / elapsed.as_secs_f64(), total))
}

/// One form POST on a kept-alive connection; reads the response head and body.
async fn post(
    connection: &mut tokio::net::TcpStream,
    address: SocketAddr,
    body: &str,
) -> anyhow::Result<()> {
    let request = format!(
        "POST /api/registrations HTTP/1.1\r\nHost: {address}\r\nOrigin: {ORIGIN}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    connection.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    let (header_end, mut buffered) = loop {
        let read = connection.read(&mut byte).await?;
        anyhow::ensure!(read > 0, "connection closed");
        head.extend_from_slice(&byte[..read]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break (end + 4, head.len() - (end + 4));
        }
    };
    let text = String::from_utf8_lossy(&head[..header_end]).to_ascii_lowercase();
    anyhow::ensure!(
        text.starts_with("http/1.1 303"),
        "unexpected answer: {}",
        text.lines().next().unwrap_or("")
    );
    let length: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffered < length {
        let read = connection.read(&mut byte).await?;
        anyhow::ensure!(read > 0, "connection closed");
        buffered += read;
    }
    Ok(())
}

/// Median time from starting `opp-handler --local` to its first answer to `GET /api/meetings`.
async fn startup(cli: &Cli) -> anyhow::Result<Duration> {
    let binary = match &cli.handler_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("opp-handler"),
    };
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build opp-handler first",
        binary.display()
    );
    let (_store, endpoint) = empty_store("opp-registrations").await?;
    startup::median_startup(
        "opp-handler",
        cli.starts,
        |port| {
            let mut command = tokio::process::Command::new(&binary);
            command
                .args(["--local", "--port", &port.to_string()])
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("RUST_LOG", "warn");
            command
        },
        "/api/meetings",
        "",
    )
    .await
}
