//! A real DynamoDB-compatible store (dynoxide, in-process on loopback) and the handler's router in front of it,
//! driven with API Gateway HTTP API (payload 2.0) events.
#![allow(dead_code)]

use axum::Router;
use jiff::Timestamp;
use opp_handler::http::{AppState, Settings, router};
use opp_handler::meetings::MeetingRecord;
use opp_handler::pages::{Pages, SharedPages};
use opp_handler::store::Store;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

pub const ORIGIN: &str = "https://www.landelijkoppproject.nl";
pub const SECRET: &str = "test-secret-test-secret-test-secret";

/// 15 January 2030, 12:00 in Amsterdam, and ticking from there, so arrival order is real.
pub fn now() -> Timestamp {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    let base: Timestamp = "2030-01-15T11:00:00Z".parse().unwrap();
    base + jiff::SignedDuration::try_from(start.elapsed()).unwrap()
}

pub async fn start_dynoxide() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let db = dynoxide::Database::memory().unwrap();
    tokio::spawn(dynoxide::server::serve_on(listener, db));
    format!("http://{address}")
}

pub fn client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    opp_handler::local_client(endpoint)
}

pub fn meeting(id: &str, capacity: u32) -> MeetingRecord {
    MeetingRecord {
        id: id.to_string(),
        title: format!("Bijeenkomst {id}"),
        path: "/bijeenkomsten/zwolle/".into(),
        date: "2030-03-10".into(),
        date_label: "zondag 10 maart 2030".into(),
        time_label: "13.00 tot 16.30 uur".into(),
        venue_name: "Nieuwe Buitensociëteit".into(),
        venue_address: Some("Stationsweg 7".into()),
        venue_postcode: None,
        city: "Zwolle".into(),
        ics_path: "/bijeenkomsten/zwolle/zwolle.ics".into(),
        capacity,
        opens_at: None,
        closes_at: "2030-03-10T12:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second(),
        over_at: "2030-03-10T15:30:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second(),
        expires_at: "2030-06-10T00:00:00Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second(),
        confirmed: 0,
        waitlisted: 0,
        cancelled: 0,
    }
}

pub struct Stack {
    pub store: Store,
    pub app: Router,
}

/// A fresh store with a table and the given meetings, and the router with origin checks on.
pub async fn stack(meetings: &[MeetingRecord]) -> Stack {
    let endpoint = start_dynoxide().await;
    stack_on(&endpoint, meetings, true).await
}

pub async fn stack_on(endpoint: &str, meetings: &[MeetingRecord], create: bool) -> Stack {
    let store = Store::new(client(endpoint), "registrations");
    if create {
        store.create_table().await.unwrap();
        for m in meetings {
            store.put_meeting_details(m).await.unwrap();
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let state = AppState {
        store: store.clone(),
        pages: SharedPages::new(Pages::from_root(root).unwrap()),
        settings: Settings {
            site_origin: Some(ORIGIN.into()),
            origin_secret: Some(SECRET.into()),
        },
        clock: Arc::new(now),
    };
    Stack {
        store,
        app: router(state),
    }
}

/// An API Gateway HTTP API event (payload 2.0) based on the committed fixture.
pub fn event(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> lambda_http::Request {
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/apigw-v2-post-form.json")).unwrap();
    event["routeKey"] = format!("{method} {path}").into();
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    event["rawPath"] = raw_path.into();
    event["rawQueryString"] = query.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = raw_path.into();
    for (name, value) in headers {
        if value.is_empty() {
            event["headers"].as_object_mut().unwrap().remove(*name);
        } else {
            event["headers"][*name] = (*value).into();
        }
    }
    event["body"] = body.into();
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

pub async fn send(app: &Router, request: lambda_http::Request) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn form(meeting: &str, email: &str) -> String {
    format!(
        "meeting={meeting}&name=Anna+de+Vries&email={email}&role=onderwijsprofessional&sector=po&privacy=ja&website="
    )
}

pub async fn post_form(app: &Router, body: &str) -> Reply {
    send(app, event("POST", "/api/registrations", &[], body)).await
}

pub async fn post_json(app: &Router, body: &str) -> Reply {
    send(
        app,
        event(
            "POST",
            "/api/registrations",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            body,
        ),
    )
    .await
}

/// Counts items per status for a meeting by scanning the whole table (tests only).
pub async fn count_statuses(store: &Store, meeting: &str) -> (u32, u32, u32, usize) {
    let mut counts = (0, 0, 0, 0);
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
        for item in out.items() {
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
        match out.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    counts
}
