//! Answers every screen shares: a rendered page with the signed-in organiser in its header, a message page,
//! the refusals, and redirects.

use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use tera::Context;

use super::{AppState, Signed};
use crate::roles::Role;

/// A page for `who`: their name, role and form token are in every page's context (`who`, `csrf`).
pub fn page(
    state: &AppState,
    who: Option<&Signed>,
    template: &str,
    mut context: Context,
) -> Response {
    if let Some(who) = who {
        context.insert(
            "who",
            &json!({
                "name": who.session.name,
                "role": who.role.as_str(),
                "manager": who.role >= Role::Manager,
            }),
        );
        context.insert("csrf", &who.session.csrf);
    }
    if !context.contains_key("current") {
        // The menu marks the current screen; most pages are none of its entries.
        context.insert("current", "");
    }
    match state.pages.render(template, &context) {
        Ok(body) => Html(body).into_response(),
        Err(err) => {
            tracing::error!(error = %err, template, "console page not rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!DOCTYPE html><html lang=\"nl\"><title>Fout</title><p>Er ging iets mis. Probeer het later opnieuw.</p></html>"),
            )
                .into_response()
        }
    }
}

/// What a finished action's redirect says (`?gedaan=...`): fixed words, never text from the request.
pub fn done_notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "link" => "De persoonlijke link wordt opnieuw gemaild.",
        "notitie" => "De notitie is opgeslagen.",
        "verplaatst" => {
            "De persoon staat nu bij deze bijeenkomst en krijgt een e-mail met de nieuwe gegevens. Een vrije plek bij de oude bijeenkomst is naar de wachtlijst gegaan."
        }
        "gegevens" => "De gegevens zijn opgeslagen.",
        "adres" => {
            "De gegevens zijn opgeslagen. Het nieuwe e-mailadres krijgt een e-mail om de wijziging te bevestigen. Tot dan blijft het oude adres staan."
        }
        "afgemeld" => "De persoon is afgemeld. Een vrije plek is naar de wachtlijst gegaan.",
        "gewist" => "Alle gegevens van dit e-mailadres zijn gewist.",
        "aangemeld" => "De persoon is aangemeld en krijgt een bevestiging per e-mail.",
        _ => return None,
    })
}

/// A short page with a title, a sentence and perhaps one link onwards.
pub fn message(
    state: &AppState,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let mut context = Context::new();
    context.insert("title", title);
    context.insert("text", text);
    if let Some((href, label)) = link {
        context.insert("link", &json!({"href": href, "label": label}));
    }
    let mut response = page(state, None, "message.html", context);
    *response.status_mut() = status;
    response
}

pub fn refused(state: &AppState, text: &str) -> Response {
    message(
        state,
        StatusCode::FORBIDDEN,
        "Niet gelukt",
        text,
        Some(("/", "Naar het overzicht")),
    )
}

/// Signed in, but without the role this needs (or without any role at all).
pub fn no_access(state: &AppState, who: Option<&Signed>) -> Response {
    let text = match who {
        Some(_) => {
            "U heeft geen toegang tot dit deel van de beheeromgeving. Heeft u dit wel nodig? Vraag het aan de beheerder van het project."
        }
        None => {
            "U bent ingelogd, maar u heeft geen toegang tot de beheeromgeving. Vraag de beheerder van het project om u een rol te geven."
        }
    };
    message(state, StatusCode::FORBIDDEN, "Geen toegang", text, None)
}

pub fn store_down(state: &AppState) -> Response {
    message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Even niet beschikbaar",
        "De gegevens zijn nu niet bereikbaar. Probeer het over een paar minuten opnieuw.",
        None,
    )
}

pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The time of day in Amsterdam ("13:02") of a moment.
pub fn clock_of(moment: jiff::Timestamp) -> String {
    moment
        .to_zoned(opp_model::zone::amsterdam())
        .strftime("%H:%M")
        .to_string()
}

/// [`clock_of`] for a stored RFC 3339 moment; empty when it is none.
pub fn clock_time(stored: &str) -> String {
    stored.parse().map(clock_of).unwrap_or_default()
}

/// Text as one value in a query string.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            query_escape("/bijeenkomsten/a?b=c&d"),
            "/bijeenkomsten/a%3Fb%3Dc%26d"
        );
        assert_eq!(query_escape("é"), "%C3%A9");
    }
}
