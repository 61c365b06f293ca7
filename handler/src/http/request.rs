//! What the handler reads off a request before any rule runs: which form of answer the client wants,
//! whether a post comes from the site itself, and the body of a registration form.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use std::collections::BTreeMap;
use std::convert::Infallible;

use super::Settings;
use super::answer::{Answer, Format};
use opp_model::registration::{self, MAX_BODY_BYTES};

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

/// Posts must come from the site itself: Origin, else Referer, must match one of the site's origins. No
/// CORS. A refusal is logged with what was sent and what was expected (origins are not personal data; a
/// Referer's path is left out, as it may hold a link token).
pub fn same_origin(headers: &HeaderMap, settings: &Settings) -> bool {
    if settings.site_origins.is_empty() {
        return true;
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let accepted = |candidate: &str| {
        settings.site_origins.iter().any(|expected| {
            candidate
                .strip_prefix(expected.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    };
    // (accepted, the header that decided, the origin it named): borrowed, so a good post allocates nothing.
    let (ok, via, sent) = match (header(header::ORIGIN), header(header::REFERER)) {
        (Some(origin), _) if origin != "null" => (
            settings.site_origins.iter().any(|e| e == origin),
            "Origin",
            origin,
        ),
        (_, Some(referer)) => (accepted(referer), "Referer", origin_of(referer)),
        _ => (false, "neither Origin nor Referer", ""),
    };
    if !ok {
        tracing::warn!(
            status = 400,
            via,
            sent,
            expected = %settings.site_origins.join(" or "),
            "post refused: it did not come from the site's origin"
        );
    }
    ok
}

/// `https://host:port/path?q` -> `https://host:port`.
fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(end) => &url[..start + end],
        None => url,
    }
}

/// The token in a link's path. A path that does not decode (`%FF`) gives an empty token, which leads
/// nowhere like any other wrong link (the theme's 404), instead of axum's English 400: tokens are ASCII.
pub struct LinkToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for LinkToken {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let token = Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(token)| token)
            .unwrap_or_default();
        Ok(LinkToken(token))
    }
}

/// A form or JSON body read into field values, or the answer that refuses it (415, 413, 400).
pub async fn fields(headers: &HeaderMap, body: Body) -> Result<BTreeMap<String, String>, Answer> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parameters = content_type.split(';');
    let media_type = parameters.next().unwrap_or("").trim().to_ascii_lowercase();
    let parse = match media_type.as_str() {
        "application/x-www-form-urlencoded" => registration::parse_form,
        "application/json" => registration::parse_json,
        _ => {
            return Err(Answer::error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Stuur het formulier of JSON (application/json).",
            ));
        }
    };
    if !parameters.all(utf8_or_no_charset) {
        return Err(Answer::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Stuur de gegevens als UTF-8 (charset=utf-8).",
        ));
    }
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

/// A `Content-Type` parameter other than `charset`, or a charset the body is read in: UTF-8 (or its
/// subset ASCII). Bodies are always read as UTF-8, so `charset=latin1` is refused rather than misread.
fn utf8_or_no_charset(parameter: &str) -> bool {
    let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
    if !name.trim().eq_ignore_ascii_case("charset") {
        return true;
    }
    let value = value.trim().trim_matches('"');
    ["utf-8", "utf8", "us-ascii"]
        .iter()
        .any(|charset| value.eq_ignore_ascii_case(charset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(origins: &[&str]) -> Settings {
        Settings {
            site_origins: origins.iter().map(|o| o.to_string()).collect(),
            origin_secret: crate::origin_secret::OriginSecret::Off,
            ..Settings::default()
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn either_loopback_name_of_the_dev_server_is_the_site() {
        let dev = settings(&["http://127.0.0.1:8080", "http://localhost:8080"]);
        assert!(same_origin(
            &headers(&[("origin", "http://localhost:8080")]),
            &dev
        ));
        assert!(same_origin(
            &headers(&[("origin", "http://127.0.0.1:8080")]),
            &dev
        ));
        assert!(!same_origin(
            &headers(&[("origin", "http://localhost:9090")]),
            &dev
        ));
        assert!(same_origin(
            &headers(&[("referer", "http://localhost:8080/aanmelden/")]),
            &dev
        ));
        assert!(!same_origin(
            &headers(&[("referer", "http://localhost:80800/")]),
            &dev
        ));
        assert!(!same_origin(&headers(&[]), &dev));
        assert!(
            same_origin(&headers(&[]), &settings(&[])),
            "no origins: no check"
        );
    }

    #[test]
    fn only_utf8_bodies_are_read() {
        for good in [
            "",
            " charset=utf-8",
            "charset=UTF-8",
            " charset=\"utf-8\"",
            "charset=us-ascii",
            "boundary=x",
            "",
        ] {
            assert!(utf8_or_no_charset(good), "{good}");
        }
        for bad in [
            "charset=latin1",
            " CHARSET=iso-8859-1",
            "charset=",
            "charset=utf-16",
        ] {
            assert!(!utf8_or_no_charset(bad), "{bad}");
        }
    }

    #[test]
    fn a_referers_path_is_not_logged() {
        assert_eq!(
            origin_of("https://a.example:8443/api/registrations/TOKEN"),
            "https://a.example:8443"
        );
        assert_eq!(origin_of("https://a.example"), "https://a.example");
    }
}
