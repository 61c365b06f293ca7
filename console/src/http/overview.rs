//! The overview: per meeting the seats taken of its capacity, the waiting list, cancellations, the
//! registrations of the last 24 hours, and whether registration is open. Counters come from the meeting
//! items; the last day's count from the store (no registration leaves it). No personal data.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use tera::Context;

use super::answer::{clock_of, page, store_down};
use super::{AppState, Signed};
use opp_model::MeetingStatus;

#[derive(Serialize)]
struct Row {
    id: String,
    title: String,
    date: String,
    city: String,
    capacity: u32,
    confirmed: u32,
    waitlisted: u32,
    cancelled: u32,
    last_day: u32,
    checked_in: u32,
    status: &'static str,
}

fn status_word(status: MeetingStatus) -> &'static str {
    match status {
        MeetingStatus::NotYetOpen => "nog niet open",
        MeetingStatus::Open => "open",
        MeetingStatus::Closed => "gesloten",
        MeetingStatus::Past => "voorbij",
        MeetingStatus::CalledOff => "gaat niet door",
    }
}

pub async fn overview(State(state): State<AppState>, who: Signed) -> Response {
    let now = (state.clock)();
    let meetings = match state.store.meetings().await {
        Ok(meetings) => meetings,
        Err(err) => {
            tracing::error!(error = %err.0, "meetings not readable");
            return store_down(&state);
        }
    };
    let since = opp_store::arrival_time(now - jiff::SignedDuration::from_hours(24));
    let mut rows = Vec::with_capacity(meetings.len());
    for meeting in &meetings {
        let activity = match state.store.meeting_activity(&meeting.id, &since).await {
            Ok(activity) => activity,
            Err(err) => {
                tracing::error!(error = %err.0, "meeting activity not countable");
                return store_down(&state);
            }
        };
        rows.push(Row {
            id: meeting.id.clone(),
            title: meeting.title.clone(),
            date: meeting.date_label.clone(),
            city: meeting.city.clone(),
            capacity: meeting.capacity,
            confirmed: meeting.confirmed,
            waitlisted: meeting.waitlisted,
            cancelled: meeting.cancelled,
            last_day: activity.registered_since,
            checked_in: activity.checked_in,
            status: status_word(meeting.status(now)),
        });
    }
    let mut context = Context::new();
    context.insert("meetings", &rows);
    context.insert("current", "overview");
    context.insert("updated", &clock_of(now));
    page(&state, Some(&who), "overview.html", context)
}
