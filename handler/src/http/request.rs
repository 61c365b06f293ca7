//! What the handler reads off a request before any rule runs: which form of answer the client wants,
//! whether a post comes from the site itself, and the body of a registration form.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, StatusCode, header};
use std::collections::BTreeMap;

use super::Settings;
use super::answer::{Answer, Format};
use crate::registration::{self, MAX_BODY_BYTES};

/// JSON when the client asks for it, or sends JSON without asking for HTML.
pub fn format(headers: &HeaderMap) -> Format {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let accept = header(header::ACCEPT);
    let json = accept.contains("application/json")
        || (header(header::CONTENT_TYPE).starts_with("application/json")
            && !accept.contains("text/html"));
    if json { Format::Json } else { Format::Html }
}

/// Posts must come from the site itself: Origin, else Referer, must match `SITE_ORIGIN`. No CORS.
pub fn same_origin(headers: &HeaderMap, settings: &Settings) -> bool {
    let Some(expected) = &settings.site_origin else {
        return true;
    };
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match (header(header::ORIGIN), header(header::REFERER)) {
        (Some(origin), _) if origin != "null" => origin == expected,
        (_, Some(referer)) => referer
            .strip_prefix(expected.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        _ => false,
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form or JSON body read into field values, or the answer that refuses it (415, 413, 400).
pub async fn fields(headers: &HeaderMap, body: Body) -> Result<BTreeMap<String, String>, Answer> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let parse = match content_type.as_str() {
        "application/x-www-form-urlencoded" => registration::parse_form,
        "application/json" => registration::parse_json,
        _ => {
            return Err(Answer::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Stuur het formulier of JSON (application/json).",
            ));
        }
    };
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return Err(Answer::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Er is te veel tekst verstuurd.",
        ));
    };
    parse(&body).map_err(|err| {
        tracing::info!(
            outcome = "bad_body",
            status = 400,
            "registration body refused"
        );
        Answer::error(StatusCode::BAD_REQUEST, &err.message())
    })
}
