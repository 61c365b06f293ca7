//! `GET /api/meetings`: places left per meeting, public and briefly cacheable (JSON only). The pages'
//! places-left script (`theme/static/js/places.js`) reads it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::answer::{Answer, Format};
use jiff::Timestamp;
use opp_model::records::{MeetingRecord, MeetingStatus, Wanted};

/// Shared caches (CloudFront) keep the answer 30 s; browsers ask every time, so a person who just
/// registered does not see the number from before.
pub const MEETINGS_CACHE_CONTROL: &str = "public, s-maxage=30, max-age=0";

/// What a new registration for `meeting` gets now: `seat`, `waitlist`, `full` (seats and waiting list
/// taken) or `closed` (not open: not yet, no longer, over or called off). The same rule the store applies.
pub fn offer(meeting: &MeetingRecord, now: Timestamp) -> &'static str {
    if meeting.status(now) != MeetingStatus::Open {
        return "closed";
    }
    match meeting.wanted() {
        Wanted::Seat => "seat",
        Wanted::WaitingList => "waitlist",
        Wanted::Nothing => "full",
    }
}

pub async fn meetings(State(state): State<AppState>) -> Response {
    let now = (state.clock)();
    let answer = match state.store.meetings().await {
        Ok(meetings) => {
            let list: Vec<Value> = meetings
                .iter()
                .map(|m| json!({ "id": m.id, "capacity": m.capacity, "places_left": m.places_left(), "waitlisted": m.waitlisted, "waitlist_capacity": m.waitlist_capacity, "full": m.is_full(), "status": m.status(now), "offer": offer(m, now) }))
                .collect();
            Answer::data(json!({ "meetings": list }), MEETINGS_CACHE_CONTROL)
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
