//! `POST` on the registration endpoint: the form or JSON body through the rules into the store, and every
//! outcome as one [`Answer`]. A registration is acknowledged only after the store committed it.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::answer::{self, Answer};
use super::request;
use crate::pages::ResultPage;
use opp_model::RegistrationStatus;
use opp_model::registration::{self, Registration, Submission};
use opp_store::link_keys;
use opp_store::mail_budget::MailBudget;
use opp_store::{IssuedLink, RegisterError, Registered, Seat, VisitorLimits};

pub async fn register(State(state): State<AppState>, request: Request) -> Response {
    let format = request::format(request.headers());
    let arrived = super::Arrived::of(request.extensions());
    let answer = match checked_fields(&state, request).await {
        Ok(values) => match registration::validate(values) {
            Submission::Bot => {
                tracing::info!(outcome = "honeypot", "registration answered but not stored");
                Answer::result_page(
                    StatusCode::CREATED,
                    json!({ "status": RegistrationStatus::Confirmed }),
                    ResultPage::Received,
                )
            }
            Submission::Invalid { errors, values } => {
                tracing::info!(outcome = "invalid", fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "registration refused");
                Answer::form_errors(json!(errors), json!(values))
            }
            Submission::Valid(registration) => store(&state, &registration, arrived).await,
        },
        Err(refusal) => refusal,
    };
    answer.respond(format, &state).await
}

/// The body's fields, if the post comes from the site and can be read at all.
async fn checked_fields(
    state: &AppState,
    request: Request,
) -> Result<std::collections::BTreeMap<String, String>, Answer> {
    if !request::same_origin(request.headers(), &state.settings) {
        return Err(Answer::refused(
            "Aanmelden kan alleen via het formulier op de website.",
        ));
    }
    let (parts, body) = request.into_parts();
    request::fields(&parts.headers, body).await
}

/// Stores a valid registration with a new personal link, and answers what the store decided.
async fn store(
    state: &AppState,
    registration: &Registration,
    arrived: std::time::Instant,
) -> Answer {
    let ring = match state.settings.link_keys.ring().await {
        Ok(ring) => ring,
        Err(err) => {
            tracing::error!(outcome = "link_key_unavailable", reason = %err, "registration not stored");
            return unavailable();
        }
    };
    let Ok(random) = link_keys::new_link_random() else {
        return unavailable();
    };
    let link = ring.issue(random);
    let token = &link.token;
    let meeting = &registration.meeting;
    let now = (state.clock)();
    let limits = VisitorLimits {
        mail: MailBudget::new(ring.clone(), state.pages.current().limits()),
        reregistrations_per_day: state.pages.current().limits().reregistrations_per_day,
        started: arrived,
    };
    match state
        .store
        .register_as_visitor(registration, IssuedLink::derived(&link), now, &limits)
        .await
    {
        Ok(Registered {
            seat,
            mail_withheld,
        }) => {
            let (status, place) = match seat {
                Seat::Confirmed => (RegistrationStatus::Confirmed, None),
                Seat::Waitlisted { place } => (RegistrationStatus::Waitlisted, place),
            };
            tracing::info!(outcome = status.as_str(), meeting = %meeting, mail_withheld, "registration stored");
            let mut body = answer::with_mail_withheld(json!({ "status": status }), mail_withheld);
            answer::place_fields(&mut body, place);
            Answer::see_other(StatusCode::CREATED, body, state.routes.personal_page(token))
        }
        Err(RegisterError::Duplicate) => {
            tracing::info!(outcome = "duplicate", meeting = %meeting, "registration already stored");
            // The "al aangemeld" page says the link is on its way: the same request as "Link kwijt?".
            if let Err(reason) = super::links::write_link_request(state, &registration.email).await
            {
                tracing::warn!(reason = %reason, "link request for a duplicate not stored");
            }
            Answer::result_page(
                StatusCode::OK,
                json!({ "status": "duplicate" }),
                ResultPage::AlreadyRegistered,
            )
        }
        Err(RegisterError::TooOften) => {
            tracing::info!(outcome = "too_often", meeting = %meeting, "registration refused");
            Answer::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Je hebt je vandaag al een paar keer aangemeld en weer afgemeld voor deze bijeenkomst. Daarom kan het vandaag niet nog een keer. Probeer het morgen opnieuw, of stuur een e-mail naar de organisatie.",
            )
        }
        Err(RegisterError::UnknownMeeting) => {
            tracing::info!(outcome = "unknown_meeting", meeting = %meeting, "registration refused");
            refused(StatusCode::NOT_FOUND, "Deze bijeenkomst bestaat niet.")
        }
        Err(RegisterError::Full) => {
            tracing::info!(outcome = "full", meeting = %meeting, "registration refused");
            refused(
                StatusCode::CONFLICT,
                "Deze bijeenkomst is vol en de wachtlijst ook. Aanmelden kan niet meer.",
            )
        }
        Err(RegisterError::Closed) => {
            tracing::info!(outcome = "closed", meeting = %meeting, "registration refused");
            refused(
                StatusCode::CONFLICT,
                "Aanmelden voor deze bijeenkomst is niet mogelijk.",
            )
        }
        Err(RegisterError::Unknown) => {
            // Never "mislukt" for what may be stored, never "aangemeld" for what may not: the link shows
            // which (the registration, or the page for a link that leads nowhere).
            tracing::error!(outcome = "unknown", meeting = %meeting, "registration outcome unknown");
            Answer::see_other(
                StatusCode::ACCEPTED,
                json!({ "status": "unknown" }),
                format!("{}#controleer", state.routes.personal_page(token)),
            )
        }
        Err(RegisterError::Unavailable(reason)) => {
            tracing::error!(outcome = "store_unavailable", meeting = %meeting, reason = %reason, "registration not stored");
            unavailable()
        }
    }
}

/// The meeting cannot be registered for: the field error for scripts, the "gesloten" page for people.
fn refused(status: StatusCode, message: &str) -> Answer {
    Answer::result_page(
        status,
        json!({ "errors": [{ "field": "meeting", "message": message }] }),
        ResultPage::Closed,
    )
}

/// Nothing was stored: 503 for scripts, the "mislukt" page for people.
fn unavailable() -> Answer {
    Answer::result_page(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({ "status": "unavailable" }),
        ResultPage::Failed,
    )
}
