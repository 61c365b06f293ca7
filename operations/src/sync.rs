//! `opp-admin sync-meetings`: makes the meeting items match the generator's `meetings.json`. Details are
//! replaced; counters are never touched; a capacity below the confirmed count is refused.

use std::io::Write;
use std::path::Path;

use crate::{Failure, OperationError};
use opp_model::messages::{Msg, admin as messages};
use opp_model::records::{MeetingRecord, from_meetings_json};
use opp_store::{MeetingRemoval, PutMeetingError, Store};

/// What syncing did (or, with `--dry-run`, would do) per meeting.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Meetings whose capacity would drop below the confirmed count: (id, capacity, confirmed).
    pub refused: Vec<(String, u32, u32)>,
    /// Meeting items in the table that `meetings.json` no longer lists (left as they are without `--prune`).
    pub not_in_file: Vec<String>,
    /// With `--prune`: of those, the ones removed (they had no registrations)...
    pub pruned: Vec<String>,
    /// ...and the ones kept because they have registrations.
    pub prune_refused: Vec<String>,
    /// Waiting people who got one of the meeting's new seats: (meeting id, how many).
    pub promoted: Vec<(String, usize)>,
    /// Registrations whose retention date (and their links') moved with their meeting.
    pub retention_rewritten: usize,
}

/// How `sync-meetings` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Print what would change, write nothing.
    pub dry_run: bool,
    /// Remove meetings that are no longer in the file and have no registrations.
    pub prune: bool,
    /// Write the meeting items only; leave the follow-ups in the registrations (new seats to those
    /// waiting, retention dates) to the mailer, which does them from the table's stream. The deploy
    /// role syncs this way, so it never reads or writes a registration.
    pub details_only: bool,
}

