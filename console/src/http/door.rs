//! The door (roles `deur` and `beheer`): find a person by name, address or organisation and check them in
//! with one tap; the answer at a glance (in words, an icon and a colour) with an undo; the live count.
//! Works without JavaScript. Each check-in and undo is in the audit log.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tera::Context;

use super::answer::{clock_time, message, page, see_other, store_down};
use super::lookup::{Act, act_on, meeting_with_people};
use super::{AppState, Signed};
use crate::roles::Role;
use crate::search::{ListQuery, select};
use opp_model::RegistrationStatus;
use opp_store::check_in::CheckIn;

/// At most this many people are shown for a search at the door (a name narrows it further).
const DOOR_ROWS: usize = 20;

#[derive(Deserialize, Default)]
pub struct DoorParams {
    zoek: Option<String>,
    gedaan: Option<String>,
}

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    organisation: String,
    status: &'static str,
    can_check_in: bool,
    in_since: Option<String>,
}

pub async fn door(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
    Query(params): Query<DoorParams>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Door) {
        return response;
    }
    let (meeting, people) = match meeting_with_people(&state, &meeting_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let search = params.zoek.unwrap_or_default();
    let rows: Vec<Row> = if search.trim().is_empty() {
        Vec::new()
    } else {
        if let Err(response) = state
            .audit(&who, "door-search", Some(&meeting.id), None, None)
            .await
        {
            return response;
        }
        let found = select(
            &people,
            &ListQuery {
                search: search.clone(),
                page: 1,
                ..ListQuery::default()
            },
        );
        found
            .rows
            .iter()
            .take(DOOR_ROWS)
            .map(|r| Row {
                id: r.registration_id.clone(),
                name: r.name.clone(),
                organisation: r.organisation.clone().unwrap_or_default(),
                status: r.status.label_nl(),
                can_check_in: r.status == RegistrationStatus::Confirmed && r.checked_in.is_none(),
                in_since: r.checked_in.as_ref().map(|c| clock_time(&c.at)),
            })
            .collect()
    };
    let inside = people
        .iter()
        .filter(|r| r.status == RegistrationStatus::Confirmed && r.checked_in.is_some())
        .count();
    let mut context = Context::new();
    context.insert("meeting", &serde_json::json!({
        "id": meeting.id, "title": meeting.title, "date": meeting.date_label, "city": meeting.city,
        "confirmed": meeting.confirmed,
    }));
    context.insert("inside", &inside);
    context.insert("search", &search);
    context.insert("searched", &!search.trim().is_empty());
    context.insert("rows", &rows);
    context.insert(
        "notice",
        &(params.gedaan.as_deref() == Some("terug"))
            .then_some("De laatste melding is ongedaan gemaakt."),
    );
    page(&state, Some(&who), "door.html", context)
}

/// One tap: the check-in, then the answer at a glance.
pub async fn check_in(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Response {
    let (meeting, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::door("check-in"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let outcome = match state
        .store
        .check_in(
            &meeting_id,
            &person.email,
            &registration_id,
            &who.session.name,
            (state.clock)(),
        )
        .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            tracing::error!(error = %err.0, "check-in not stored");
            return message(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "Niet gelukt",
                "Inchecken lukt nu niet: er is geen verbinding met de gegevens. Gebruik de geprinte aanwezigheidslijst, en probeer het zo opnieuw.",
                Some((
                    &format!("/bijeenkomsten/{meeting_id}/deur"),
                    "Terug naar zoeken",
                )),
            );
        }
    };
    let first_name = person
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    let (kind, icon, title, text, undo_at) = match outcome {
        CheckIn::Welcome { at } => (
            "ok",
            "✓",
            format!("Welkom, {first_name}"),
            format!("{} is nu binnen.", person.name),
            Some(at),
        ),
        CheckIn::AlreadyIn { at } => (
            "warning",
            "!",
            "Al binnen".to_string(),
            format!("{} is al binnen sinds {}.", person.name, clock_time(&at)),
            None,
        ),
        CheckIn::Waitlisted => (
            "error",
            "✗",
            "Staat op de wachtlijst".to_string(),
            format!(
                "{} heeft geen plek: deze persoon staat op de wachtlijst.",
                person.name
            ),
            None,
        ),
        CheckIn::Cancelled => (
            "error",
            "✗",
            "Afgemeld".to_string(),
            format!("{} heeft zich afgemeld voor deze bijeenkomst.", person.name),
            None,
        ),
        CheckIn::Gone => (
            "error",
            "✗",
            "Onbekend".to_string(),
            "Deze aanmelding bestaat niet (meer) voor deze bijeenkomst.".to_string(),
            None,
        ),
    };
    let mut context = Context::new();
    context.insert(
        "meeting",
        &serde_json::json!({"id": meeting.id, "title": meeting.title, "city": meeting.city}),
    );
    context.insert("kind", kind);
    context.insert("icon", icon);
    context.insert("title", &title);
    context.insert("text", &text);
    context.insert("registration_id", &registration_id);
    context.insert("undo_at", &undo_at);
    let mut response = page(&state, Some(&who), "door_result.html", context);
    if kind == "error" {
        *response.status_mut() = StatusCode::CONFLICT;
    }
    response
}

/// Undo a mistaken tap: removes only the check-in that tap made.
pub async fn undo(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::door("undo-check-in"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let at = fields.get("at").map(String::as_str).unwrap_or_default();
    match state
        .store
        .undo_check_in(&meeting_id, &person.email, &registration_id, at)
        .await
    {
        Ok(_) => see_other(&format!("/bijeenkomsten/{meeting_id}/deur?gedaan=terug")),
        Err(err) => {
            tracing::error!(error = %err.0, "check-in not undone");
            store_down(&state)
        }
    }
}
