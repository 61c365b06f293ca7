//! The console's HTTP side: the router, the headers every answer carries, the checks every request
//! passes (a live session, the role, the origin and form token of every POST) and the audit entry before
//! any answer with personal data. One module per screen.

// A refusal is the page to answer with: handlers return `Result<_, Response>` and `?` it, the axum idiom.
#![allow(clippy::result_large_err)]

mod actions;
mod answer;
mod audit_log;
mod door;
mod messages;
pub use door::CODE_MISSES_ALLOWED;
mod downloads;
mod lookup;
mod meeting;
mod overview;
mod person;
mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;

use crate::oidc::Provider;
use crate::pages::{Pages, SCRIPT, STYLES};
use crate::roles::{Role, RoleClaim};
use crate::session::{self, Cookies, SessionLimits};
pub use answer::message;
use opp_store::Store;
use opp_store::audit::AuditEntry;
use opp_store::sessions::SessionRecord;

/// The console's Content-Security-Policy: its own styles and script, nothing inline, no frames, forms
/// only to itself and, for signing out there too, to the provider (browsers apply `form-action` to where
/// a form's answer redirects).
pub fn content_security_policy(provider_origin: &str) -> String {
    format!(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self' {provider_origin}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Marks the one answer whose CSP allows inline styles: the message preview, whose frame shows the mail's
/// own HTML, styled inline as mail is (its text is escaped; scripts stay forbidden).
#[derive(Debug, Clone, Copy)]
pub struct InlineStyles;

/// [`content_security_policy`] with inline styles allowed ([`InlineStyles`]).
fn with_inline_styles(csp: &str) -> String {
    csp.replacen("style-src 'self'", "style-src 'self' 'unsafe-inline'", 1)
}

/// The scheme, host and port of a URL (`https://login.example.nl` of `https://login.example.nl/pool/x`).
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_preview_may_have_inline_styles_and_never_inline_scripts() {
        let csp = super::content_security_policy("https://login.example.nl");
        let relaxed = super::with_inline_styles(&csp);
        assert!(relaxed.contains("style-src 'self' 'unsafe-inline';"));
        assert!(relaxed.contains("script-src 'self';"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn only_the_door_screen_may_use_the_camera() {
        assert!(super::is_door_screen("/bijeenkomsten/2030-zwolle/deur"));
        assert!(!super::is_door_screen(
            "/bijeenkomsten/2030-zwolle/deur/code"
        ));
        assert!(!super::is_door_screen("/bijeenkomsten//deur"));
        assert!(!super::is_door_screen("/bijeenkomsten/a/b/deur"));
        assert!(!super::is_door_screen("/"));
    }

    #[test]
    fn the_provider_is_named_by_its_origin() {
        assert_eq!(
            super::origin_of("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"),
            "https://cognito-idp.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            super::origin_of("http://127.0.0.1:8082"),
            "http://127.0.0.1:8082"
        );
    }
}

#[derive(Clone)]
pub struct Settings {
    /// The console's own origin, e.g. `https://beheer.example.nl` (`http://beheer.localhost:PORT` locally):
    /// the redirect URL is made from it and every POST must come from it.
    pub origin: String,
    pub role_claim: RoleClaim,
    pub limits: SessionLimits,
    /// How long audit entries are kept (days).
    pub audit_days: u32,
    /// The link key ring: a registration by hand gets its personal link from it, as on the site.
    pub link_keys: opp_store::link_keys::LinkKeySource,
    /// Unless off, every request must carry it in `x-origin-verify`: only the back office's CloudFront
    /// distribution reaches the function (the same secret as the site's).
    pub origin_secret: opp_store::origin_secret::OriginSecret,
}

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub provider: Arc<Provider>,
    pub pages: Arc<Pages>,
    pub settings: Arc<Settings>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(store: Store, provider: Provider, pages: Pages, settings: Settings) -> AppState {
        AppState {
            store,
            provider: Arc::new(provider),
            pages: Arc::new(pages),
            settings: Arc::new(settings),
            clock: Arc::new(Timestamp::now),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    fn cookies(&self) -> Cookies {
        Cookies::for_origin(&self.settings.origin)
    }

    /// Writes an audit entry for `who`. The caller answers only when this succeeded: what cannot be
    /// logged is not shown.
    async fn audit(
        &self,
        who: &Signed,
        action: &str,
        meeting: Option<&str>,
        registration_id: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), Response> {
        self.audit_as(
            &who.session.subject,
            &who.session.name,
            action,
            meeting,
            registration_id,
            detail,
        )
        .await
    }

    async fn audit_as(
        &self,
        subject: &str,
        name: &str,
        action: &str,
        meeting: Option<&str>,
        registration_id: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), Response> {
        let entry = AuditEntry {
            actor: subject.to_string(),
            actor_name: name.to_string(),
            action: action.to_string(),
            meeting: meeting.map(str::to_string),
            registration_id: registration_id.map(str::to_string),
            detail: detail.map(str::to_string),
            ..AuditEntry::default()
        };
        self.store
            .add_audit_entry(&entry, (self.clock)(), self.settings.audit_days)
            .await
            .map_err(|err| {
                tracing::error!(error = %err.0, action, "audit entry not written");
                answer::store_down(self)
            })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(overview::overview))
        .route("/aanmelden", get(sign_in::start))
        .route("/aanmelden/klaar", get(sign_in::finish))
        .route("/afmelden", post(sign_in::sign_out))
        .route("/afgemeld", get(sign_in::signed_out))
        .route("/bijeenkomsten/{meeting}", get(meeting::list))
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}",
            get(person::person),
        )
        .route(
            "/bijeenkomsten/{meeting}/download/{kind}",
            get(downloads::download),
        )
        .route(
            "/bijeenkomsten/{meeting}/aanmelden",
            get(actions::register_form).post(actions::register),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/link",
            post(actions::resend_link),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/verplaatsen",
            post(actions::move_meeting),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/notitie",
            post(actions::add_note),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/gegevens",
            post(actions::correct_details),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/afmelden",
            get(actions::confirm_cancel).post(actions::cancel),
        )
        .route(
            "/bijeenkomsten/{meeting}/personen/{registration}/wissen",
            get(actions::confirm_erase).post(actions::erase),
        )
        .route("/bijeenkomsten/{meeting}/deur", get(door::door))
        .route(
            "/bijeenkomsten/{meeting}/deur/{registration}",
            post(door::check_in),
        )
        .route(
            "/bijeenkomsten/{meeting}/deur/code",
            post(door::check_in_by_code),
        )
        .route(
            "/bijeenkomsten/{meeting}/deur/{registration}/terug",
            post(door::undo),
        )
        .route(
            "/bijeenkomsten/{meeting}/berichten",
            get(messages::messages).post(messages::compose),
        )
        .route(
            "/bijeenkomsten/{meeting}/berichten/{message}",
            get(messages::progress),
        )
        .route("/logboek", get(audit_log::audit_log))
        .route("/static/console.css", get(styles))
        .route("/static/console.js", get(script))
        .route("/static/jsqr.js", get(qr_decoder))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_posts,
        ))
        // Outside the origin check: only CloudFront's requests are looked at any further.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            verify_origin_secret,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(
                HeaderValue::from_str(&content_security_policy(origin_of(state.provider.issuer())))
                    .unwrap_or_else(|_| {
                        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
                    }),
            ),
            security_headers,
        ))
        .with_state(state)
}

