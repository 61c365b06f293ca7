//! `opp-admin summary`: per meeting its capacity and counters, and who registered by role and sector.
//! Counters come from the meeting items; the breakdown from the registrations themselves, and any
//! difference between the two is reported, since it would mean a bug or a manual edit.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde::Serialize;

use crate::OperationError;
use crate::progress::Progress;
use crate::table;
use crate::terminal::{self, visible};
use opp_model::RegistrationStatus;
use opp_model::messages::Lang;
use opp_model::records::MeetingRecord;
use opp_store::Store;

/// The sector of registrations without one: a key of `--json`'s `by_sector`, so it does not change with
/// the language (the table shows it in words).
const NO_SECTOR: &str = "(geen)";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct MeetingSummary {
    pub id: String,
    pub date: String,
    pub city: String,
    pub capacity: u32,
    pub confirmed: u32,
    pub waitlisted: u32,
    pub cancelled: u32,
    pub places_left: u32,
    /// Registrations that got a seat from the waiting list (whatever they did after).
    pub promoted: u32,
    /// Seats checked in at the door (the back office).
    pub checked_in: u32,
    /// Registrations whose address SES reported as bounced or complained (they get no email).
    pub email_problems: u32,
    /// Active registrations (confirmed and waitlisted) per role and per sector.
    pub by_role: BTreeMap<String, u32>,
    pub by_sector: BTreeMap<String, u32>,
    /// Set when the items do not add up to the counters (in English: `--json` output does not change
    /// with the language).
    pub mismatch: Option<String>,
    /// The same as counts: what the counters say and what the items add up to.
    #[serde(skip)]
    pub mismatch_counts: Option<([u32; 3], [u32; 3])>,
}

impl MeetingSummary {
    /// What the meeting item's counters say, without reading its registrations.
    pub fn counters(meeting: &MeetingRecord) -> MeetingSummary {
        MeetingSummary {
            id: meeting.id.clone(),
            date: meeting.date.clone(),
            city: meeting.city.clone(),
            capacity: meeting.capacity,
            confirmed: meeting.confirmed,
            waitlisted: meeting.waitlisted,
            cancelled: meeting.cancelled,
            places_left: meeting.places_left(),
            promoted: 0,
            checked_in: 0,
            email_problems: 0,
            by_role: BTreeMap::new(),
            by_sector: BTreeMap::new(),
            mismatch: None,
            mismatch_counts: None,
        }
    }
}

pub async fn summaries(store: &Store) -> Result<Vec<MeetingSummary>, OperationError> {
    let meetings = store.meetings().await?;
    let mut progress = Progress::new(say!(READING_REGISTRATIONS), Some(meetings.len()));
    let mut summaries = Vec::new();
    for (i, meeting) in meetings.iter().enumerate() {
        let registrations = store.registrations(&meeting.id, &mut |_| {}).await?;
        progress.set(i + 1);
        let mut by_role = BTreeMap::new();
        let mut by_sector = BTreeMap::new();
        let mut counted = [0u32; 3];
        let promoted = registrations
            .iter()
            .filter(|r| r.promoted_at.is_some())
            .count() as u32;
        let checked_in = registrations
            .iter()
            .filter(|r| r.status == RegistrationStatus::Confirmed && r.checked_in.is_some())
            .count() as u32;
        let email_problems = registrations
            .iter()
            .filter(|r| r.status != RegistrationStatus::Cancelled && r.email_status.is_some())
            .count() as u32;
        for r in &registrations {
            match r.status {
                RegistrationStatus::Confirmed => counted[0] += 1,
                RegistrationStatus::Waitlisted => counted[1] += 1,
                RegistrationStatus::Cancelled => {
                    counted[2] += 1;
                    continue;
                }
            }
            *by_role.entry(r.role.clone()).or_insert(0) += 1;
            let sector = r.sector.clone().unwrap_or_else(|| NO_SECTOR.to_string());
            *by_sector.entry(sector).or_insert(0) += 1;
        }
        let counters = [meeting.confirmed, meeting.waitlisted, meeting.cancelled];
        let mismatch_counts = (counted != counters).then_some((counters, counted));
        let mismatch = mismatch_counts
            .map(|(counters, counted)| mismatch_text(Lang::En, &meeting.id, counters, counted));
        summaries.push(MeetingSummary {
            promoted,
            checked_in,
            email_problems,
            by_role,
            by_sector,
            mismatch,
            mismatch_counts,
            ..MeetingSummary::counters(meeting)
        });
    }
    progress.finish();
    Ok(summaries)
}

/// Writes the table of meetings with their counters (`summary`, and `list` without `--meeting`), or what
/// to do when the table has no meetings; false in that case.
pub(crate) fn write_counts(
    store: &Store,
    meetings: &[MeetingSummary],
    out: &mut dyn Write,
) -> bool {
    if meetings.is_empty() {
        writeln!(out, "{}", say!(NO_MEETINGS, table = store.table())).ok();
        return false;
    }
    write!(out, "{}", counts_table(meetings)).ok();
    true
}

