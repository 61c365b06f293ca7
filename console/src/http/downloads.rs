//! A meeting's downloads for role `beheer`: the list as CSV or XLSX and the attendance list (XLSX), made by
//! the same code as `opp-admin export` and `opp-admin attendance` (formula neutralising included), sent as
//! attachments that no cache keeps. Each download is in the audit log.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::answer::{message, store_down};
use super::lookup::meeting_with_people;
use super::{AppState, Signed};
use crate::roles::Role;
use opp_operations::{attendance, export};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn download(
    State(state): State<AppState>,
    who: Signed,
    Path((meeting_id, kind)): Path<(String, String)>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    if !matches!(kind.as_str(), "csv" | "xlsx" | "aanwezigheid") {
        return message(
            &state,
            StatusCode::NOT_FOUND,
            "Download niet gevonden",
            "Deze download bestaat niet. Kies CSV, Excel of de aanwezigheidslijst op de pagina van de bijeenkomst.",
            Some((
                &format!("/bijeenkomsten/{meeting_id}"),
                "Naar de bijeenkomst",
            )),
        );
    }
    let (meeting, registrations) = match meeting_with_people(&state, &meeting_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let made = match kind.as_str() {
        "csv" => Ok((
            export::csv(&export::meeting_rows(&meeting, &registrations, None)),
            "text/csv; charset=utf-8",
            format!("aanmeldingen-{}.csv", meeting.id),
        )),
        "xlsx" => export::xlsx(&export::meeting_rows(&meeting, &registrations, None))
            .map(|bytes| (bytes, XLSX, format!("aanmeldingen-{}.xlsx", meeting.id))),
        _ => attendance::xlsx(&meeting, &attendance::attendees(&registrations)).map(|bytes| {
            (
                bytes,
                XLSX,
                format!("aanwezigheidslijst-{}.xlsx", meeting.id),
            )
        }),
    };
    let (bytes, content_type, file_name) = match made {
        Ok(made) => made,
        Err(err) => {
            tracing::error!(error = %err, "download not made");
            return store_down(&state);
        }
    };
    if let Err(response) = state
        .audit(&who, "download", Some(&meeting.id), None, Some(&kind))
        .await
    {
        return response;
    }
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Meeting ids are the site's slugs (a-z, 0-9, -), so the name needs no quoting beyond the quotes.
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
