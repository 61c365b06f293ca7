//! A real DynamoDB-compatible store (dynoxide, in-process on loopback) and the handler's router in front of it,
//! driven with API Gateway HTTP API (payload 2.0) events.
#![allow(dead_code)]

pub use opp_store::testkit::faults;
pub use opp_store::testkit::*;

use axum::Router;
use opp_handler::http::{AppState, Settings, router};
use opp_handler::pages::{Pages, SharedPages};
use opp_model::records::MeetingRecord;
use opp_store::Store;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

pub const ORIGIN: &str = "https://www.landelijkoppproject.nl";
pub const SECRET: &str = "test-secret-test-secret-test-secret";

/// The tests' link key ring (two versions, the second current), so a test can form a link itself.
pub fn link_keys() -> opp_model::links::LinkKeys {
    opp_model::links::LinkKeys::first([11; 32]).rotated([12; 32])
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
    stack_with(
        endpoint,
        meetings,
        create,
        opp_store::link_keys::LinkKeySource::fixed(link_keys()),
    )
    .await
}

/// A stack on its own store whose function has these link keys.
pub async fn stack_with_keys(
    meetings: &[MeetingRecord],
    link_keys: opp_store::link_keys::LinkKeySource,
) -> Stack {
    let endpoint = start_dynoxide().await;
    stack_with(&endpoint, meetings, true, link_keys).await
}

async fn stack_with(
    endpoint: &str,
    meetings: &[MeetingRecord],
    create: bool,
    link_keys: opp_store::link_keys::LinkKeySource,
) -> Stack {
    let store = Store::new(client(endpoint), "registrations");
    if create {
        // The handler reads no stream; dynoxide's would slow every write (Store::create_table_without_stream).
        store.create_table_without_stream().await.unwrap();
        for m in meetings {
            store.put_meeting_details(m).await.unwrap();
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let state = AppState::new(
        store.clone(),
        SharedPages::new(Pages::from_root(root).unwrap()),
        Settings {
            site_origins: vec![ORIGIN.into()],
            origin_secret: opp_handler::origin_secret::OriginSecret::Fixed(SECRET.into()),
            link_keys,
        },
    )
    .unwrap()
    .with_clock(Arc::new(now));
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

/// The confirmation token of the address move that waits on the registration behind `personal_token`
/// (the tests' ring forms it, as the mailer does for its mail).
pub async fn move_token_of(store: &Store, personal_token: &str) -> String {
    let record = store
        .registration_by_token(&opp_model::token::hash(personal_token))
        .await
        .unwrap()
        .expect("the registration");
    let pending = record.pending_move.expect("a move that waits");
    link_keys()
        .move_token(pending.key_version, &pending.id)
        .unwrap()
}

/// Posts the confirmation of a move (the new address's button), as JSON.
pub async fn confirm_move(app: &Router, move_token: &str) -> Reply {
    send(
        app,
        event(
            "POST",
            &format!("/api/adres/{move_token}"),
            &[("accept", "application/json")],
            "",
        ),
    )
    .await
}