fn counts_table(meetings: &[MeetingSummary]) -> String {
    let rows: Vec<Vec<String>> = meetings
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.date.to_string(),
                m.city.to_string(),
                m.capacity.to_string(),
                m.confirmed.to_string(),
                m.waitlisted.to_string(),
                m.cancelled.to_string(),
                m.places_left.to_string(),
            ]
        })
        .collect();
    table::render(
        &[
            &say!(COL_MEETING),
            &say!(COL_DATE),
            &say!(COL_CITY),
            &say!(COL_CAPACITY),
            RegistrationStatus::Confirmed.label_msg().text(),
            RegistrationStatus::Waitlisted.label_msg().text(),
            RegistrationStatus::Cancelled.label_msg().text(),
            &say!(COL_PLACES_LEFT),
        ],
        &rows,
    )
}

/// Prints the summaries as text tables (or JSON with `json`).
pub async fn summary(store: &Store, json: bool, out: &mut dyn Write) -> Result<(), OperationError> {
    let summaries = summaries(store).await?;
    if json {
        let text = serde_json::to_string_pretty(&summaries)
            .map_err(|err| OperationError::input(say!(JSON_FAILED, err = err)))?;
        writeln!(out, "{}", terminal::json(&text)).ok();
        return Ok(());
    }
    if !write_counts(store, &summaries, out) {
        return Ok(());
    }
    let promoted: Vec<String> = summaries
        .iter()
        .filter(|s| s.promoted > 0)
        .map(|s| format!("{} {}", visible(&s.id), s.promoted))
        .collect();
    if !promoted.is_empty() {
        writeln!(
            out,
            "\n{}",
            say!(PROMOTED_LINE, counts = promoted.join(", "))
        )
        .ok();
    }
    let inside: Vec<String> = summaries
        .iter()
        .filter(|s| s.checked_in > 0)
        .map(|s| format!("{} {}", visible(&s.id), s.checked_in))
        .collect();
    if !inside.is_empty() {
        writeln!(
            out,
            "\n{}",
            say!(CHECKED_IN_LINE, counts = inside.join(", "))
        )
        .ok();
    }
    let problems: Vec<String> = summaries
        .iter()
        .filter(|s| s.email_problems > 0)
        .map(|s| format!("{} {}", visible(&s.id), s.email_problems))
        .collect();
    if !problems.is_empty() {
        writeln!(
            out,
            "\n{}",
            say!(EMAIL_PROBLEMS_LINE, counts = problems.join(", "))
        )
        .ok();
    }
    let by_role = (say!(COL_ROLE), say!(BREAKDOWN_ROLE));
    let by_sector = (say!(COL_SECTOR), say!(BREAKDOWN_SECTOR));
    write!(out, "{}", breakdown(&by_role, &summaries, |s| &s.by_role)).ok();
    write!(
        out,
        "{}",
        breakdown(&by_sector, &summaries, |s| &s.by_sector)
    )
    .ok();
    for s in &summaries {
        if let Some((counters, counted)) = s.mismatch_counts {
            let text = mismatch_text(Lang::current(), &s.id, counters, counted);
            writeln!(out, "\n{}: {text}", say!(WARNING_PREFIX)).ok();
        }
    }
    Ok(())
}

fn mismatch_text(lang: Lang, meeting: &str, counters: [u32; 3], counted: [u32; 3]) -> String {
    let slashed = |n: [u32; 3]| format!("{}/{}/{}", n[0], n[1], n[2]);
    opp_model::text!(
        admin::MISMATCH,
        meeting = visible(meeting),
        counters = slashed(counters),
        counted = slashed(counted)
    )
    .render(lang)
}

/// One count table under its heading: a row per role (or sector), a column per meeting, and the total.
fn breakdown(
    (column, heading): &(String, String),
    summaries: &[MeetingSummary],
    pick: fn(&MeetingSummary) -> &BTreeMap<String, u32>,
) -> String {
    let keys: BTreeSet<&String> = summaries.iter().flat_map(|s| pick(s).keys()).collect();
    let total = say!(COL_TOTAL);
    let mut header = vec![column.as_str()];
    header.extend(summaries.iter().map(|s| s.id.as_str()));
    header.push(&total);
    let rows: Vec<Vec<String>> = keys
        .into_iter()
        .map(|key| {
            let counts: Vec<u32> = summaries
                .iter()
                .map(|s| pick(s).get(key).copied().unwrap_or(0))
                .collect();
            let label = if key == NO_SECTOR {
                say!(NOTHING)
            } else {
                key.clone()
            };
            let mut row = vec![label];
            row.extend(counts.iter().map(u32::to_string));
            row.push(counts.iter().sum::<u32>().to_string());
            row
        })
        .collect();
    format!("\n{heading}\n{}", table::render(&header, &rows))
}
