//! `opp-admin list`: one meeting's registrations in order of arrival, optionally of one status; without a
//! meeting, the meetings with their counters.

use std::io::Write;

use crate::summary::{MeetingSummary, write_counts};
use crate::{OperationError, local_time, meeting_registrations, table, terminal};
use opp_model::RegistrationStatus;
use opp_store::{RegistrationRecord, Store};

/// `list` without `--meeting`: every meeting with its counters, and how to list one of them.
pub async fn list_meetings(
    store: &Store,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), OperationError> {
    let meetings = store.meetings().await?;
    if json {
        let rows: Vec<serde_json::Value> = meetings
            .iter()
            .map(|m| {
                serde_json::json!({
                    "meeting": m.id, "date": m.date, "city": m.city, "capacity": m.capacity,
                    "confirmed": m.confirmed, "waitlisted": m.waitlisted, "cancelled": m.cancelled,
                    "places_left": m.places_left(),
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            terminal::json(&serde_json::Value::Array(rows).to_string())
        )
        .ok();
        return Ok(());
    }
    let counts: Vec<MeetingSummary> = meetings.iter().map(MeetingSummary::counters).collect();
    if !write_counts(store, &counts, out) {
        return Ok(());
    }
    let example = meetings.first().map_or("ID", |m| m.id.as_str());
    writeln!(
        out,
        "{}",
        say!(LIST_ONE_MEETING, example = terminal::visible(example))
    )
    .ok();
    Ok(())
}

/// One meeting's registrations in order of arrival, optionally of one status.
pub async fn list(
    store: &Store,
    meeting: &str,
    status: Option<RegistrationStatus>,
    json: bool,
    out: &mut dyn Write,
) -> Result<Vec<RegistrationRecord>, OperationError> {
    let mut registrations = meeting_registrations(store, meeting, &mut |_| {}).await?;
    if let Some(status) = status {
        registrations.retain(|r| r.status == status);
    }
    if json {
        let rows: Vec<serde_json::Value> = registrations
            .iter()
            .map(|r| {
                serde_json::json!({
                    "meeting": r.meeting, "created_at": r.created_at, "status": r.status,
                    "promoted_at": r.promoted_at,
                    "name": r.name, "email": r.email, "email_status": r.email_status, "link_id": r.link_id, "role": r.role, "sector": r.sector,
                    "organisation": r.organisation, "needs": r.needs,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            terminal::json(&serde_json::Value::Array(rows).to_string())
        )
        .ok();
        return Ok(registrations);
    }
    let rows: Vec<Vec<String>> = registrations
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                local_time(&r.created_at),
                r.status.label_msg().text().to_string(),
                r.promoted_at.as_deref().map(local_time).unwrap_or_default(),
                r.name.clone(),
                r.email.clone(),
                r.email_status.clone().unwrap_or_default(),
                r.role.clone(),
                r.sector.clone().unwrap_or_default(),
                r.organisation.clone().unwrap_or_default(),
                r.needs
                    .clone()
                    .unwrap_or_default()
                    .replace(['\n', '\r'], " "),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        table::render(
            &[
                "#",
                &say!(COL_REGISTERED),
                &say!(COL_STATUS),
                &say!(COL_PROMOTED),
                &say!(COL_NAME),
                &say!(COL_EMAIL),
                &say!(COL_MAIL),
                &say!(COL_ROLE),
                &say!(COL_SECTOR),
                &say!(COL_ORGANISATION),
                &say!(COL_NEEDS),
            ],
            &rows
        )
    )
    .ok();
    writeln!(
        out,
        "{}",
        say!(REGISTRATION_COUNT, count = registrations.len())
    )
    .ok();
    Ok(registrations)
}
