//! A registration's own pages behind its link: the personal page, the details form and its correction
//! (a `POST`, answered with a redirect to the page with a notice), the cancel confirmation (a `GET`
//! changes nothing), the cancellation itself (a `POST`, answered with a redirect) and its result page.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::answer::{self, Answer, DETAILS_TEMPLATE};
use super::request::{self, LinkToken};
use opp_model::records::MeetingRecord;
use opp_model::registration::{self, FieldError};
use opp_model::token;
use opp_model::{MeetingStatus, RegistrationStatus};
use opp_store::{CancelOutcome, DetailsOutcome, RegistrationRecord};

/// The page that confirms a stored correction: the personal page with a notice.
const DETAILS_CHANGED_TEMPLATE: &str = "registration_changed.html";

/// `GET …/<token>/agenda.ics`: the registration's own calendar file, for a seat only (a waiting person has
/// no appointment yet).
pub async fn personal_calendar(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    let found = if token::looks_valid(&token) {
        state
            .store
            .registration_by_token(&token::hash(&token))
            .await
    } else {
        Ok(None)
    };
    let record = match found {
        Ok(Some(record)) if record.status == RegistrationStatus::Confirmed => record,
        Ok(_) => {
            return Answer::not_found()
                .respond(request::format(&headers), &state)
                .await;
        }
        Err(err) => {
            tracing::error!(reason = %err.0, "personal calendar: store unavailable");
            return Answer::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Het lukt nu niet om je agendabestand te maken. Probeer het later nog eens.",
            )
            .respond(request::format(&headers), &state)
            .await;
        }
    };
    let Ok(Some(meeting)) = state.store.meeting(&record.meeting).await else {
        return Answer::not_found()
            .respond(request::format(&headers), &state)
            .await;
    };
    let pages = state.pages.current();
    let text = opp_model::registration_calendar::registration_calendar(
        &meeting,
        &record,
        pages.host(),
        pages.base_url(),
        (state.clock)(),
    );
    let mut response = axum::response::IntoResponse::into_response(text);
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"bijeenkomst.ics\""),
    );
    answer::private(headers);
    response
}

/// `GET` on the registration endpoint itself: links carry their token in the path only (a query string
/// ends up in more logs), so whatever the query holds, this is the page for a link that leads nowhere.
pub async fn no_personal_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    Answer::not_found()
        .respond(request::format(&headers), &state)
        .await
}

pub async fn personal_page(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, "registration.html", &headers).await
}

pub async fn cancel_confirmation(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, "registration_cancel.html", &headers).await
}

/// `GET …/gegevens`: the form to correct name, address, organisation and needs (the personal page when
/// nothing can be corrected any more).
pub async fn details_form(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, DETAILS_TEMPLATE, &headers).await
}

/// `GET …/gewijzigd`: where a stored correction redirects to.
pub async fn details_changed_page(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, DETAILS_CHANGED_TEMPLATE, &headers).await
}

/// The page a cancellation redirects to; for a registration that is not cancelled, its personal page.
pub async fn cancelled_page(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    headers: HeaderMap,
) -> Response {
    page(&state, &token, "registration_cancelled.html", &headers).await
}

async fn page(
    state: &AppState,
    token: &str,
    template: &'static str,
    headers: &HeaderMap,
) -> Response {
    show(state, token, template)
        .await
        .respond(request::format(headers), state)
        .await
}

/// The registration behind `token` as `template`, with its place on the waiting list.
async fn show(state: &AppState, token: &str, template: &'static str) -> Answer {
    let found = if token::looks_valid(token) {
        match state.store.registration_by_token(&token::hash(token)).await {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(reason = %err.0, "personal page: store unavailable");
                return Answer::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Het lukt nu niet om je aanmelding op te halen. Probeer het later nog eens.",
                );
            }
        }
    } else {
        None
    };
    let Some(record) = found else {
        return Answer::not_found();
    };
    // One read of the meeting serves the place on the waiting list and the page.
    let meeting = state.store.meeting(&record.meeting).await.ok().flatten();
    let place = answer::waitlist_place(&record, meeting.as_ref());
    let editable = editable(state, &record, meeting.as_ref());
    let template = match template {
        "registration_cancelled.html" if record.status != RegistrationStatus::Cancelled => {
            "registration.html"
        }
        DETAILS_TEMPLATE | DETAILS_CHANGED_TEMPLATE if !editable => "registration.html",
        other => other,
    };
    let mut body = json!({ "status": record.status, "meeting": record.meeting });
    answer::place_fields(&mut body, place);
    Answer::registration(template, token, record, meeting, body)
}

