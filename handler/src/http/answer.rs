//! The handler's one response type: every outcome is an [`Answer`] that holds both its JSON and its HTML
//! form, and [`Answer::respond`] is the one place that picks the form the client asked for.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use crate::pages::ResultPage;
use opp_model::records::{MeetingRecord, WaitlistPlace};
use opp_store::RegistrationRecord;

/// A waiting registration's place, from its ticket and its meeting (None when not waiting, or from before
/// tickets).
pub fn waitlist_place(
    record: &RegistrationRecord,
    meeting: Option<&MeetingRecord>,
) -> Option<WaitlistPlace> {
    if record.status != opp_model::RegistrationStatus::Waitlisted {
        return None;
    }
    Some(meeting?.waitlist_place(record.waitlist_ticket?))
}

/// The JSON fields of a waiting-list place: `position` and `position_approximate`.
pub fn place_fields(body: &mut Value, place: Option<WaitlistPlace>) {
    if let Some(place) = place {
        body["position"] = json!(place.number);
        body["position_approximate"] = json!(place.approximate);
    }
}

/// How the client wants its answers: a browser (HTML) or a script (`Accept: application/json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

/// One outcome of a request, in both forms.
pub struct Answer {
    /// The status of the JSON answer and of an HTML page (a redirect is always 303).
    status: StatusCode,
    json: Value,
    html: Html,
    /// `Cache-Control` when the answer may be cached; every other answer is `no-store`.
    cache: Option<&'static str>,
}

/// The HTML form of an answer.
enum Html {
    /// 303 to a page (Post/Redirect/Get).
    SeeOther(String),
    /// 303 to one of the site's static result pages.
    ResultPage(ResultPage),
    /// A short page without the theme, for errors that have no page of their own.
    Message(String),
    /// The registration form again, with the errors and the values as entered.
    FormErrors(Value),
    /// A page of the theme about one registration.
    Registration {
        template: &'static str,
        token: String,
        record: Box<RegistrationRecord>,
        /// Its meeting as read for this answer (None when it is gone).
        meeting: Option<Box<MeetingRecord>>,
        /// The details form again, with its errors and the values as entered.
        form: Option<Value>,
    },
    /// The page of an address move's confirmation link (`registration_move.html`).
    Move {
        view: Value,
        meeting: Option<Box<MeetingRecord>>,
    },
    /// The theme's page for a link that leads nowhere.
    NotFound,
    /// The theme's page for a post that did not come from the site.
    Refused(String),
    /// No page: public data, answered as JSON to every client.
    SameAsJson,
}

/// Where an address move's confirmation link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveStep {
    /// The move waits: the page asks to confirm.
    Ask,
    Moved,
    /// The new address has a registration for the meeting already.
    Taken,
    /// No such move waits (expired, replaced, cancelled, done, or an unknown link).
    Gone,
}

impl MoveStep {
    fn as_str(self) -> &'static str {
        match self {
            MoveStep::Ask => "ask",
            MoveStep::Moved => "moved",
            MoveStep::Taken => "taken",
            MoveStep::Gone => "gone",
        }
    }
}

impl Answer {
    /// The page of an address move's confirmation link, and `{"status": step}` for scripts.
    pub fn move_page(
        status: StatusCode,
        step: MoveStep,
        action: String,
        to: Option<&str>,
        meeting: Option<MeetingRecord>,
    ) -> Answer {
        Answer {
            status,
            json: json!({ "status": step.as_str() }),
            html: Html::Move {
                view: json!({ "state": step.as_str(), "action": action, "to": to }),
                meeting: meeting.map(Box::new),
            },
            cache: None,
        }
    }

    /// The same message in both forms: `{"errors": [{"field": null, "message": ...}]}` or a short page.
    pub fn error(status: StatusCode, message: &str) -> Answer {
        Answer {
            status,
            json: json!({ "errors": [{ "field": null, "message": message }] }),
            html: Html::Message(message.to_string()),
            cache: None,
        }
    }

    /// JSON `status` with `json`; HTML 303 to `location`.
    pub fn see_other(status: StatusCode, json: Value, location: String) -> Answer {
        Answer {
            status,
            json,
            html: Html::SeeOther(location),
            cache: None,
        }
    }

    /// JSON `status` with `json`; HTML 303 to one of the site's result pages.
    pub fn result_page(status: StatusCode, json: Value, page: ResultPage) -> Answer {
        Answer {
            status,
            json,
            html: Html::ResultPage(page),
            cache: None,
        }
    }

    /// 422: the field errors, and for a browser the form filled in again.
    pub fn form_errors(errors: Value, values: Value) -> Answer {
        Answer {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            json: json!({ "errors": errors }),
            html: Html::FormErrors(json!({ "values": values, "errors": errors })),
            cache: None,
        }
    }

