//! `POST /api/links` ("Link kwijt?"): asks for the personal links of an address by email. Every valid
//! request writes a link request, known address or not, and gets the same neutral answer, so neither the
//! answer nor its timing tells whether the address is registered. The mailer sends the email.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::answer::Answer;
use super::request;
use crate::pages::ResultPage;
use opp_model::registration::email_key;

pub async fn request_links(State(state): State<AppState>, request: Request) -> Response {
    let format = request::format(request.headers());
    let answer = match fields(&state, request).await {
        Ok(values) => {
            let given = values.get("email").map(String::as_str).unwrap_or_default();
            match email_key(given) {
                Err(problem) => Answer::error(StatusCode::UNPROCESSABLE_ENTITY, problem.message()),
                Ok(email) => match write_link_request(&state, &email).await {
                    Ok(()) => {
                        tracing::info!(outcome = "link_requested", "link request stored");
                        Answer::result_page(
                            StatusCode::ACCEPTED,
                            json!({ "status": "requested" }),
                            ResultPage::LinkRequested,
                        )
                    }
                    Err(reason) => {
                        tracing::error!(outcome = "store_unavailable", reason = %reason, "link request not stored");
                        Answer::result_page(
                            StatusCode::SERVICE_UNAVAILABLE,
                            json!({ "status": "unavailable" }),
                            ResultPage::Failed,
                        )
                    }
                },
            }
        }
        Err(refusal) => refusal,
    };
    answer.respond(format, &state).await
}

async fn fields(
    state: &AppState,
    request: Request,
) -> Result<std::collections::BTreeMap<String, String>, Answer> {
    if !request::same_origin(request.headers(), &state.settings) {
        return Err(Answer::refused(
            "Je link opvragen kan alleen via het formulier op de website.",
        ));
    }
    let (parts, body) = request.into_parts();
    request::fields(&parts.headers, body).await
}

/// Writes a link request for `email` (a key from `email_key`); the reason is for logs and names no address.
pub async fn write_link_request(state: &AppState, email: &str) -> Result<(), String> {
    let ring = state.settings.link_keys.ring().await.map_err(|err| err.0)?;
    let random = opp_store::link_keys::new_link_random().map_err(|err| err.to_string())?;
    let request_id = opp_model::links::to_hex(&random);
    state
        .store
        .request_link(
            email,
            &ring.address_hash(email),
            &request_id,
            (state.clock)(),
        )
        .await
        .map_err(|err| err.0)
}
