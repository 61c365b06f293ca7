//! The two routes of the editors' sign-in, `/oauth/auth` and `/oauth/callback` (the names Decap's
//! `auth_endpoint` and GitHub's callback use), with the headers every answer carries and CloudFront's
//! origin check. The popup pages opt out of the opener isolation the editing screen's other pages have
//! (`Cross-Origin-Opener-Policy: unsafe-none`): with it they could not reach the window that opened them.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use opp_store::origin_secret::{ORIGIN_VERIFY_HEADER, OriginSecret};
use serde::Deserialize;

use crate::attempt::Attempt;
use crate::github::GitHub;
use crate::popup::{self, Outcome, PROVIDER};
use crate::scopes::{Allowlist, Refused};

/// Where Decap opens the popup (`auth_endpoint` in `admin/config.yml`, below `base_url`).
pub const AUTH_PATH: &str = "/oauth/auth";
/// Where GitHub sends the editor back (the OAuth App's or GitHub App's callback URL).
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// The CSP of answers without a page of their own (redirects, 404s).
const BARE_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Debug, Clone)]
pub struct Settings {
    /// The editing screen's origin (`https://redactie.<domain>`, no path): the only window the token is
    /// posted to, and where GitHub returns (`<origin>/oauth/callback`).
    pub editing_origin: String,
    pub scopes: Allowlist,
    /// Unless off, every request must carry it in `x-origin-verify`: only the editing screen's CloudFront
    /// distribution reaches the function.
    pub origin_secret: OriginSecret,
}

#[derive(Clone)]
pub struct AppState {
    github: GitHub,
    settings: Arc<Settings>,
}

impl AppState {
    pub fn new(github: GitHub, settings: Settings) -> AppState {
        AppState {
            github,
            settings: Arc::new(settings),
        }
    }
}

/// The routes, with no fallback of their own: locally they are merged with the screen's files
/// ([`crate::local`]); in AWS the HTTP API passes only `/oauth/*` on.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(AUTH_PATH, get(auth))
        .route(CALLBACK_PATH, get(callback))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            verify_origin_secret,
        ))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

#[derive(Deserialize)]
struct AuthQuery {
    provider: Option<String>,
    scope: Option<String>,
}