/// Reads `meetings.json` and syncs it; prints one line per meeting to `out`.
pub async fn sync_meetings(
    store: &Store,
    file: &Path,
    options: SyncOptions,
    out: &mut dyn Write,
) -> Result<SyncReport, OperationError> {
    let SyncOptions {
        dry_run,
        prune,
        details_only,
    } = options;
    let text = std::fs::read_to_string(file).map_err(|err| {
        OperationError::input(say!(SYNC_CANNOT_READ, path = file.display(), err = err))
    })?;
    let wanted = from_meetings_json(&text).map_err(|err| {
        OperationError::input(say!(FILE_PROBLEM, path = file.display(), err = err))
    })?;
    let existing = store.meetings().await?;
    let mut report = SyncReport::default();

    for meeting in &wanted {
        let before = existing.iter().find(|m| m.id == meeting.id);
        let changes = before.map(|b| differences(b, meeting));
        if let Some(before) = before
            && meeting.capacity < before.confirmed
        {
            writeln!(
                out,
                "{}",
                say!(
                    SYNC_REFUSED_CAPACITY,
                    meeting = meeting.id,
                    capacity = meeting.capacity,
                    confirmed = before.confirmed
                )
            )
            .ok();
            report
                .refused
                .push((meeting.id.clone(), meeting.capacity, before.confirmed));
            continue;
        }
        match &changes {
            Some(changes) if changes.is_empty() => {
                writeln!(out, "{}", say!(SYNC_UNCHANGED, meeting = meeting.id)).ok();
                report.unchanged.push(meeting.id.clone());
                if !dry_run && !details_only {
                    // An earlier run may have stopped before settling: finish it.
                    settle(store, meeting, &mut report, out).await?;
                }
                continue;
            }
            Some(changes) => {
                let changes = changes.join("; ");
                let line = if dry_run {
                    say!(SYNC_WOULD_UPDATE, meeting = meeting.id, changes = changes)
                } else {
                    say!(SYNC_UPDATE, meeting = meeting.id, changes = changes)
                };
                writeln!(out, "{line}").ok();
                report.updated.push(meeting.id.clone());
            }
            None => {
                let msg = if dry_run {
                    messages::SYNC_WOULD_CREATE
                } else {
                    messages::SYNC_CREATE
                };
                let line = msg.fill(&[
                    ("meeting", &meeting.id),
                    ("date", &meeting.date),
                    ("city", &meeting.city),
                    ("capacity", &meeting.capacity),
                ]);
                writeln!(out, "{line}").ok();
                report.created.push(meeting.id.clone());
            }
        }
        if dry_run {
            continue;
        }
        match store.put_meeting_details(meeting).await {
            Ok(_) if details_only => {}
            Ok(_) => settle(store, meeting, &mut report, out).await?,
            Err(PutMeetingError::CapacityBelowConfirmed {
                capacity,
                confirmed,
            }) => {
                // Someone registered between our read and this write.
                writeln!(
                    out,
                    "{}",
                    say!(
                        SYNC_REFUSED_RACE,
                        meeting = meeting.id,
                        capacity = capacity,
                        confirmed = confirmed
                    )
                )
                .ok();
                report.updated.retain(|id| id != &meeting.id);
                report.created.retain(|id| id != &meeting.id);
                report
                    .refused
                    .push((meeting.id.clone(), capacity, confirmed));
            }
            Err(PutMeetingError::Unavailable(err)) => return Err(err.into()),
        }
    }
    for meeting in &existing {
        if wanted.iter().any(|w| w.id == meeting.id) {
            continue;
        }
        report.not_in_file.push(meeting.id.clone());
        if !prune {
            writeln!(
                out,
                "{}",
                say!(SYNC_KEPT, meeting = meeting.id, file = file.display())
            )
            .ok();
            continue;
        }
        let has_registrations = if dry_run {
            meeting.confirmed + meeting.waitlisted + meeting.cancelled > 0
        } else {
            store.remove_meeting(&meeting.id).await? == MeetingRemoval::HasRegistrations
        };
        if has_registrations {
            writeln!(
                out,
                "{}",
                say!(
                    SYNC_PRUNE_REFUSED,
                    meeting = meeting.id,
                    file = file.display()
                )
            )
            .ok();
            report.prune_refused.push(meeting.id.clone());
        } else {
            let msg = if dry_run {
                messages::SYNC_WOULD_PRUNE
            } else {
                messages::SYNC_PRUNE
            };
            let line = msg.fill(&[("meeting", &meeting.id), ("file", &file.display())]);
            writeln!(out, "{line}").ok();
            report.pruned.push(meeting.id.clone());
        }
    }
    let totals = say!(
        SYNC_TOTALS,
        created = report.created.len(),
        updated = report.updated.len(),
        unchanged = report.unchanged.len(),
        refused = report.refused.len()
    );
    let note = if dry_run {
        say!(DRY_RUN_NOTE)
    } else {
        String::new()
    };
    writeln!(out, "{totals}{note}").ok();
    if !report.prune_refused.is_empty() && report.refused.is_empty() {
        return Err(OperationError::new(
            Failure::Refused,
            say!(
                SYNC_KEPT_WITH_REGISTRATIONS,
                count = report.prune_refused.len(),
                meetings = report.prune_refused.join(", ")
            ),
        ));
    }
    if !report.refused.is_empty() {
        return Err(OperationError::new(
            Failure::Refused,
            say!(
                SYNC_KEPT_CAPACITY,
                count = report.refused.len(),
                meetings = report
                    .refused
                    .iter()
                    .map(|(id, _, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(report)
}

/// After the details: new seats go to those waiting (first ticket first), and every item whose retention
/// follows the meeting gets its date. Both only write what differs, so running them again is harmless.
async fn settle(
    store: &Store,
    meeting: &MeetingRecord,
    report: &mut SyncReport,
    out: &mut dyn Write,
) -> Result<(), OperationError> {
    let promoted = store
        .promote_into_free_seats(&meeting.id, jiff::Timestamp::now())
        .await?;
    if !promoted.is_empty() {
        writeln!(
            out,
            "{}",
            say!(SYNC_PROMOTED, meeting = meeting.id, count = promoted.len())
        )
        .ok();
        report.promoted.push((meeting.id.clone(), promoted.len()));
    }
    let rewritten = store.follow_retention(meeting).await?;
    if rewritten > 0 {
        let until = jiff::Timestamp::from_second(meeting.expires_at)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        writeln!(
            out,
            "{}",
            say!(
                SYNC_RETENTION,
                meeting = meeting.id,
                count = rewritten,
                until = until
            )
        )
        .ok();
        report.retention_rewritten += rewritten;
    }
    Ok(())
}

/// The details that differ, as `field old -> new`; counters are not details.
fn differences(before: &MeetingRecord, after: &MeetingRecord) -> Vec<String> {
    let mut changes = Vec::new();
    let mut compare = |field: Msg, old: String, new: String| {
        if old != new {
            changes.push(say!(CHANGE, field = field.text(), old = old, new = new));
        }
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| say!(NOTHING));
    let time = |v: Option<i64>| {
        v.and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map_or_else(|| say!(NOTHING), |t| t.to_string())
    };
    compare(
        messages::FIELD_TITLE,
        before.title.clone(),
        after.title.clone(),
    );
    compare(
        messages::FIELD_PATH,
        before.path.clone(),
        after.path.clone(),
    );
    compare(
        messages::FIELD_DATE,
        before.date.clone(),
        after.date.clone(),
    );
    compare(
        messages::FIELD_TIME,
        before.time_label.clone(),
        after.time_label.clone(),
    );
    compare(
        messages::FIELD_VENUE,
        before.venue_name.clone(),
        after.venue_name.clone(),
    );
    compare(
        messages::FIELD_ADDRESS,
        opt(&before.venue_address),
        opt(&after.venue_address),
    );
    compare(
        messages::FIELD_POSTCODE,
        opt(&before.venue_postcode),
        opt(&after.venue_postcode),
    );
    compare(
        messages::FIELD_CITY,
        before.city.clone(),
        after.city.clone(),
    );
    compare(
        messages::FIELD_CALENDAR,
        before.ics_path.clone(),
        after.ics_path.clone(),
    );
    compare(
        messages::FIELD_CAPACITY,
        before.capacity.to_string(),
        after.capacity.to_string(),
    );
    compare(
        messages::FIELD_WAITLIST,
        before.waitlist_capacity.to_string(),
        after.waitlist_capacity.to_string(),
    );
    compare(
        messages::FIELD_OPENS,
        time(before.opens_at),
        time(after.opens_at),
    );
    compare(
        messages::FIELD_CLOSES,
        time(Some(before.closes_at)),
        time(Some(after.closes_at)),
    );
    compare(
        messages::FIELD_ENDS,
        time(Some(before.over_at)),
        time(Some(after.over_at)),
    );
    compare(
        messages::FIELD_RETENTION,
        time(Some(before.expires_at)),
        time(Some(after.expires_at)),
    );
    compare(
        messages::FIELD_DATE_LABEL,
        before.date_label.clone(),
        after.date_label.clone(),
    );
    changes
}
