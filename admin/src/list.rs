//! `opp-admin list`: one meeting's registrations in order of arrival, optionally of one status.

use std::io::Write;

use crate::{AdminError, local_time, meeting_registrations, table};
use opp_handler::store::{RegistrationRecord, Store};
use opp_model::RegistrationStatus;

pub async fn list(
    store: &Store,
    meeting: &str,
    status: Option<RegistrationStatus>,
    json: bool,
    out: &mut dyn Write,
) -> Result<Vec<RegistrationRecord>, AdminError> {
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
                    "name": r.name, "email": r.email, "role": r.role, "sector": r.sector,
                    "organisation": r.organisation, "needs": r.needs,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(rows)).ok();
        return Ok(registrations);
    }
    let rows: Vec<Vec<String>> = registrations
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                local_time(&r.created_at),
                r.status.to_string(),
                r.name.clone(),
                r.email.clone(),
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
                "registered",
                "status",
                "name",
                "email",
                "role",
                "sector",
                "organisation",
                "needs"
            ],
            &rows
        )
    )
    .ok();
    writeln!(out, "{} registration(s)", registrations.len()).ok();
    Ok(registrations)
}
