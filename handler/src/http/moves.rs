//! An address move's confirmation link (`/api/adres/<token>`, mailed to the new address): `GET` shows
//! what would move and asks to confirm (mail scanners follow links, so a `GET` changes nothing), `POST`
//! moves the registration (`opp_store::moves`). The token opens nothing else: not the personal page.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::AppState;
use super::answer::{Answer, MoveStep};
use super::request::{self, LinkToken};
use opp_model::token;
use opp_store::moves::MoveConfirmed;

pub async fn move_confirmation(
    State(state): State<AppState>,
    LinkToken(move_token): LinkToken,
    headers: HeaderMap,
) -> Response {
    let action = state.routes.confirm_move(&move_token);
    let answer = if !token::looks_valid(&move_token) {
        gone(action)
    } else {
        match state
            .store
            .pending_move(&token::hash(&move_token), (state.clock)())
            .await
        {
            Ok(Some((record, pending))) => {
                let meeting = state.store.meeting(&record.meeting).await.ok().flatten();
                Answer::move_page(
                    StatusCode::OK,
                    MoveStep::Ask,
                    action,
                    Some(&pending.to),
                    meeting,
                )
            }
            Ok(None) => gone(action),
            Err(err) => unavailable(&err.0),
        }
    };
    answer.respond(request::format(&headers), &state).await
}

pub async fn confirm_move(
    State(state): State<AppState>,
    LinkToken(move_token): LinkToken,
    headers: HeaderMap,
) -> Response {
    let format = request::format(&headers);
    if !request::same_origin(&headers, &state.settings) {
        return Answer::refused("Je e-mailadres bevestigen kan alleen via de link in de e-mail.")
            .respond(format, &state)
            .await;
    }
    let action = state.routes.confirm_move(&move_token);
    let answer = if !token::looks_valid(&move_token) {
        gone(action)
    } else {
        match state
            .store
            .confirm_move(&token::hash(&move_token), (state.clock)())
            .await
        {
            Ok(MoveConfirmed::Moved(record)) => {
                tracing::info!(outcome = "moved", meeting = %record.meeting, "address move confirmed");
                let meeting = state.store.meeting(&record.meeting).await.ok().flatten();
                Answer::move_page(
                    StatusCode::OK,
                    MoveStep::Moved,
                    action,
                    Some(&record.email),
                    meeting,
                )
            }
            Ok(MoveConfirmed::Taken) => {
                tracing::info!(
                    outcome = "move_taken",
                    "address move refused: address taken"
                );
                Answer::move_page(StatusCode::CONFLICT, MoveStep::Taken, action, None, None)
            }
            Ok(MoveConfirmed::Gone) => gone(action),
            Err(err) => unavailable(&err.0),
        }
    };
    answer.respond(format, &state).await
}

fn gone(action: String) -> Answer {
    Answer::move_page(StatusCode::NOT_FOUND, MoveStep::Gone, action, None, None)
}

fn unavailable(reason: &str) -> Answer {
    tracing::error!(reason = %reason, "address move: store unavailable");
    Answer::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "Het lukt nu niet om je e-mailadres te bevestigen. Probeer het later nog eens.",
    )
}
