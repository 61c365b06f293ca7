//! The door (roles `deur` and `beheer`): find a person by name, address or organisation and check them in
//! with one tap; the answer at a glance (in words, an icon and a colour) with an undo; the live count.
//! Or by check-in code: scanned by the camera (console.js) or typed (the short form). Works without
//! JavaScript. Each check-in and undo is in the audit log.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tera::Context;

use super::answer::{clock_time, message, page, see_other, store_down};
use super::lookup::{Act, act_on, act_on_meeting, meeting_with_people};
use super::{AppState, Signed};
use crate::roles::Role;
use crate::search::{ListQuery, select};
use opp_model::RegistrationStatus;
use opp_model::check_in_code::{self, TypedCode};
use opp_model::records::MeetingRecord;
use opp_store::RegistrationRecord;
use opp_store::check_in::CheckIn;
use opp_store::sessions::CODE_MISS_WINDOW;

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
    check_in_and_answer(&state, &who, &meeting, &person).await
}

/// The check-in itself (one conditional write) and its answer, however the person was found. A called-off
/// meeting has no valid seats to check in to.
async fn check_in_and_answer(
    state: &AppState,
    who: &Signed,
    meeting: &MeetingRecord,
    person: &RegistrationRecord,
) -> Response {
    if meeting.called_off {
        return door_answer(
            state,
            who,
            meeting,
            DoorAnswer::refused(
                "Gaat niet door",
                "Deze bijeenkomst gaat niet door. Niemand kan inchecken.".to_string(),
            ),
        );
    }
    match state
        .store
        .check_in(
            &meeting.id,
            &person.email,
            &person.registration_id,
            &who.session.name,
            (state.clock)(),
        )
        .await
    {
        Ok(outcome) => answer_check_in(state, who, meeting, person, outcome),
        Err(err) => {
            tracing::error!(error = %err.0, "check-in not stored");
            not_stored(state, &meeting.id)
        }
    }
}

/// How a result at the door looks: kind (colour), icon, title and one sentence, and the undo when there is one.
struct DoorAnswer {
    kind: &'static str,
    icon: &'static str,
    title: String,
    text: String,
    registration_id: Option<String>,
    undo_at: Option<String>,
}

impl DoorAnswer {
    fn refused(title: &str, text: String) -> DoorAnswer {
        DoorAnswer {
            kind: "error",
            icon: "✗",
            title: title.to_string(),
            text,
            registration_id: None,
            undo_at: None,
        }
    }
}

fn answer_check_in(
    state: &AppState,
    who: &Signed,
    meeting: &MeetingRecord,
    person: &RegistrationRecord,
    outcome: CheckIn,
) -> Response {
    let first_name = person
        .name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    let answer = match outcome {
        CheckIn::Welcome { at } => DoorAnswer {
            kind: "ok",
            icon: "✓",
            title: format!("Welkom, {first_name}"),
            text: format!("{} is nu binnen.", person.name),
            registration_id: Some(person.registration_id.clone()),
            undo_at: Some(at),
        },
        CheckIn::AlreadyIn { at } => DoorAnswer {
            kind: "warning",
            icon: "!",
            title: "Al binnen".to_string(),
            text: format!("{} is al binnen sinds {}.", person.name, clock_time(&at)),
            registration_id: None,
            undo_at: None,
        },
        CheckIn::Waitlisted => DoorAnswer::refused(
            "Staat op de wachtlijst",
            format!(
                "{} heeft geen plek: deze persoon staat op de wachtlijst.",
                person.name
            ),
        ),
        CheckIn::Cancelled => DoorAnswer::refused(
            "Afgemeld",
            format!("{} heeft zich afgemeld voor deze bijeenkomst.", person.name),
        ),
        CheckIn::Gone => DoorAnswer::refused(
            "Onbekend",
            "Deze aanmelding bestaat niet (meer) voor deze bijeenkomst.".to_string(),
        ),
    };
    door_answer(state, who, meeting, answer)
}

fn door_answer(
    state: &AppState,
    who: &Signed,
    meeting: &MeetingRecord,
    answer: DoorAnswer,
) -> Response {
    let mut context = Context::new();
    context.insert(
        "meeting",
        &serde_json::json!({"id": meeting.id, "title": meeting.title, "city": meeting.city}),
    );
    context.insert("kind", answer.kind);
    context.insert("icon", answer.icon);
    context.insert("title", &answer.title);
    context.insert("text", &answer.text);
    context.insert("registration_id", &answer.registration_id);
    context.insert("undo_at", &answer.undo_at);
    let mut response = page(state, Some(who), "door_result.html", context);
    match answer.kind {
        "error" => *response.status_mut() = StatusCode::CONFLICT,
        "wait" => *response.status_mut() = StatusCode::TOO_MANY_REQUESTS,
        _ => {}
    }
    response
}