/// Decap's popup: the scope checked against the allowlist, a new attempt in the cookie, then GitHub.
async fn auth(
    State(state): State<AppState>,
    query: Result<Query<AuthQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return refused(&state, StatusCode::BAD_REQUEST, REFUSED_ADDRESS, false);
    };
    if query.provider.as_deref() != Some(PROVIDER) {
        tracing::warn!(
            status = 400,
            "sign-in with another provider than GitHub asked"
        );
        return refused(
            &state,
            StatusCode::BAD_REQUEST,
            "Het werkscherm vroeg om een andere manier van inloggen dan GitHub. Die is hier niet mogelijk.",
            false,
        );
    }
    let scopes = match state
        .settings
        .scopes
        .check(query.scope.as_deref().unwrap_or_default())
    {
        Ok(scopes) => scopes,
        Err(refusal) => {
            tracing::warn!(
                status = 400,
                ?refusal,
                "sign-in with a scope outside the allowlist asked"
            );
            let text = match refusal {
                Refused::Missing => {
                    "Het werkscherm zei niet welke rechten op GitHub het nodig heeft.".to_string()
                }
                Refused::NotAllowed(scope) => format!(
                    "Het werkscherm vroeg om meer rechten op GitHub dan hier mogen ({scope}). Meld dit aan de beheerder van de website."
                ),
            };
            return refused(&state, StatusCode::BAD_REQUEST, &text, false);
        }
    };
    let (url, attempt) = state.github.start(&scopes);
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    if let (Ok(location), Ok(cookie)) = (
        HeaderValue::from_str(&url),
        HeaderValue::from_str(&attempt.set_cookie()),
    ) {
        headers.insert(header::LOCATION, location);
        headers.insert(header::SET_COOKIE, cookie);
        response
    } else {
        refused(&state, StatusCode::INTERNAL_SERVER_ERROR, TRY_AGAIN, false)
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

const REFUSED_ADDRESS: &str = "Het adres van dit venster klopt niet.";
const TRY_AGAIN: &str =
    "Er ging iets mis bij het inloggen. Probeer het over een paar minuten opnieuw.";

/// GitHub's answer: only for the attempt this browser started (its `state`), then the code exchanged
/// for a token with the PKCE verifier and the client secret. Every answer ends the attempt.
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return refused(&state, StatusCode::BAD_REQUEST, REFUSED_ADDRESS, true);
    };
    let Some(attempt) = Attempt::from_headers(&headers) else {
        tracing::warn!(
            status = 400,
            "callback without a sign-in attempt (expired, or started elsewhere)"
        );
        return refused(
            &state,
            StatusCode::BAD_REQUEST,
            "Het inloggen duurde langer dan 10 minuten, of is in een ander venster of een andere browser begonnen.",
            true,
        );
    };
    if !attempt.matches(query.state.as_deref().unwrap_or_default()) {
        tracing::warn!(
            status = 400,
            "callback with another state than the attempt's"
        );
        return refused(
            &state,
            StatusCode::BAD_REQUEST,
            "Dit antwoord van GitHub hoort niet bij het inloggen dat je in dit werkscherm begon.",
            true,
        );
    }
    if let Some(error) = query.error.as_deref() {
        tracing::info!(status = 400, error, "GitHub answered with an error");
        let text = if error == "access_denied" {
            "Je hebt GitHub geen toestemming gegeven. Zonder die toestemming kun je niet inloggen."
        } else {
            "GitHub meldde een fout bij het inloggen."
        };
        return refused(&state, StatusCode::BAD_REQUEST, text, true);
    }
    let Some(code) = query.code.as_deref().filter(|code| !code.is_empty()) else {
        return refused(&state, StatusCode::BAD_REQUEST, REFUSED_ADDRESS, true);
    };
    match state.github.exchange(code, &attempt).await {
        Ok(token) => {
            tracing::info!(status = 200, "editor signed in");
            popup_answer(&state, StatusCode::OK, Outcome::Token(&token), true)
        }
        Err(err) => {
            tracing::warn!(status = 502, reason = %err.0, "no token from GitHub");
            refused(
                &state,
                StatusCode::BAD_GATEWAY,
                "GitHub gaf geen toegang. Probeer het over een paar minuten opnieuw.",
                true,
            )
        }
    }
}

fn refused(state: &AppState, status: StatusCode, text: &str, ends_attempt: bool) -> Response {
    popup_answer(state, status, Outcome::Refused(text), ends_attempt)
}

fn popup_answer(
    state: &AppState,
    status: StatusCode,
    outcome: Outcome<'_>,
    ends_attempt: bool,
) -> Response {
    let page = match popup::page(outcome, &state.settings.editing_origin) {
        Ok(page) => page,
        Err(err) => {
            tracing::error!(error = %err, "no popup page");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                TRY_AGAIN,
            )
                .into_response();
        }
    };
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        nonce = page.nonce
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.html,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if ends_attempt && let Ok(clear) = HeaderValue::from_str(&Attempt::clear_cookie()) {
        headers.insert(header::SET_COOKIE, clear);
    }
    response
}

/// Headers on every answer. The popup may not be cut off from its opener (`unsafe-none`); it is never
/// framed, cached or indexed, and its address (which holds GitHub's code) never reaches a `Referer`.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(BARE_CSP),
        );
    }
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        header::STRICT_TRANSPORT_SECURITY,
        opp_model::cdn::STRICT_TRANSPORT_SECURITY,
    );
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CACHE_CONTROL, "no-store");
    set(HeaderName::from_static("x-robots-tag"), "noindex, nofollow");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "unsafe-none",
    );
    set(
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    response
}

async fn verify_origin_secret(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // `accepts` admits everything when the check is off (local runs).
    let given = request
        .headers()
        .get(ORIGIN_VERIFY_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !state.settings.origin_secret.accepts(given).await {
        tracing::warn!(status = 403, "request without the CDN's origin header");
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Het inloggen voor het werkscherm is alleen via het eigen adres van het werkscherm te bereiken.",
        )
            .into_response();
    }
    next.run(request).await
}
