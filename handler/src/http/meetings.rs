//! `GET /api/meetings`: places left per meeting, public and briefly cacheable (JSON only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::answer::{Answer, Format};

pub async fn meetings(State(state): State<AppState>) -> Response {
    let now = (state.clock)();
    let answer = match state.store.meetings().await {
        Ok(meetings) => {
            let list: Vec<Value> = meetings
                .iter()
                .map(|m| json!({ "id": m.id, "capacity": m.capacity, "places_left": m.places_left(), "waitlisted": m.waitlisted, "waitlist_capacity": m.waitlist_capacity, "full": m.is_full(), "status": m.status(now) }))
                .collect();
            Answer::data(json!({ "meetings": list }), "public, max-age=30")
        }
        Err(err) => {
            tracing::error!(reason = %err.0, "meetings: store unavailable");
            Answer::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "De bijeenkomsten zijn nu niet op te halen.",
            )
        }
    };
    answer.respond(Format::Json, &state).await
}