    /// 200: a registration's own page (`template`), or its state as JSON.
    pub fn registration(
        template: &'static str,
        token: &str,
        record: RegistrationRecord,
        meeting: Option<MeetingRecord>,
        json: Value,
    ) -> Answer {
        Answer {
            status: StatusCode::OK,
            json,
            html: Html::Registration {
                template,
                token: token.to_string(),
                record: Box::new(record),
                meeting: meeting.map(Box::new),
                form: None,
            },
            cache: None,
        }
    }

    /// 422: the details form of a registration's page again, with the field errors and the values as
    /// entered.
    pub fn details_errors(
        token: &str,
        record: RegistrationRecord,
        meeting: Option<MeetingRecord>,
        errors: Value,
        values: Value,
    ) -> Answer {
        Answer {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            json: json!({ "errors": errors }),
            html: Html::Registration {
                template: DETAILS_TEMPLATE,
                token: token.to_string(),
                record: Box::new(record),
                meeting: meeting.map(Box::new),
                form: Some(json!({ "values": values, "errors": errors })),
            },
            cache: None,
        }
    }

    /// 400 for a post that did not come from the site's own pages. Not 403: CloudFront turns every 403
    /// of the distribution into the site's 404 page (see infra/template.yaml), and this page says what to do.
    pub fn refused(message: &str) -> Answer {
        Answer {
            status: StatusCode::BAD_REQUEST,
            json: json!({ "errors": [{ "field": null, "message": message }] }),
            html: Html::Refused(message.to_string()),
            cache: None,
        }
    }

    /// 404 for a link that leads nowhere.
    pub fn not_found() -> Answer {
        Answer {
            status: StatusCode::NOT_FOUND,
            json: json!({ "status": "not_found" }),
            html: Html::NotFound,
            cache: None,
        }
    }

    /// Public data that caches may keep (`cache` is its `Cache-Control`), as JSON to every client.
    pub fn data(json: Value, cache: &'static str) -> Answer {
        Answer {
            status: StatusCode::OK,
            json,
            html: Html::SameAsJson,
            cache: Some(cache),
        }
    }

    /// The answer in the client's form. Only HTML pages of the theme need the state (and, for a
    /// registration's page, one read of its meeting).
    pub async fn respond(self, format: Format, state: &AppState) -> Response {
        let cache = self.cache;
        let mut response = match (format, self.html) {
            // A created registration names its personal page, as 201 Created does.
            (Format::Json, Html::SeeOther(location))
                if matches!(self.status, StatusCode::CREATED | StatusCode::ACCEPTED) =>
            {
                let mut response = (self.status, axum::Json(self.json)).into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            (Format::Json, _) | (_, Html::SameAsJson) => {
                (self.status, axum::Json(self.json)).into_response()
            }
            (Format::Html, Html::SeeOther(location)) => see_other(&location),
            (Format::Html, Html::ResultPage(page)) => {
                see_other(&state.pages.current().result_url(page))
            }
            (Format::Html, Html::Message(message)) => message_page(self.status, &message),
            (Format::Html, Html::FormErrors(form)) => form_errors_page(state, form).await,
            (
                Format::Html,
                Html::Registration {
                    template,
                    token,
                    record,
                    meeting,
                    form,
                },
            ) => registration_page(
                state,
                self.status,
                RegistrationView {
                    template,
                    token: &token,
                    record: &record,
                    meeting: meeting.map(|m| *m),
                    form,
                },
            ),
            (Format::Html, Html::Move { view, meeting }) => {
                move_page(state, self.status, view, meeting.map(|m| *m))
            }
            (Format::Html, Html::NotFound) => not_found_page(state),
            (Format::Html, Html::Refused(message)) => refused_page(state, &message),
        };
        let headers = response.headers_mut();
        match cache {
            Some(cache) => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            }
            None => private(headers),
        }
        response
    }
}

/// Answers of the registration routes can carry a secret in their URL or personal data: never cached,
/// never indexed, never sent on as a referrer.
pub fn private(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        // Not `no-referrer`: with it, browsers send `Origin: null` on the page's own cancel form, which the
        // origin check must refuse. `strict-origin` still never sends the path (the token) anywhere.
        HeaderValue::from_static("strict-origin"),
    );
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
}

async fn form_errors_page(state: &AppState, form: Value) -> Response {
    let now = (state.clock)();
    let meetings = state.store.meetings().await.unwrap_or_default();
    let rendered = state.pages.current().render(
        "registration_form_errors.html",
        state.routes.registrations(),
        &meetings,
        now,
        vec![("form", form)],
    );
    html_or_failure(StatusCode::UNPROCESSABLE_ENTITY, rendered)
}

/// The theme's page for the registration's details form ("Gegevens wijzigen").
/// `body` with `"mail_withheld": true` when the change's email was not sent (over the address's mail
/// budget); absent otherwise, so scripts written before the budget read the same answers.
pub fn with_mail_withheld(mut body: Value, withheld: bool) -> Value {
    if withheld && let Some(fields) = body.as_object_mut() {
        fields.insert("mail_withheld".into(), Value::Bool(true));
    }
    body
}

pub const DETAILS_TEMPLATE: &str = "registration_details.html";

