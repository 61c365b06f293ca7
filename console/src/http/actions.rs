//! What role `beheer` does for a person, each a POST with the session's form token, each in the audit
//! log: a note (free text for organisers, never sent), send the personal link again (a link request the mailer sends), cancel on their behalf (the waiting
//! list moves up as usual), correct name, organisation and needs, erase (every registration of the address,
//! as `opp-admin erase`), and register someone by hand (the same rules and confirmation mail as the form).
//! Cancelling and erasing are asked for on a page of their own first. Each action is logged before it is
//! done ([`act_on`]).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tera::Context;

use super::answer::{message, page, see_other, store_down};
use super::lookup::{Act, act_on, meeting_with_people, person_in, unknown_meeting};
use super::{AppState, Signed};
use crate::roles::Role;
use opp_model::registration::{self, Submission};
use opp_store::link_keys;
use opp_store::{CancelOutcome, DetailsOutcome, IssuedLink, RegisterError, RegistrationRecord};

type Fields = Form<BTreeMap<String, String>>;

/// Back to the person's page, with what was done (`?gedaan=`).
fn done(meeting_id: &str, registration_id: &str, what: &str) -> Response {
    see_other(&format!(
        "{}?gedaan={what}",
        person_path(meeting_id, registration_id)
    ))
}

fn person_path(meeting_id: &str, registration_id: &str) -> String {
    format!("/bijeenkomsten/{meeting_id}/personen/{registration_id}")
}

