//! Finding what a screen is about: a meeting with its registrations, and one registration by its id (never
//! by its address, which stays out of URLs). Each answers the page that says what is missing.

use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::answer::{message, store_down};
use opp_model::records::MeetingRecord;
use opp_store::RegistrationRecord;

/// A meeting and its registrations (every status, in order of arrival).
pub async fn meeting_with_people(
    state: &AppState,
    meeting_id: &str,
) -> Result<(MeetingRecord, Vec<RegistrationRecord>), Response> {
    let meeting = match state.store.meeting(meeting_id).await {
        Ok(Some(meeting)) => meeting,
        Ok(None) => return Err(unknown_meeting(state)),
        Err(err) => {
            tracing::error!(error = %err.0, "meeting not readable");
            return Err(store_down(state));
        }
    };
    let people = state
        .store
        .registrations(&meeting.id, &mut |_| {})
        .await
        .map_err(|err| {
            tracing::error!(error = %err.0, "registrations not readable");
            store_down(state)
        })?;
    Ok((meeting, people))
}

/// One registration of a meeting, by its registration id.
pub fn person_in(
    state: &AppState,
    people: Vec<RegistrationRecord>,
    meeting_id: &str,
    registration_id: &str,
) -> Result<RegistrationRecord, Response> {
    people
        .into_iter()
        .find(|r| r.registration_id == registration_id)
        .ok_or_else(|| {
            message(
                state,
                StatusCode::NOT_FOUND,
                "Aanmelding niet gevonden",
                "Deze aanmelding bestaat niet (meer). Misschien is ze gewist. Zoek de persoon in de lijst van de bijeenkomst.",
                Some((&format!("/bijeenkomsten/{meeting_id}"), "Naar de lijst")),
            )
        })
}

pub fn unknown_meeting(state: &AppState) -> Response {
    message(
        state,
        StatusCode::NOT_FOUND,
        "Bijeenkomst niet gevonden",
        "Deze bijeenkomst bestaat niet (meer). Kies een bijeenkomst in het overzicht.",
        Some(("/", "Naar het overzicht")),
    )
}
