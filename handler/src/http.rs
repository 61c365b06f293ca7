//! The HTTP side: routes, origin checks, body limits, content negotiation. Rules live in `registration`,
//! storage in `store`; this module only translates between them and HTTP.

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

use crate::pages::{ResultPage, SharedPages};
use crate::registration::{self, BodyError, MAX_BODY_BYTES, Submission};
use crate::routes::Routes;
use crate::store::{CancelOutcome, RegisterError, RegistrationRecord, Seat, Store};
use crate::token;
use opp_model::RegistrationStatus;

/// The header CloudFront adds with the shared secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";

#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The site's origin (`https://www.example.nl`); posts from elsewhere are refused. None: no check (tests).
    pub site_origin: Option<String>,
    /// When set, every request must carry it in `x-origin-verify` (only CloudFront knows it).
    pub origin_secret: Option<String>,
}

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What every request handler shares. Made only by [`AppState::new`].
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub pages: SharedPages,
    pub settings: Settings,
    pub clock: Clock,
    pub routes: Arc<Routes>,
}

impl AppState {
    /// The state with the real clock. The routes follow the theme's configuration
    /// (`registration_endpoint`), which must lie under `/api/`.
    pub fn new(store: Store, pages: SharedPages, settings: Settings) -> Result<Self, String> {
        let routes = Routes::new(pages.current().registration_endpoint())?;
        Ok(AppState {
            store,
            pages,
            settings,
            clock: Arc::new(Timestamp::now),
            routes: Arc::new(routes),
        })
    }

    /// The same state with another clock (tests and benchmarks that need a fixed "now").
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

pub fn router(state: AppState) -> Router {
    let routes = state.routes.clone();
    Router::new()
        .route(
            routes.registrations(),
            get(personal_page_by_query).post(register),
        )
        .route(&routes.personal_page_pattern(), get(personal_page))
        .route(
            &routes.cancel_pattern(),
            get(cancel_confirmation).post(cancel),
        )
        .route(routes.meetings(), get(meetings))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            verify_origin_secret,
        ))
        .with_state(state)
}