/// Wrong short codes a session may type in [`CODE_MISS_WINDOW`] seconds (a short code is 40 bits: guessing
/// one among a meeting's few hundred would take about a billion tries).
pub const CODE_MISSES_ALLOWED: u32 = 10;

/// A scanned or typed check-in code: the whole code (from the camera) or its short form (read aloud). The
/// short form is looked up only among this meeting's registrations; a whole code also finds another meeting.
pub async fn check_in_by_code(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
    Form(fields): Form<BTreeMap<String, String>>,
) -> Response {
    let (meeting, people) =
        match act_on_meeting(&state, &who, &fields, &meeting_id, Role::Door).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let typed = match check_in_code::parse(fields.get("code").map(String::as_str).unwrap_or("")) {
        Ok(typed) => typed,
        Err(problem) => {
            return door_answer(
                &state,
                &who,
                &meeting,
                DoorAnswer::refused("Onbekende code", problem.message_nl()),
            );
        }
    };
    let now = (state.clock)().as_second();
    let window = now - now.rem_euclid(CODE_MISS_WINDOW);
    if matches!(typed, TypedCode::Short(_))
        && who.session.code_window == window
        && who.session.code_misses >= CODE_MISSES_ALLOWED
    {
        return door_answer(
            &state,
            &who,
            &meeting,
            DoorAnswer {
                kind: "wait",
                ..DoorAnswer::refused(
                    "Even wachten",
                    "Er is te vaak een verkeerde code getypt. Zoek de persoon op naam, of probeer het over 10 minuten opnieuw.".to_string(),
                )
            },
        );
    }
    let found: Vec<&RegistrationRecord> = people
        .iter()
        .filter(|r| {
            r.check_in_code.as_deref().is_some_and(|code| match &typed {
                TypedCode::Whole(whole) => code == whole,
                TypedCode::Short(short) => check_in_code::has_short_form(code, short),
            })
        })
        .collect();
    let person = match found.as_slice() {
        [person] => *person,
        [] => return unknown_code(&state, &who, &meeting, &typed).await,
        _ => {
            return door_answer(
                &state,
                &who,
                &meeting,
                DoorAnswer::refused(
                    "Zoek op naam",
                    "Meer aanmeldingen hebben deze korte code. Zoek de persoon op naam."
                        .to_string(),
                ),
            );
        }
    };
    let detail = match typed {
        TypedCode::Whole(_) => "code",
        TypedCode::Short(_) => "short-code",
    };
    if let Err(response) = state
        .audit(
            &who,
            "check-in",
            Some(&meeting.id),
            Some(&person.registration_id),
            Some(detail),
        )
        .await
    {
        return response;
    }
    check_in_and_answer(&state, &who, &meeting, person).await
}

/// A code nobody of this meeting has: another meeting's (a whole code says which), or unknown. A wrong
/// short code counts against the session's allowance.
async fn unknown_code(
    state: &AppState,
    who: &Signed,
    meeting: &MeetingRecord,
    typed: &TypedCode,
) -> Response {
    let unknown = || {
        DoorAnswer::refused(
            "Onbekende code",
            "Deze code hoort bij geen enkele aanmelding voor deze bijeenkomst. Zoek de persoon op naam.".to_string(),
        )
    };
    match typed {
        TypedCode::Short(_) => {
            let now = (state.clock)().as_second();
            if let Err(err) = state.store.note_code_miss(&who.id_hash, now).await {
                tracing::error!(error = %err.0, "wrong code not counted");
                return store_down(state);
            }
            door_answer(state, who, meeting, unknown())
        }
        TypedCode::Whole(code) => {
            let other = match state.store.code_owner(code).await {
                Ok(Some(owner)) if owner.meeting != meeting.id => {
                    state.store.meeting(&owner.meeting).await.ok().flatten()
                }
                Ok(_) => None,
                Err(err) => {
                    tracing::error!(error = %err.0, "check-in index not readable");
                    return not_stored(state, &meeting.id);
                }
            };
            let answer = match other {
                Some(other) => DoorAnswer::refused(
                    &format!("Andere bijeenkomst: {}", other.city),
                    format!(
                        "Deze code hoort bij {} ({}), niet bij deze bijeenkomst.",
                        other.title, other.date_label
                    ),
                ),
                None => unknown(),
            };
            door_answer(state, who, meeting, answer)
        }
    }
}

/// The store could not be reached: say so, and point to the printed list.
fn not_stored(state: &AppState, meeting_id: &str) -> Response {
    message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Niet gelukt",
        "Inchecken lukt nu niet: er is geen verbinding met de gegevens. Gebruik de geprinte aanwezigheidslijst, en probeer het zo opnieuw.",
        Some((
            &format!("/bijeenkomsten/{meeting_id}/deur"),
            "Terug naar zoeken",
        )),
    )
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