pub async fn resend_link(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::manager("resend-link"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut said = Vec::new();
    if let Err(err) = opp_operations::send_link::send_link(
        &state.store,
        &person.email,
        (state.clock)(),
        &mut said,
    )
    .await
    {
        tracing::error!(error = %err, "link request not stored");
        return store_down(&state);
    }
    done(&meeting_id, &registration_id, "link")
}

pub async fn correct_details(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::manager("correct-details"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut values: BTreeMap<String, String> = fields
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "name" | "email" | "organisation" | "needs"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if values.get("email").is_none_or(|e| e.trim().is_empty()) {
        values.insert("email".into(), person.email.clone());
    }
    let details = match registration::validate_details(values) {
        Ok(details) => details,
        Err((errors, _)) => {
            let text = errors
                .iter()
                .map(|e| for_organiser(&e.field, &e.message))
                .collect::<Vec<_>>()
                .join(" ");
            return message(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Gegevens niet opgeslagen",
                &text,
                Some((
                    &person_path(&meeting_id, &registration_id),
                    "Terug naar de persoon",
                )),
            );
        }
    };
    // A new address is not taken over here: its owner confirms it, as on the personal page (the mailer
    // sends the confirmation link to the new address and a notice to the old one).
    let new_address = (details.email != person.email).then(|| details.email.clone());
    let same_address = registration::Details {
        email: person.email.clone(),
        ..details
    };
    let started = std::time::Instant::now();
    match state
        .store
        .correct_details_keeping_move(&person.token_hash, &same_address, (state.clock)(), started)
        .await
    {
        Ok(DetailsOutcome::Changed { .. }) => {}
        Ok(DetailsOutcome::Gone | DetailsOutcome::EmailTaken) => {
            return message(
                &state,
                StatusCode::CONFLICT,
                "Gegevens niet opgeslagen",
                "Deze aanmelding is afgemeld of veranderd terwijl u keek. Open de persoon opnieuw.",
                Some((
                    &person_path(&meeting_id, &registration_id),
                    "Terug naar de persoon",
                )),
            );
        }
        Err(err) => {
            tracing::error!(error = %err.0, "details not stored");
            return store_down(&state);
        }
    }
    if let Some(to) = new_address {
        return request_move(&state, &person, &meeting_id, &registration_id, to).await;
    }
    done(&meeting_id, &registration_id, "gegevens")
}

pub async fn add_note(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::manager("add-note"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = fields.get("notitie").map(|t| t.trim()).unwrap_or_default();
    let back = Some((
        person_path(&meeting_id, &registration_id),
        "Terug naar de persoon",
    ));
    let back = back.as_ref().map(|(href, label)| (href.as_str(), *label));
    if text.is_empty() || text.chars().count() > opp_store::notes::NOTE_MAX_CHARS {
        return message(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Notitie niet opgeslagen",
            &format!(
                "Schrijf een notitie van 1 tot {} tekens.",
                opp_store::notes::NOTE_MAX_CHARS
            ),
            back,
        );
    }
    match state
        .store
        .add_note(
            &meeting_id,
            &person.email,
            &registration_id,
            &who.session.name,
            text,
            (state.clock)(),
        )
        .await
    {
        Ok(true) => done(&meeting_id, &registration_id, "notitie"),
        Ok(false) => message(
            &state,
            StatusCode::CONFLICT,
            "Notitie niet opgeslagen",
            "Deze aanmelding is veranderd terwijl u schreef. Open de persoon opnieuw.",
            back,
        ),
        Err(err) => {
            tracing::error!(error = %err.0, "note not stored");
            store_down(&state)
        }
    }
}

/// How many address moves an organiser may ask for per registration per day (the person's own limit is
/// `limits.moves_per_day` in config.yaml; an organiser is not who the limit is for).
const ORGANISER_MOVES_PER_DAY: u32 = 20;

/// Asks the new address to confirm a move, as the personal page does.
async fn request_move(
    state: &AppState,
    person: &RegistrationRecord,
    meeting_id: &str,
    registration_id: &str,
    to: String,
) -> Response {
    let back = person_path(meeting_id, registration_id);
    let ring = match state.settings.link_keys.ring().await {
        Ok(ring) => ring,
        Err(err) => {
            tracing::error!(error = %err, "link key not readable");
            return store_down(state);
        }
    };
    let Ok(random) = link_keys::new_link_random() else {
        return store_down(state);
    };
    let id = opp_model::links::to_hex(&random);
    let Some(move_token) = ring.move_token(ring.current(), &id) else {
        return store_down(state);
    };
    let request = opp_store::moves::MoveRequest {
        to,
        id,
        key_version: ring.current(),
        token_hash: opp_model::token::hash(&move_token),
    };
    match state
        .store
        .request_move(
            &person.token_hash,
            &request,
            (state.clock)(),
            ORGANISER_MOVES_PER_DAY,
        )
        .await
    {
        Ok(opp_store::moves::MoveRequested::Requested) => {
            see_other(&format!("{back}?gedaan=adres"))
        }
        Ok(opp_store::moves::MoveRequested::TooOften) => message(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            "E-mailadres niet gewijzigd",
            "Voor deze aanmelding is vandaag al vaak om een ander e-mailadres gevraagd. Probeer het morgen opnieuw.",
            Some((&back, "Terug naar de persoon")),
        ),
        Ok(opp_store::moves::MoveRequested::Gone) => message(
            state,
            StatusCode::CONFLICT,
            "E-mailadres niet gewijzigd",
            "Deze aanmelding is afgemeld of veranderd terwijl u keek. Open de persoon opnieuw.",
            Some((&back, "Terug naar de persoon")),
        ),
        Err(err) => {
            tracing::error!(error = %err.0, "address move not stored");
            store_down(state)
        }
    }
}

/// To another meeting: a seat or its waiting list by the same rules as registering, in one transaction
/// with the old meeting (whose first waiting person gets a freed seat). The person keeps their link and
/// gets the new meeting's confirmation.
pub async fn move_meeting(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let to = fields
        .get("naar")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act {
            detail: Some(&to),
            ..Act::manager("move-meeting")
        },
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let back = person_path(&meeting_id, &registration_id);
    let refused = |status: StatusCode, text: &str| {
        message(
            &state,
            status,
            "Niet verplaatst",
            text,
            Some((&back, "Terug naar de persoon")),
        )
    };
    use opp_store::meeting_moves::MeetingMoved;
    match state
        .store
        .move_to_meeting(
            &meeting_id,
            &person.email,
            &registration_id,
            &to,
            (state.clock)(),
        )
        .await
    {
        Ok(MeetingMoved::Moved { .. }) => done(&to, &registration_id, "verplaatst"),
        Ok(MeetingMoved::Taken) => refused(
            StatusCode::CONFLICT,
            "Dit e-mailadres heeft al een aanmelding voor die bijeenkomst (misschien een afgemelde). Zoek de persoon daar.",
        ),
        Ok(MeetingMoved::Full) => refused(
            StatusCode::CONFLICT,
            "Die bijeenkomst is vol, en de wachtlijst ook.",
        ),
        Ok(MeetingMoved::Closed) => refused(
            StatusCode::CONFLICT,
            "Die bijeenkomst is al geweest of gaat niet door.",
        ),
        Ok(MeetingMoved::UnknownMeeting) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Kies een andere bijeenkomst uit de lijst.",
        ),
        Ok(MeetingMoved::Gone) => refused(
            StatusCode::CONFLICT,
            "Deze aanmelding is afgemeld of veranderd terwijl u keek. Open de persoon opnieuw.",
        ),
        Err(err) => {
            tracing::error!(error = %err.0, "meeting move not stored");
            store_down(&state)
        }
    }
}

/// `.../afmelden` (GET): what cancelling does, and the button that does it.
pub async fn confirm_cancel(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
) -> Response {
    confirm_page(state, who, meeting_id, registration_id, "afmelden").await
}

/// `.../wissen` (GET): what erasing does, and the button that does it.
pub async fn confirm_erase(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
) -> Response {
    confirm_page(state, who, meeting_id, registration_id, "wissen").await
}

async fn confirm_page(
    state: AppState,
    who: Signed,
    meeting_id: String,
    registration_id: String,
    action: &str,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    let person = match meeting_with_people(&state, &meeting_id)
        .await
        .and_then(|(_, people)| person_in(&state, people, &meeting_id, &registration_id))
    {
        Ok(person) => person,
        Err(response) => return response,
    };
    if let Err(response) = state
        .audit(
            &who,
            "view-person",
            Some(&meeting_id),
            Some(&registration_id),
            Some(action),
        )
        .await
    {
        return response;
    }
    let (title, text, button) = match action {
        "afmelden" => (
            "Afmelden",
            "Wilt u deze persoon afmelden voor de bijeenkomst? De persoon krijgt daarover een e-mail. Heeft de persoon een plek? Dan gaat die plek naar de eerste op de wachtlijst.",
            "Ja, meld af",
        ),
        _ => (
            "Gegevens wissen",
            "Wilt u alle gegevens van dit e-mailadres wissen? Dat geldt voor alle aanmeldingen met dit adres, ook voor andere bijeenkomsten. Dit kan niet ongedaan worden gemaakt. Een vrije plek gaat naar de eerste op de wachtlijst.",
            "Ja, wis alles",
        ),
    };
    let mut context = Context::new();
    context.insert("title", title);
    context.insert("text", text);
    context.insert("button", button);
    context.insert(
        "action",
        &format!("{}/{action}", person_path(&meeting_id, &registration_id)),
    );
    context.insert("back", &person_path(&meeting_id, &registration_id));
    context.insert(
        "person",
        &json!({"name": person.name, "email": person.email}),
    );
    page(&state, Some(&who), "confirm.html", context)
}

pub async fn cancel(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::manager("cancel"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    match state
        .store
        .cancel(&person.token_hash, (state.clock)())
        .await
    {
        Ok(Some(CancelOutcome::Cancelled { .. } | CancelOutcome::AlreadyCancelled)) | Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err.0, "cancellation not stored");
            return store_down(&state);
        }
    }
    done(&meeting_id, &registration_id, "afgemeld")
}

pub async fn erase(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, registration_id)): Path<(String, String)>,
    Form(fields): Fields,
) -> Response {
    let (_, person) = match act_on(
        &state,
        &who,
        &fields,
        (&meeting_id, &registration_id),
        Act::manager("erase"),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    // Logged already (act_on): an erasure that half happened is still in the log (it holds only ids).
    let mut said = Vec::new();
    if let Err(err) = opp_operations::erase::erase(
        &state.store,
        &person.email,
        false,
        (state.clock)(),
        &mut said,
    )
    .await
    {
        tracing::error!(error = %err, "erasure not finished");
        return message(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Wissen is niet afgemaakt",
            "Niet alle gegevens konden worden gewist. Probeer het over een paar minuten opnieuw: wat al gewist is, blijft gewist.",
            Some((
                &person_path(&meeting_id, &registration_id),
                "Opnieuw proberen",
            )),
        );
    }
    see_other(&format!("/bijeenkomsten/{meeting_id}?gedaan=gewist"))
}

/// A field error of the registration rules, said to the organiser who fills in the form for someone else:
/// the rules speak to the registrant ("Vul je naam in"), the back office about them ("Vul de naam in").
fn for_organiser(field: &str, message: &str) -> String {
    match field {
        "role" => "Kies een rol.".into(),
        "sector" => "Kies de sector: in welk onderwijs werkt de persoon?".into(),
        "privacy" => {
            "Vink aan dat de persoon weet dat we de gegevens gebruiken voor deze aanmelding.".into()
        }
        _ => message
            .replace(
                "Kijk of je het goed hebt getypt",
                "Kijk of het goed is getypt",
            )
            .replace("Je naam", "De naam")
            .replace("je naam", "de naam")
            .replace("je e-mailadres", "het e-mailadres")
            .replace("van je school", "van de school")
            .replace("Je antwoord", "Het antwoord")
            .replace("je antwoord", "het antwoord"),
    }
}

/// `/bijeenkomsten/{m}/aanmelden` (GET): the form to register someone by hand.
pub async fn register_form(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    register_page(
        &state,
        &who,
        &meeting_id,
        &[],
        &BTreeMap::new(),
        StatusCode::OK,
    )
    .await
}

async fn register_page(
    state: &AppState,
    who: &Signed,
    meeting_id: &str,
    errors: &[registration::FieldError],
    values: &BTreeMap<String, String>,
    status: StatusCode,
) -> Response {
    let meeting = match state.store.meeting(meeting_id).await {
        Ok(Some(meeting)) => meeting,
        Ok(None) => return unknown_meeting(state),
        Err(err) => {
            tracing::error!(error = %err.0, "meeting not readable");
            return store_down(state);
        }
    };
    let mut context = Context::new();
    context.insert("meeting", &json!({"id": meeting.id, "title": meeting.title, "date": meeting.date_label, "city": meeting.city}));
    context.insert("errors", errors);
    context.insert("values", values);
    let mut response = page(state, Some(who), "register.html", context);
    *response.status_mut() = status;
    response
}

pub async fn register(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
    Form(fields): Fields,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    if let Err(response) = who.check_form(&state, fields.get("csrf").map(String::as_str)) {
        return response;
    }
    let mut values: BTreeMap<String, String> = fields
        .into_iter()
        .filter(|(k, _)| {
            registration::FIELDS.contains(&k.as_str()) && k != registration::HONEYPOT_FIELD
        })
        .collect();
    values.insert("meeting".into(), meeting_id.clone());
    let registration = match registration::validate(values) {
        Submission::Valid(registration) => registration,
        Submission::Invalid { mut errors, values } => {
            for error in &mut errors {
                error.message = for_organiser(&error.field, &error.message);
            }
            return register_page(
                &state,
                &who,
                &meeting_id,
                &errors,
                &values,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Submission::Bot => return store_down(&state),
    };
    if let Err(response) = state
        .audit(&who, "register", Some(&meeting_id), None, None)
        .await
    {
        return response;
    }
    let ring = match state.settings.link_keys.ring().await {
        Ok(ring) => ring,
        Err(err) => {
            tracing::error!(error = %err, "link key not readable");
            return store_down(&state);
        }
    };
    let Ok(random) = link_keys::new_link_random() else {
        return store_down(&state);
    };
    let link = ring.issue(random);
    let refused = |text: &str| {
        message(
            &state,
            StatusCode::CONFLICT,
            "Niet aangemeld",
            text,
            Some((
                &format!("/bijeenkomsten/{meeting_id}/aanmelden"),
                "Terug naar het formulier",
            )),
        )
    };
    match state
        .store
        .register(&registration, IssuedLink::derived(&link), (state.clock)())
        .await
    {
        Ok(_) => {}
        Err(RegisterError::Duplicate) => {
            return refused(
                "Dit e-mailadres is al aangemeld voor deze bijeenkomst. Zoek de persoon in de lijst.",
            );
        }
        Err(RegisterError::Closed) => {
            return refused("Aanmelden voor deze bijeenkomst is gesloten.");
        }
        Err(RegisterError::Full) => {
            return refused("Deze bijeenkomst is vol en de wachtlijst ook.");
        }
        Err(RegisterError::UnknownMeeting) => return unknown_meeting(&state),
        Err(RegisterError::TooOften | RegisterError::Unavailable(_) | RegisterError::Unknown) => {
            return store_down(&state);
        }
    }
    let stored = match state
        .store
        .registration_of(&meeting_id, &registration.email)
        .await
    {
        Ok(Some(stored)) => stored,
        Ok(None) | Err(_) => {
            return see_other(&format!("/bijeenkomsten/{meeting_id}?gedaan=aangemeld"));
        }
    };
    see_other(&format!(
        "{}?gedaan=aangemeld",
        person_path(&meeting_id, &stored.registration_id)
    ))
}

#[cfg(test)]
mod tests {
    use super::for_organiser;

    #[test]
    fn the_rules_errors_speak_about_the_person_not_to_them() {
        assert_eq!(for_organiser("name", "Vul je naam in."), "Vul de naam in.");
        assert_eq!(
            for_organiser(
                "name",
                "Vul alleen je naam in, zonder webadres of e-mailadres."
            ),
            "Vul alleen de naam in, zonder webadres of e-mailadres."
        );
        assert_eq!(
            for_organiser("email", "Vul je e-mailadres in."),
            "Vul het e-mailadres in."
        );
        assert_eq!(for_organiser("role", "Kies wie je bent."), "Kies een rol.");
        // Every message of the rules that the form can give: none still says "je" to the organiser.
        let values = std::collections::BTreeMap::from([
            ("name".to_string(), "www.x.nl".to_string()),
            ("email".to_string(), "a@".to_string()),
            ("role".to_string(), "onderwijsprofessional".to_string()),
            ("organisation".to_string(), "x".repeat(151)),
            ("needs".to_string(), "x".repeat(501)),
        ]);
        let opp_model::registration::Submission::Invalid { errors, .. } =
            opp_model::registration::validate(values)
        else {
            panic!("invalid on purpose");
        };
        assert!(errors.len() >= 5, "{errors:?}");
        for error in errors {
            let said = for_organiser(&error.field, &error.message);
            assert!(!said.contains(" je ") && !said.starts_with("Je "), "{said}");
        }
    }
}