async fn verify_origin_secret(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(secret) = &state.settings.origin_secret {
        let given = request
            .headers()
            .get(ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(given, secret.as_bytes()) {
            tracing::warn!(status = 403, "request without the CDN's origin header");
            return plain_error(
                StatusCode::FORBIDDEN,
                "Deze pagina is alleen via de website te bereiken.",
                false,
            );
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Posts must come from the site itself: Origin, else Referer, must match `SITE_ORIGIN`. No CORS.
fn same_origin(headers: &HeaderMap, settings: &Settings) -> bool {
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

fn wants_json(headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let accept = header(header::ACCEPT);
    accept.contains("application/json")
        || (header(header::CONTENT_TYPE).starts_with("application/json")
            && !accept.contains("text/html"))
}

async fn register(State(state): State<AppState>, request: Request) -> Response {
    let json = wants_json(request.headers());
    if !same_origin(request.headers(), &state.settings) {
        tracing::warn!(status = 403, "registration post from another origin");
        return plain_error(
            StatusCode::FORBIDDEN,
            "Aanmelden kan alleen via het formulier op de website.",
            json,
        );
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_form = match content_type.as_str() {
        "application/x-www-form-urlencoded" => true,
        "application/json" => false,
        _ => {
            return plain_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Stuur het formulier of JSON (application/json).",
                json,
            );
        }
    };
    let body = match to_bytes(request.into_body(), MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return plain_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Er is te veel tekst verstuurd.",
                json,
            );
        }
    };
    let values = if is_form {
        registration::parse_form(&body)
    } else {
        registration::parse_json(&body)
    };
    let values = match values {
        Ok(values) => values,
        Err(err) => return body_error(err, json),
    };
    let now = (state.clock)();
    match registration::validate(values) {
        Submission::Bot => {
            tracing::info!(outcome = "honeypot", "registration answered but not stored");
            if json {
                (
                    StatusCode::CREATED,
                    axum::Json(json!({"status": RegistrationStatus::Confirmed})),
                )
                    .into_response()
            } else {
                see_other(&state.pages.current().result_url(ResultPage::Received))
            }
        }
        Submission::Invalid { errors, values } => {
            tracing::info!(outcome = "invalid", fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "registration refused");
            if json {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(json!({ "errors": errors })),
                )
                    .into_response();
            }
            let meetings = state.store.meetings().await.unwrap_or_default();
            let form = json!({ "values": values, "errors": errors });
            match state.pages.current().render(
                "registration_form_errors.html",
                state.routes.registrations(),
                &meetings,
                now,
                vec![("form", form)],
            ) {
                Ok(html) => html_response(StatusCode::UNPROCESSABLE_ENTITY, html),
                Err(err) => template_failure(&err, json),
            }
        }
        Submission::Valid(registration) => {
            let token = match token::new_token() {
                Ok(token) => token,
                Err(_) => return unavailable_response(&state, json),
            };
            let meeting = registration.meeting.clone();
            match state
                .store
                .register(&registration, &token::hash(&token), now)
                .await
            {
                Ok(seat) => {
                    let (status, position) = match seat {
                        Seat::Confirmed => (RegistrationStatus::Confirmed, None),
                        Seat::Waitlisted { position } => {
                            (RegistrationStatus::Waitlisted, Some(position))
                        }
                    };
                    tracing::info!(outcome = status.as_str(), meeting = %meeting, "registration stored");
                    if json {
                        let mut body = json!({ "status": status });
                        if let Some(position) = position {
                            body["position"] = json!(position);
                        }
                        (StatusCode::CREATED, axum::Json(body)).into_response()
                    } else {
                        see_other(&state.routes.personal_page(&token))
                    }
                }
                Err(RegisterError::Duplicate) => {
                    tracing::info!(outcome = "duplicate", meeting = %meeting, "registration already stored");
                    if json {
                        (StatusCode::OK, axum::Json(json!({"status": "duplicate"}))).into_response()
                    } else {
                        see_other(
                            &state
                                .pages
                                .current()
                                .result_url(ResultPage::AlreadyRegistered),
                        )
                    }
                }
                Err(RegisterError::UnknownMeeting) => {
                    tracing::info!(outcome = "unknown_meeting", meeting = %meeting, "registration refused");
                    if json {
                        (StatusCode::NOT_FOUND, axum::Json(json!({"errors": [{"field": "meeting", "message": "Deze bijeenkomst bestaat niet."}]}))).into_response()
                    } else {
                        see_other(&state.pages.current().result_url(ResultPage::Closed))
                    }
                }
                Err(RegisterError::Closed) => {
                    tracing::info!(outcome = "closed", meeting = %meeting, "registration refused");
                    if json {
                        (StatusCode::CONFLICT, axum::Json(json!({"errors": [{"field": "meeting", "message": "Aanmelden voor deze bijeenkomst is niet mogelijk."}]}))).into_response()
                    } else {
                        see_other(&state.pages.current().result_url(ResultPage::Closed))
                    }
                }
                Err(RegisterError::Unavailable(reason)) => {
                    tracing::error!(outcome = "store_unavailable", meeting = %meeting, reason = %reason, "registration not stored");
                    unavailable_response(&state, json)
                }
            }
        }
    }
}

fn unavailable_response(state: &AppState, json: bool) -> Response {
    if json {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unavailable"})),
        )
            .into_response()
    } else {
        see_other(&state.pages.current().result_url(ResultPage::Failed))
    }
}

fn body_error(err: BodyError, json: bool) -> Response {
    tracing::info!(
        outcome = "bad_body",
        status = 400,
        "registration body refused"
    );
    if json {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errors": [{"field": null, "message": err.message()}]})),
        )
            .into_response()
    } else {
        plain_error(StatusCode::BAD_REQUEST, &err.message(), false)
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn personal_page_by_query(
    State(state): State<AppState>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    show_registration(
        &state,
        query.token.as_deref().unwrap_or(""),
        "registration.html",
        wants_json(&headers),
    )
    .await
}

async fn personal_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    show_registration(&state, &token, "registration.html", wants_json(&headers)).await
}

async fn cancel_confirmation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    show_registration(
        &state,
        &token,
        "registration_cancel.html",
        wants_json(&headers),
    )
    .await
}

async fn show_registration(state: &AppState, token: &str, template: &str, json: bool) -> Response {
    let now = (state.clock)();
    let found = if token::looks_valid(token) {
        match state.store.registration_by_token(&token::hash(token)).await {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(reason = %err.0, "personal page: store unavailable");
                return plain_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Het lukt nu niet om je aanmelding op te halen. Probeer het later nog eens.",
                    json,
                );
            }
        }
    } else {
        None
    };
    let Some(record) = found else {
        return not_found(state, now, json);
    };
    let position = if record.status == RegistrationStatus::Waitlisted {
        state
            .store
            .waitlist_position(&record.meeting, &record.email, &record.created_at)
            .await
            .ok()
    } else {
        None
    };
    if json {
        let mut body = json!({ "status": record.status, "meeting": record.meeting });
        if let Some(position) = position {
            body["position"] = json!(position);
        }
        return no_store(axum::Json(body).into_response());
    }
    render_registration(state, template, token, &record, position, now).await
}

