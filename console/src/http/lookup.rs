//! Finding what a screen or an action is about: a meeting with its registrations, and one registration by its
//! id (never by its address, which stays out of URLs); each answers the page that says what is missing. And
//! the checks every action on a person starts with ([`act_on`]).

use axum::http::StatusCode;
use axum::response::Response;

use std::collections::BTreeMap;

use super::answer::{message, store_down};
use super::{AppState, Signed};
use crate::roles::Role;
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

/// The checks a form about a whole meeting starts with (the role, the form token), then the meeting and its
/// people.
pub async fn act_on_meeting(
    state: &AppState,
    who: &Signed,
    fields: &BTreeMap<String, String>,
    meeting_id: &str,
    role: Role,
) -> Result<(MeetingRecord, Vec<RegistrationRecord>), Response> {
    who.require(state, role)?;
    who.check_form(state, fields.get("csrf").map(String::as_str))?;
    meeting_with_people(state, meeting_id).await
}

/// An action on a person: the role it needs and how it reads in the audit log.
pub struct Act<'a> {
    pub role: Role,
    pub action: &'a str,
    /// A remark in the audit entry (a meeting id; never personal data).
    pub detail: Option<&'a str>,
}

impl<'a> Act<'a> {
    pub fn manager(action: &'a str) -> Act<'a> {
        Act {
            role: Role::Manager,
            action,
            detail: None,
        }
    }

    pub fn door(action: &'a str) -> Act<'a> {
        Act {
            role: Role::Door,
            action,
            detail: None,
        }
    }
}

/// The checks every action on a person starts with (the role, the form token, the meeting and the person),
/// then its audit entry: an action is logged before it is done, so what cannot be logged is not done (an
/// entry may then stand for an attempt that failed).
pub async fn act_on(
    state: &AppState,
    who: &Signed,
    fields: &BTreeMap<String, String>,
    (meeting_id, registration_id): (&str, &str),
    act: Act<'_>,
) -> Result<(MeetingRecord, RegistrationRecord), Response> {
    who.require(state, act.role)?;
    who.check_form(state, fields.get("csrf").map(String::as_str))?;
    let (meeting, people) = meeting_with_people(state, meeting_id).await?;
    let person = person_in(state, people, meeting_id, registration_id)?;
    state
        .audit(
            who,
            act.action,
            Some(meeting_id),
            Some(registration_id),
            act.detail,
        )
        .await?;
    Ok((meeting, person))
}
