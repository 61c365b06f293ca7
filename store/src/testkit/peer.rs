//! The tests' DynamoDB peer: a real DynamoDB-compatible store (dynoxide, in-process on loopback) or the
//! external one `scripts/moto-peer.sh` names, a client for it, the tests' clock, and a count of what the
//! table holds.

use jiff::Timestamp;

use crate::Store;

/// 15 January 2030, 12:00 in Amsterdam, and ticking from there, so arrival order is real.
pub fn now() -> Timestamp {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    let base: Timestamp = "2030-01-15T11:00:00Z".parse().unwrap();
    base + jiff::SignedDuration::try_from(start.elapsed()).unwrap()
}

/// The DynamoDB peer of this test: dynoxide in-process on loopback, or the server named by
/// `OPP_TEST_DYNAMODB_ENDPOINT` (moto in server mode, started by `scripts/moto-peer.sh`), emptied first. A
/// shared peer needs `--test-threads=1`.
pub async fn start_dynoxide() -> String {
    if let Some(endpoint) = external_peer() {
        reset_moto(&endpoint);
        return endpoint;
    }
    embedded_store().await
}

/// dynoxide in-process on loopback with an empty in-memory database, whatever peer this run names (the
/// stream tests need dynoxide's stream).
pub async fn embedded_store() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let db = dynoxide::Database::memory().unwrap();
    tokio::spawn(dynoxide::server::serve_on(listener, db));
    format!("http://{address}")
}

/// The external DynamoDB peer, when this run uses one.
pub fn external_peer() -> Option<String> {
    std::env::var("OPP_TEST_DYNAMODB_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
}

/// Whether concurrent transactions are isolated on this run's peer: dynoxide's are, moto's are not (it
/// oversells), so concurrency tests run on dynoxide only.
pub fn transactions_are_isolated() -> bool {
    external_peer().is_none()
}

/// Empties moto (`POST /moto-api/reset`), so each test starts from nothing.
pub fn reset_moto(endpoint: &str) {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).expect("moto is reachable");
    write!(
        stream,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "moto reset: {answer}");
}

pub fn client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    crate::aws::local_client(endpoint)
}

/// Every item of the table, page by page (tests only).
pub async fn scan_all(
    store: &Store,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = store
            .client()
            .scan()
            .table_name(store.table())
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        items.extend(out.items().iter().cloned());
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return items,
        }
    }
}

/// Counts items per status for a meeting by scanning the whole table (tests only).
pub async fn count_statuses(store: &Store, meeting: &str) -> (u32, u32, u32, usize) {
    let mut counts = (0, 0, 0, 0);
    for item in scan_all(store).await {
        let get = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        if get("meeting") != meeting {
            continue;
        }
        match (get("type").as_str(), get("status").as_str()) {
            ("registration", "confirmed") => counts.0 += 1,
            ("registration", "waitlisted") => counts.1 += 1,
            ("registration", "cancelled") => counts.2 += 1,
            ("token", _) => counts.3 += 1,
            _ => {}
        }
    }
    counts
}