/// Headers on every answer: the strict CSP, no framing, no indexing, and nothing kept in any cache but
/// the styles and script.
async fn security_headers(
    State(csp): State<Arc<HeaderValue>>,
    request: Request,
    next: Next,
) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let is_door = is_door_screen(request.uri().path());
    let mut response = next.run(request).await;
    let inline_styles = response.extensions().get::<InlineStyles>().is_some();
    let headers = response.headers_mut();
    let policy = match csp.to_str() {
        Ok(text) if inline_styles => {
            HeaderValue::from_str(&with_inline_styles(text)).unwrap_or_else(|_| (*csp).clone())
        }
        _ => (*csp).clone(),
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Not `no-referrer`: with it Chromium sends `Origin: null` on our own forms, and the origin check refuses them.
    set(header::REFERRER_POLICY, "same-origin");
    set(
        header::HeaderName::from_static("x-robots-tag"),
        "noindex, nofollow",
    );
    set(
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    // The camera only for the door's screen, which scans check-in codes; every other page has none.
    set(
        header::HeaderName::from_static("permissions-policy"),
        if is_door {
            "camera=(self), microphone=(), geolocation=()"
        } else {
            "camera=(), microphone=(), geolocation=()"
        },
    );
    if is_static {
        set(header::CACHE_CONTROL, "private, max-age=3600");
    } else {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}

/// `/bijeenkomsten/<id>/deur`: the one screen that may use the camera.
fn is_door_screen(path: &str) -> bool {
    path.strip_prefix("/bijeenkomsten/")
        .and_then(|rest| rest.strip_suffix("/deur"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// Every POST must come from the console's own origin (the `Origin` header, which browsers send with
/// every POST); the form token is checked where the session is known.
async fn same_origin_posts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if origin != Some(state.settings.origin.as_str()) {
            tracing::warn!(status = 403, "POST from another origin");
            return answer::refused(
                &state,
                "Dit formulier kwam niet van deze website. Open de pagina opnieuw en probeer het nog een keer.",
            );
        }
    }
    next.run(request).await
}

pub use opp_store::origin_secret::ORIGIN_VERIFY_HEADER;

async fn verify_origin_secret(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let secret = &state.settings.origin_secret;
    if secret.is_checked() {
        let given = request
            .headers()
            .get(ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !secret.accepts(given).await {
            tracing::warn!(status = 403, "request without the CDN's origin header");
            return message(
                &state,
                StatusCode::FORBIDDEN,
                "Geen toegang",
                "De beheeromgeving is alleen via haar eigen adres te bereiken.",
                None,
            );
        }
    }
    next.run(request).await
}

async fn styles() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLES).into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

/// The QR decoder for browsers without `BarcodeDetector` (console.js loads it on the door's screen only).
async fn qr_decoder() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        crate::pages::QR_DECODER,
    )
        .into_response()
}

async fn not_found(State(state): State<AppState>) -> Response {
    message(
        &state,
        StatusCode::NOT_FOUND,
        "Pagina niet gevonden",
        "Deze pagina bestaat niet. Ga naar het overzicht.",
        Some(("/", "Naar het overzicht")),
    )
}

/// A signed-in organiser with a live session. As an extractor it sends a browser without one to the
/// sign-in (a GET) or refuses (anything else).
pub struct Signed {
    pub id_hash: String,
    pub session: SessionRecord,
    pub role: Role,
}

impl Signed {
    /// Refuses with the "geen toegang" page unless the session has `role` (or a stronger one).
    pub fn require(&self, state: &AppState, role: Role) -> Result<(), Response> {
        if self.role >= role {
            Ok(())
        } else {
            Err(answer::no_access(state, Some(self)))
        }
    }

    /// Checks the form token of a POST.
    pub fn check_form(&self, state: &AppState, given: Option<&str>) -> Result<(), Response> {
        match given {
            Some(given) if session::same_secret(given, &self.session.csrf) => Ok(()),
            _ => {
                tracing::warn!(status = 403, "POST without the session's form token");
                Err(answer::refused(
                    state,
                    "Dit formulier is verlopen. Open de pagina opnieuw en probeer het nog een keer.",
                ))
            }
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let now = (state.clock)().as_second();
        let cookies = state.cookies();
        let to_sign_in = || {
            if parts.method == Method::GET {
                let back = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string();
                answer::see_other(&format!("/aanmelden?terug={}", answer::query_escape(&back)))
            } else {
                answer::refused(
                    state,
                    "U bent niet (meer) ingelogd. Log opnieuw in en probeer het nog een keer.",
                )
            }
        };
        let Some(id) = session::cookie(&parts.headers, cookies.session_name()) else {
            return Err(to_sign_in());
        };
        let id_hash = session::id_hash(id);
        let stored = state.store.session(&id_hash).await.map_err(|err| {
            tracing::error!(error = %err.0, "session not readable");
            answer::store_down(state)
        })?;
        let Some(stored) = stored else {
            return Err(to_sign_in());
        };
        let limits = state.settings.limits;
        let expired = now >= stored.ends_at
            || now >= stored.started_at + limits.absolute_seconds
            || now >= stored.last_seen + limits.idle_seconds;
        let role = Role::parse(&stored.role);
        if expired || role.is_none() {
            // Ending it is tidying up: the session is refused either way.
            let _ = state.store.end_session(&id_hash).await;
            return Err(to_sign_in());
        }
        if now - stored.last_seen >= session::TOUCH_INTERVAL_SECONDS
            && let Err(err) = state.store.touch_session(&id_hash, now).await
        {
            tracing::warn!(error = %err.0, "session use not recorded");
        }
        Ok(Signed {
            id_hash,
            session: stored,
            role: role.unwrap_or(Role::Door),
        })
    }
}