pub async fn cancel(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    arrived: Option<axum::Extension<super::Arrived>>,
    headers: HeaderMap,
) -> Response {
    let format = request::format(&headers);
    let arrived = arrived.map_or_else(std::time::Instant::now, |a| a.0.0);
    let answer = if request::same_origin(&headers, &state.settings) {
        cancelled(&state, &token, arrived).await
    } else {
        Answer::refused("Afmelden kan alleen via je persoonlijke pagina op de website.")
    };
    answer.respond(format, &state).await
}

/// Cancels the registration behind `token`; a browser is sent on to its "afgemeld" page.
async fn cancelled(state: &AppState, token: &str, arrived: std::time::Instant) -> Answer {
    if !token::looks_valid(token) {
        return Answer::not_found();
    }
    let now = (state.clock)();
    let hash = token::hash(token);
    let cancelled = match state.mail_budget().await {
        Some(budget) => {
            state
                .store
                .cancel_as_visitor(&hash, now, &budget, arrived)
                .await
        }
        None => state.store.cancel(&hash, now).await,
    };
    match cancelled {
        Ok(Some(outcome)) => {
            let withheld = matches!(
                outcome,
                CancelOutcome::Cancelled {
                    mail_withheld: true,
                    ..
                }
            );
            if let CancelOutcome::Cancelled {
                promoted,
                mail_withheld,
            } = outcome
            {
                tracing::info!(
                    outcome = RegistrationStatus::Cancelled.as_str(),
                    promoted,
                    mail_withheld,
                    "registration cancelled"
                );
            }
            // Post/Redirect/Get: a reload of the result asks nothing and cancels nothing.
            Answer::see_other(
                StatusCode::OK,
                answer::with_mail_withheld(
                    json!({ "status": RegistrationStatus::Cancelled }),
                    withheld,
                ),
                state.routes.cancelled(token),
            )
        }
        Ok(None) => Answer::not_found(),
        Err(err) => {
            tracing::error!(reason = %err.0, "cancel: store unavailable");
            Answer::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Afmelden lukt nu niet. Probeer het later nog eens.",
            )
        }
    }
}

/// Whether the registration's details can still be corrected: it is live and its meeting is not over.
fn editable(
    state: &AppState,
    record: &RegistrationRecord,
    meeting: Option<&MeetingRecord>,
) -> bool {
    record.status != RegistrationStatus::Cancelled
        && meeting.is_some_and(|m| m.status((state.clock)()) != MeetingStatus::Past)
}

/// `POST …/gegevens`: checks the corrections by the registration rules and stores them; a browser is
/// sent on to the personal page with a notice (Post/Redirect/Get), or gets the form again with errors.
pub async fn change_details(
    State(state): State<AppState>,
    LinkToken(token): LinkToken,
    request: Request,
) -> Response {
    let format = request::format(request.headers());
    let arrived = super::Arrived::of(request.extensions());
    let answer = if request::same_origin(request.headers(), &state.settings) {
        let (parts, body) = request.into_parts();
        match request::fields(&parts.headers, body).await {
            Ok(values) => corrected(&state, &token, values, arrived).await,
            Err(refusal) => refusal,
        }
    } else {
        Answer::refused("Je gegevens wijzigen kan alleen via je persoonlijke pagina op de website.")
    };
    answer.respond(format, &state).await
}

async fn corrected(
    state: &AppState,
    token: &str,
    values: std::collections::BTreeMap<String, String>,
    arrived: std::time::Instant,
) -> Answer {
    if !token::looks_valid(token) {
        return Answer::not_found();
    }
    let hash = token::hash(token);
    let record = match state.store.registration_by_token(&hash).await {
        Ok(Some(record)) => record,
        Ok(None) => return Answer::not_found(),
        Err(err) => return details_unavailable(&err.0),
    };
    let meeting = match state.store.meeting(&record.meeting).await {
        Ok(meeting) => meeting,
        Err(err) => return details_unavailable(&err.0),
    };
    if !editable(state, &record, meeting.as_ref()) {
        return not_editable(state, token);
    }
    let details = match registration::validate_details(values) {
        Ok(details) => details,
        Err((errors, values)) => {
            tracing::info!(outcome = "invalid", fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "details refused");
            return Answer::details_errors(token, record, meeting, json!(errors), json!(values));
        }
    };
    if details.email != record.email {
        return requested_move(state, token, &hash, &record, details, arrived).await;
    }
    let meeting_id = record.meeting.clone();
    let now = (state.clock)();
    let changed = match state.mail_budget().await {
        Some(budget) => {
            state
                .store
                .change_details_as_visitor(&hash, &details, now, &budget, arrived)
                .await
        }
        None => state.store.change_details(&hash, &details, now).await,
    };
    match changed {
        Ok(DetailsOutcome::Changed { moved, record }) => {
            let mail_withheld = moved && record.mail_withheld;
            tracing::info!(outcome = "details_changed", meeting = %meeting_id, email_changed = moved, mail_withheld, "registration details changed");
            Answer::see_other(
                StatusCode::OK,
                answer::with_mail_withheld(
                    json!({ "status": "changed", "email_changed": moved }),
                    mail_withheld,
                ),
                state.routes.details_changed(token),
            )
        }
        Ok(DetailsOutcome::EmailTaken) => {
            tracing::info!(outcome = "email_taken", meeting = %meeting_id, "details refused");
            let errors = [FieldError {
                field: "email".into(),
                message: "Met dit e-mailadres is al iemand aangemeld voor deze bijeenkomst. Vul een ander e-mailadres in.".into(),
            }];
            let values = json!({
                "name": details.name,
                "email": details.email,
                "organisation": details.organisation.as_deref().unwrap_or_default(),
                "needs": details.needs.as_deref().unwrap_or_default(),
            });
            Answer::details_errors(token, record, meeting, json!(errors), values)
        }
        Ok(DetailsOutcome::Gone) => not_editable(state, token),
        Err(err) => details_unavailable(&err.0),
    }
}