/// What a registration's page shows.
struct RegistrationView<'a> {
    template: &'static str,
    token: &'a str,
    record: &'a RegistrationRecord,
    meeting: Option<MeetingRecord>,
    form: Option<Value>,
}

fn registration_page(state: &AppState, status: StatusCode, view: RegistrationView) -> Response {
    let RegistrationView {
        template,
        token,
        record,
        meeting,
        form,
    } = view;
    let now = (state.clock)();
    let place = waitlist_place(record, meeting.as_ref());
    let meeting_value = meeting
        .as_ref()
        .map(|m| crate::pages::meeting_view(m, now))
        .unwrap_or(Value::Null);
    let page_url = state.routes.personal_page(token);
    let registration = json!({
        "status": record.status,
        "position": place.map(|p| p.number),
        "position_approximate": place.is_some_and(|p| p.approximate),
        "name": record.name,
        "email": record.email,
        "role": record.role,
        "sector": record.sector,
        "organisation": record.organisation,
        "needs": record.needs,
        "mail_withheld": record.mail_withheld,
        // A move that waits for the new address to confirm it.
        "pending_move_to": record.pending_move.as_ref().map(|m| m.to.clone()),
        // Only before the meeting is over: afterwards nothing on the page matters any more.
        "details_editable": record.status != opp_model::RegistrationStatus::Cancelled
            && meeting.as_ref().is_some_and(|m| m.status(now) != opp_model::MeetingStatus::Past),
        "details_url": state.routes.details(token),
        "token": token,
        "meeting": meeting_value,
        "page_url": page_url,
        "cancel_url": state.routes.cancel(token),
        "calendar_url": state.routes.calendar(token),
        "check_in": check_in_view(record, meeting.as_ref(), now),
    });
    let meetings: Vec<_> = meeting.into_iter().collect();
    let mut extra = vec![("registration", registration)];
    if let Some(form) = form {
        extra.push(("form", form));
    }
    let rendered = state
        .pages
        .current()
        .render(template, &page_url, &meetings, now, extra);
    html_or_failure(status, rendered)
}

/// The seat's check-in code as the page shows it (a QR code drawn inline, and its short form to read
/// aloud), until the meeting is over; null when there is no valid code.
fn check_in_view(
    record: &RegistrationRecord,
    meeting: Option<&MeetingRecord>,
    now: jiff::Timestamp,
) -> Value {
    let Some(meeting) = meeting.filter(|m| m.status(now) != opp_model::MeetingStatus::Past) else {
        return Value::Null;
    };
    let Some(code) = record.valid_check_in_code(meeting) else {
        return Value::Null;
    };
    let short = opp_model::check_in_code::short_form(code);
    match opp_render::qr::svg(code, &format!("QR-code om binnen te komen, code {short}")) {
        Some(svg) => json!({ "qr_svg": svg, "short": short }),
        None => json!({ "short": short }),
    }
}

fn move_page(
    state: &AppState,
    status: StatusCode,
    mut view: Value,
    meeting: Option<MeetingRecord>,
) -> Response {
    let now = (state.clock)();
    view["meeting"] = meeting
        .as_ref()
        .map(|m| crate::pages::meeting_view(m, now))
        .unwrap_or(Value::Null);
    let meetings: Vec<_> = meeting.into_iter().collect();
    let rendered = state.pages.current().render(
        "registration_move.html",
        "",
        &meetings,
        now,
        vec![("confirm", view)],
    );
    html_or_failure(status, rendered)
}

fn not_found_page(state: &AppState) -> Response {
    let now = (state.clock)();
    let rendered =
        state
            .pages
            .current()
            .render("registration_not_found.html", "", &[], now, Vec::new());
    html_or_failure(StatusCode::NOT_FOUND, rendered)
}

fn refused_page(state: &AppState, message: &str) -> Response {
    let now = (state.clock)();
    let rendered = state.pages.current().render(
        "registration_refused.html",
        "",
        &[],
        now,
        vec![("refusal", json!({ "message": message }))],
    );
    html_or_failure(StatusCode::BAD_REQUEST, rendered)
}

fn html_or_failure(status: StatusCode, rendered: Result<String, String>) -> Response {
    match rendered {
        Ok(html) => html_response(status, html),
        Err(err) => {
            tracing::error!(reason = %err, "page could not be rendered");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Er ging iets mis. Probeer het later nog eens.",
            )
        }
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Headings in the site's language for the few answers rendered without the theme.
fn dutch_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Het formulier kon niet worden gelezen",
        403 => "Dit kan alleen via de website",
        404 => "Niet gevonden",
        405 => "Dit kan niet op dit adres",
        413 => "Het formulier is te groot",
        415 => "Het formulier kon niet worden gelezen",
        _ => "Er ging iets mis",
    }
}

/// A short page for errors that have no page of their own in the theme.
pub(super) fn message_page(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/css/site.css\"></head><body><main id=\"inhoud\"><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Naar de startpagina</a></p></main></body></html>",
        title = dutch_title(status),
        message = opp_render::escape_attr(message)
    );
    html_response(status, html)
}
