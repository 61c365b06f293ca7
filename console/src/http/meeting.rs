//! A meeting's list: name, organisation, role, status, when registered, promoted, e-mail bounced; search,
//! a status filter, a sort order and pages of 100. Each view is in the audit log (meeting id only).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tera::Context;

use super::answer::{page, query_escape};
use super::lookup::meeting_with_people;
use super::{AppState, Signed};
use crate::search::{ListQuery, SortBy, select};
use opp_model::RegistrationStatus;
use opp_operations::local_time;

#[derive(Deserialize, Default)]
pub struct ListParams {
    zoek: Option<String>,
    status: Option<String>,
    sorteer: Option<String>,
    /// Text, not a number: a page like `?pagina=x` shows page 1 instead of axum's English refusal.
    pagina: Option<String>,
    gedaan: Option<String>,
}

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    organisation: String,
    role: String,
    status: &'static str,
    registered: String,
    promoted: String,
    checked_in: String,
    bounced: bool,
}

pub async fn list(
    State(state): State<AppState>,
    who: Signed,
    Path(meeting_id): Path<String>,
    Query(params): Query<ListParams>,
) -> Response {
    let (meeting, registrations) = match meeting_with_people(&state, &meeting_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = state
        .audit(&who, "view-list", Some(&meeting.id), None, None)
        .await
    {
        return response;
    }
    let status = params
        .status
        .as_deref()
        .and_then(|s| s.parse::<RegistrationStatus>().ok());
    let query = ListQuery {
        search: params.zoek.clone().unwrap_or_default(),
        status,
        sort: SortBy::parse(params.sorteer.as_deref().unwrap_or_default()),
        page: params
            .pagina
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1),
    };
    let selected = select(&registrations, &query);
    let rows: Vec<Row> = selected
        .rows
        .iter()
        .map(|r| Row {
            id: r.registration_id.clone(),
            name: r.name.clone(),
            organisation: r.organisation.clone().unwrap_or_default(),
            role: r.role.clone(),
            status: r.status.label_nl(),
            registered: local_time(&r.created_at),
            promoted: r.promoted_at.as_deref().map(local_time).unwrap_or_default(),
            checked_in: r
                .checked_in
                .as_ref()
                .map(|c| local_time(&c.at))
                .unwrap_or_default(),
            bounced: r.email_status.is_some(),
        })
        .collect();
    // The query string of this list without its page, for the page links.
    let base = format!(
        "?zoek={}&status={}&sorteer={}",
        query_escape(&query.search),
        status.map_or("", |s| s.as_str()),
        query.sort.as_str()
    );
    let mut context = Context::new();
    context.insert("meeting", &serde_json::json!({
        "id": meeting.id, "title": meeting.title, "date": meeting.date_label, "city": meeting.city,
        "capacity": meeting.capacity, "confirmed": meeting.confirmed, "waitlisted": meeting.waitlisted,
        "cancelled": meeting.cancelled,
    }));
    context.insert("rows", &rows);
    context.insert("search", &query.search);
    context.insert("status", &status.map_or("", |s| s.as_str()));
    context.insert("sort", query.sort.as_str());
    context.insert("matched", &selected.matched);
    context.insert("page", &selected.page);
    context.insert("pages", &selected.pages);
    context.insert("base", &base);
    context.insert(
        "notice",
        &super::answer::done_notice(params.gedaan.as_deref()),
    );
    page(&state, Some(&who), "meeting.html", context)
}
