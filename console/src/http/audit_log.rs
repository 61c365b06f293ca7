//! The audit log for role `beheer`: one day at a time (newest first), filtered by who, what or meeting.
//! Reading the log is itself logged.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::answer::{page, store_down};
use super::{AppState, Signed};
use crate::roles::Role;
use opp_operations::local_time;

#[derive(Deserialize, Default)]
pub struct AuditParams {
    dag: Option<String>,
    wie: Option<String>,
    actie: Option<String>,
    bijeenkomst: Option<String>,
}

#[derive(Serialize)]
struct Row {
    at: String,
    actor: String,
    actor_name: String,
    action: &'static str,
    meeting: String,
    registration_id: String,
    detail: String,
}

/// The actions as organisers read them (the stored words never change).
pub const ACTIONS: [(&str, &str); 18] = [
    ("sign-in", "ingelogd"),
    ("sign-in-refused", "inloggen geweigerd"),
    ("sign-out", "uitgelogd"),
    ("view-list", "lijst bekeken"),
    ("view-person", "persoon bekeken"),
    ("download", "gedownload"),
    ("view-audit-log", "logboek bekeken"),
    ("add-note", "notitie geschreven"),
    ("resend-link", "link opnieuw gestuurd"),
    ("correct-details", "gegevens verbeterd"),
    ("cancel", "afgemeld"),
    ("erase", "gewist"),
    ("register", "aangemeld"),
    ("move-meeting", "naar andere bijeenkomst"),
    ("door-search", "gezocht bij de deur"),
    ("check-in", "binnen gemeld"),
    ("undo-check-in", "binnen ongedaan"),
    ("send-message", "bericht gestuurd"),
];

fn action_word(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(stored, _)| *stored == action)
        .map_or("anders", |(_, word)| word)
}

pub async fn audit_log(
    State(state): State<AppState>,
    who: Signed,
    Query(params): Query<AuditParams>,
) -> Response {
    if let Err(response) = who.require(&state, Role::Manager) {
        return response;
    }
    let today = (state.clock)().to_zoned(jiff::tz::TimeZone::UTC).date();
    let day = params
        .dag
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .unwrap_or(today);
    if let Err(response) = state.audit(&who, "view-audit-log", None, None, None).await {
        return response;
    }
    let entries = match state.store.audit_entries(day).await {
        Ok(entries) => entries,
        Err(err) => {
            tracing::error!(error = %err.0, "audit log not readable");
            return store_down(&state);
        }
    };
    let wanted = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    };
    let (who_filter, action_filter, meeting_filter) = (
        wanted(&params.wie),
        wanted(&params.actie),
        wanted(&params.bijeenkomst),
    );
    let rows: Vec<Row> = entries
        .into_iter()
        .filter(|e| {
            who_filter.as_ref().is_none_or(|w| {
                e.actor.to_lowercase().contains(w) || e.actor_name.to_lowercase().contains(w)
            }) && action_filter.as_ref().is_none_or(|a| e.action == *a)
                && meeting_filter
                    .as_ref()
                    .is_none_or(|m| e.meeting.as_deref() == Some(m.as_str()))
        })
        .map(|e| Row {
            at: local_time(&e.at),
            action: action_word(&e.action),
            actor: e.actor,
            actor_name: e.actor_name,
            meeting: e.meeting.unwrap_or_default(),
            registration_id: e.registration_id.unwrap_or_default(),
            detail: e.detail.unwrap_or_default(),
        })
        .collect();
    let mut context = Context::new();
    context.insert("rows", &rows);
    context.insert("current", "audit");
    context.insert("day", &day.to_string());
    context.insert(
        "previous_day",
        &day.yesterday().map(|d| d.to_string()).unwrap_or_default(),
    );
    context.insert(
        "next_day",
        &day.tomorrow()
            .ok()
            .filter(|d| *d <= today)
            .map(|d| d.to_string()),
    );
    context.insert("wie", &params.wie.unwrap_or_default());
    context.insert("actie", &params.actie.unwrap_or_default());
    context.insert("bijeenkomst", &params.bijeenkomst.unwrap_or_default());
    context.insert(
        "actions",
        &ACTIONS
            .iter()
            .map(|(s, w)| serde_json::json!({"value": s, "label": w}))
            .collect::<Vec<_>>(),
    );
    context.insert("keep_days", &state.settings.audit_days);
    page(&state, Some(&who), "audit.html", context)
}