async fn render_registration(
    state: &AppState,
    template: &str,
    token: &str,
    record: &RegistrationRecord,
    position: Option<u32>,
    now: Timestamp,
) -> Response {
    let meeting = state.store.meeting(&record.meeting).await.ok().flatten();
    let meeting_value = meeting
        .as_ref()
        .map(|m| crate::pages::meeting_view(m, now))
        .unwrap_or(Value::Null);
    let page_url = state.routes.personal_page(token);
    let registration = json!({
        "status": record.status,
        "position": position,
        "name": record.name,
        "token": token,
        "meeting": meeting_value,
        "page_url": page_url,
        "cancel_url": state.routes.cancel(token),
    });
    let meetings: Vec<_> = meeting.into_iter().collect();
    match state.pages.current().render(
        template,
        &page_url,
        &meetings,
        now,
        vec![("registration", registration)],
    ) {
        Ok(html) => no_store(html_response(StatusCode::OK, html)),
        Err(err) => template_failure(&err, false),
    }
}

async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    if !same_origin(&headers, &state.settings) {
        return plain_error(
            StatusCode::FORBIDDEN,
            "Afmelden kan alleen via je persoonlijke pagina op de website.",
            json,
        );
    }
    let now = (state.clock)();
    if !token::looks_valid(&token) {
        return not_found(&state, now, json);
    }
    let hash = token::hash(&token);
    match state.store.cancel(&hash, now).await {
        Ok(Some(outcome)) => {
            if let CancelOutcome::Cancelled { promoted } = outcome {
                tracing::info!(
                    outcome = RegistrationStatus::Cancelled.as_str(),
                    promoted,
                    "registration cancelled"
                );
            }
            if json {
                return no_store(
                    axum::Json(json!({"status": RegistrationStatus::Cancelled})).into_response(),
                );
            }
            match state.store.registration_by_token(&hash).await {
                Ok(Some(record)) => {
                    render_registration(
                        &state,
                        "registration_cancelled.html",
                        &token,
                        &record,
                        None,
                        now,
                    )
                    .await
                }
                _ => not_found(&state, now, json),
            }
        }
        Ok(None) => not_found(&state, now, json),
        Err(err) => {
            tracing::error!(reason = %err.0, "cancel: store unavailable");
            plain_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Afmelden lukt nu niet. Probeer het later nog eens.",
                json,
            )
        }
    }
}

async fn meetings(State(state): State<AppState>) -> Response {
    let now = (state.clock)();
    match state.store.meetings().await {
        Ok(meetings) => {
            let list: Vec<Value> = meetings
                .iter()
                .map(|m| json!({ "id": m.id, "capacity": m.capacity, "places_left": m.places_left(), "waitlisted": m.waitlisted, "status": m.status(now) }))
                .collect();
            let mut response = axum::Json(json!({ "meetings": list })).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=30"),
            );
            response
        }
        Err(err) => {
            tracing::error!(reason = %err.0, "meetings: store unavailable");
            plain_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "De bijeenkomsten zijn nu niet op te halen.",
                true,
            )
        }
    }
}

fn not_found(state: &AppState, now: Timestamp, json: bool) -> Response {
    if json {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"status": "not_found"})),
        )
            .into_response();
    }
    match state
        .pages
        .current()
        .render("registration_not_found.html", "", &[], now, Vec::new())
    {
        Ok(html) => no_store(html_response(StatusCode::NOT_FOUND, html)),
        Err(err) => template_failure(&err, false),
    }
}

fn template_failure(err: &str, json: bool) -> Response {
    tracing::error!(reason = %err, "page could not be rendered");
    plain_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Er ging iets mis. Probeer het later nog eens.",
        json,
    )
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response)
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Personal pages carry a secret in their URL: never cached, never indexed, never sent on as a referrer.
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        // Not `no-referrer`: with it, browsers send `Origin: null` on the page's own cancel form, which the
        // origin check must refuse. `strict-origin` still never sends the path (the token) anywhere.
        HeaderValue::from_static("strict-origin"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    response
}

/// A short page (or JSON) for errors that have no page of their own in the theme.
/// Headings in the site's language for the few answers rendered without the theme.
fn dutch_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Het formulier kon niet worden gelezen",
        403 => "Dit kan alleen via de website",
        404 => "Niet gevonden",
        413 => "Het formulier is te groot",
        415 => "Het formulier kon niet worden gelezen",
        _ => "Er ging iets mis",
    }
}

fn plain_error(status: StatusCode, message: &str, json: bool) -> Response {
    if json {
        return (
            status,
            axum::Json(json!({ "errors": [{ "field": null, "message": message }] })),
        )
            .into_response();
    }
    let html = format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/css/site.css\"></head><body><main id=\"inhoud\"><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Naar de startpagina</a></p></main></body></html>",
        title = dutch_title(status),
        message = opp_site::markdown::escape_attr(message)
    );
    html_response(status, html)
}