/// A new address: the other details are corrected at once, and a move to the new address waits until that
/// address confirms it (`opp_store::moves`); the stream mails the link to the new address and a notice to
/// the old one. Whether the new address already has a registration for the meeting is not said here (it
/// would tell a link holder who registered): the mail to the new address explains.
async fn requested_move(
    state: &AppState,
    token: &str,
    hash: &str,
    record: &RegistrationRecord,
    details: registration::Details,
    arrived: std::time::Instant,
) -> Answer {
    let now = (state.clock)();
    let meeting_id = record.meeting.clone();
    let Ok(ring) = state.settings.link_keys.ring().await else {
        return details_unavailable("the link key could not be read");
    };
    let limits = state.pages.current().limits().clone();
    let budget = opp_store::mail_budget::MailBudget::new(ring.clone(), &limits);
    let same_address = registration::Details {
        email: record.email.clone(),
        ..details.clone()
    };
    if let Err(err) = state
        .store
        .correct_details_keeping_move(hash, &same_address, now, arrived)
        .await
    {
        return details_unavailable(&err.0);
    }
    // The confirmation mail counts against the new address's budget; without it no move can happen.
    match state
        .store
        .take_mail_slot(&budget, &details.email, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(outcome = "move_over_budget", meeting = %meeting_id, "address move refused");
            return Answer::error(
                StatusCode::TOO_MANY_REQUESTS,
                "We hebben vandaag al veel e-mails naar dat e-mailadres gestuurd. Daarom kunnen we nu geen e-mail sturen om het te bevestigen. Probeer het morgen opnieuw.",
            );
        }
        Err(err) => return details_unavailable(&err.0),
    }
    let Ok(random) = opp_store::link_keys::new_link_random() else {
        return details_unavailable("no randomness for a move id");
    };
    let id = opp_model::links::to_hex(&random);
    let Some(move_token) = ring.move_token(ring.current(), &id) else {
        return details_unavailable("the current link key is not in the ring");
    };
    let request = opp_store::moves::MoveRequest {
        to: details.email.clone(),
        id,
        key_version: ring.current(),
        token_hash: token::hash(&move_token),
    };
    match state
        .store
        .request_move(hash, &request, now, limits.moves_per_day)
        .await
    {
        Ok(opp_store::moves::MoveRequested::Requested) => {
            tracing::info!(outcome = "move_requested", meeting = %meeting_id, "address move asked for");
            Answer::see_other(
                StatusCode::OK,
                json!({ "status": "move_requested", "email_changed": false }),
                state.routes.details_changed(token),
            )
        }
        Ok(opp_store::moves::MoveRequested::TooOften) => {
            tracing::info!(outcome = "move_too_often", meeting = %meeting_id, "address move refused");
            Answer::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Je hebt vandaag al een paar keer gevraagd om je e-mailadres te wijzigen. Probeer het morgen opnieuw.",
            )
        }
        Ok(opp_store::moves::MoveRequested::Gone) => not_editable(state, token),
        Err(err) => details_unavailable(&err.0),
    }
}

/// Cancelled meanwhile, or the meeting is over: nothing to correct; a browser sees its personal page.
fn not_editable(state: &AppState, token: &str) -> Answer {
    Answer::see_other(
        StatusCode::CONFLICT,
        json!({ "status": "not_editable" }),
        state.routes.personal_page(token),
    )
}

fn details_unavailable(reason: &str) -> Answer {
    tracing::error!(reason = %reason, "details: store unavailable");
    Answer::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Je gegevens wijzigen lukt nu niet. Probeer het later nog eens.",
    )
}
