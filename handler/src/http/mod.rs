//! The HTTP side: the router over the route table, the CDN's origin header, and the state every request
//! shares. Rules live in `registration`, storage in `store`; the handlers here only translate between them
//! and HTTP, each outcome as one [`answer::Answer`] that renders as HTML or JSON from one place.

mod answer;
mod links;
mod meetings;
mod moves;
mod personal;
mod register;
mod request;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use jiff::Timestamp;
use std::sync::Arc;

use crate::origin_secret::OriginSecret;
use crate::pages::SharedPages;
use answer::Answer;
use links::request_links;
use meetings::meetings;
use moves::{confirm_move, move_confirmation};
use opp_model::routes::{Endpoint, Routes};
use opp_store::Store;
use opp_store::link_keys::LinkKeySource;
use personal::{
    cancel, cancel_confirmation, cancelled_page, change_details, details_changed_page,
    details_form, no_personal_page, personal_calendar, personal_page,
};
use register::register;

pub use opp_store::origin_secret::ORIGIN_VERIFY_HEADER;

#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The origins posts are accepted from: the site's (`https://www.example.nl`), and for `cargo dev` its port
    /// under both loopback names. Empty: no check (tests).
    pub site_origins: Vec<String>,
    /// Unless off, every request must carry it in `x-origin-verify` (only CloudFront knows it).
    pub origin_secret: OriginSecret,
    /// The link key ring new personal links are derived from.
    pub link_keys: LinkKeySource,
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

    /// The budget on the mails a visitor can trigger per address (`limits:` in config.yaml). None when the
    /// link key ring, which its key is derived from, cannot be read now: the change then goes ahead with
    /// its email, as before budgets (a visitor cannot make Secrets Manager fail).
    pub async fn mail_budget(&self) -> Option<opp_store::mail_budget::MailBudget> {
        let ring = self.settings.link_keys.ring().await.ok()?;
        Some(opp_store::mail_budget::MailBudget::new(
            ring,
            self.pages.current().limits(),
        ))
    }

    /// The same state with another clock (tests and benchmarks that need a fixed "now").
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

pub fn router(state: AppState) -> Router {
    let routes = state.routes.clone();
    Endpoint::ALL
        .into_iter()
        .fold(Router::new(), |router, endpoint| {
            router.route(&endpoint.path(&routes), answer_to(endpoint))
        })
        // Per route, so the router still merges into `opp-site serve`'s (which has its own fallback).
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            verify_origin_secret,
        ))
        // Outermost: the arrival counts before anything else (the origin secret's read included).
        .layer(middleware::from_fn(stamp_arrival))
        .with_state(state)
}

/// When a request arrived: the store's time budget counts from here, so secret reads before the store
/// work are inside the one budget, and the function's answer comes within its timeout.
#[derive(Debug, Clone, Copy)]
pub struct Arrived(pub std::time::Instant);

impl Arrived {
    /// The request's arrival, or now when it passed no router (a handler called directly).
    pub fn of(extensions: &axum::http::Extensions) -> std::time::Instant {
        extensions
            .get::<Arrived>()
            .map_or_else(std::time::Instant::now, |arrived| arrived.0)
    }
}

async fn stamp_arrival(mut request: Request, next: Next) -> Response {
    request
        .extensions_mut()
        .insert(Arrived(std::time::Instant::now()));
    next.run(request).await
}

/// What answers each endpoint of the route table: a match, so a new endpoint cannot be left without one,
/// and every route the router has is in the table (the HTTP API's routes are compared with it).
fn answer_to(endpoint: Endpoint) -> MethodRouter<AppState> {
    match endpoint {
        Endpoint::Register => post(register),
        Endpoint::NoPersonalPage => get(no_personal_page),
        Endpoint::PersonalPage => get(personal_page),
        Endpoint::CancelConfirmation => get(cancel_confirmation),
        Endpoint::Cancel => post(cancel),
        Endpoint::Cancelled => get(cancelled_page),
        Endpoint::DetailsForm => get(details_form),
        Endpoint::ChangeDetails => post(change_details),
        Endpoint::DetailsChanged => get(details_changed_page),
        Endpoint::Calendar => get(personal_calendar),
        Endpoint::Meetings => get(meetings),
        Endpoint::RequestLinks => post(request_links),
        Endpoint::MoveConfirmation => get(move_confirmation),
        Endpoint::ConfirmMove => post(confirm_move),
    }
}

/// A path the handler has, asked with a method it does not answer (`OPTIONS`, `PUT`, a `POST` on a page):
/// 405 with a Dutch message instead of axum's empty one. axum adds the `Allow` header.
async fn method_not_allowed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    Answer::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Dit kan niet op dit adres. Gebruik de knoppen en formulieren op de website.",
    )
    .respond(request::format(&headers), &state)
    .await
}

/// Every request must carry CloudFront's secret header when one is configured: only the CDN reaches the
/// function.
async fn verify_origin_secret(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.settings.origin_secret.is_checked() {
        let given = request
            .headers()
            .get(ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !state.settings.origin_secret.accepts(given).await {
            tracing::warn!(status = 403, "request without the CDN's origin header");
            return answer::message_page(
                StatusCode::FORBIDDEN,
                "Deze pagina is alleen via de website te bereiken.",
            );
        }
    }
    next.run(request).await
}
