//! `opp-admin erase`: the AVG right to erasure. Finds every registration of an address through the email
//! index, removes each with its token, keeps the counters right and gives a freed seat to the waiting list.

use std::io::Write;

use jiff::Timestamp;

use crate::progress::Progress;
use crate::terminal::visible;
use crate::{OperationError, normalise_email};
use opp_store::{Removed, Store};

pub async fn erase(
    store: &Store,
    email: &str,
    dry_run: bool,
    now: Timestamp,
    out: &mut (impl Write + ?Sized),
) -> Result<Vec<Removed>, OperationError> {
    let key = normalise_email(email)?;
    let mut found = store.registrations_of(&key).await?;
    // Rows stored before IDN domains went into punycode hold the domain as typed.
    let legacy = crate::legacy_email(email);
    if legacy != key {
        found.extend(store.registrations_of(&legacy).await?);
    }
    let email = key;
    // Shown, not stored: the address as it prints safely.
    let shown = visible(&email).into_owned();
    // "Link kwijt?" requests hold the address too (for a day): they go as well.
    let requests = store.link_requests_of(&email).await?;
    let request_count = requests
        .iter()
        .filter(|(_, sk)| sk.starts_with("REQ#"))
        .count();
    if request_count > 0 {
        if dry_run {
            let line = say!(
                ERASE_WOULD_REMOVE_REQUESTS,
                count = request_count,
                email = shown
            );
            writeln!(out, "{line}").ok();
        } else {
            store.delete_items(&requests).await?;
            let line = say!(ERASE_REMOVED_REQUESTS, count = request_count, email = shown);
            writeln!(out, "{line}").ok();
        }
    }
    // The message ids of mails SES took, kept for its bounce and complaint reports, hold the address too,
    // and so do the links of address moves that wait for confirmation.
    let mut sent = store.sent_messages_of(&email).await?;
    sent.extend(store.move_pointers_of(&email).await?);
    if !sent.is_empty() {
        let line = if dry_run {
            say!(ERASE_WOULD_REMOVE_SENT, count = sent.len(), email = shown)
        } else {
            store.delete_items(&sent).await?;
            say!(ERASE_REMOVED_SENT, count = sent.len(), email = shown)
        };
        writeln!(out, "{line}").ok();
    }
    if found.is_empty() {
        writeln!(out, "{}", say!(ERASE_NOTHING, email = shown)).ok();
        return Ok(Vec::new());
    }
    if dry_run {
        for r in &found {
            let line = say!(
                ERASE_WOULD_REMOVE,
                email = shown,
                meeting = visible(&r.meeting),
                status = r.status.label_msg().text(),
                registered = crate::local_time(&r.created_at)
            );
            writeln!(out, "{line}").ok();
        }
        writeln!(out, "{}", say!(ERASE_DRY_RUN_TOTAL, count = found.len())).ok();
        return Ok(Vec::new());
    }
    let mut progress = Progress::new(say!(ERASING), Some(found.len()));
    let mut removed = Vec::new();
    for (i, r) in found.iter().enumerate() {
        let result = store
            .remove_registration(&r.meeting, &r.email, true, now)
            .await?;
        progress.set(i + 1);
        if let Some(done) = result {
            let promoted = match &done.promoted {
                Some(other) => say!(ERASE_PROMOTED, name = visible(other)),
                None => String::new(),
            };
            let line = say!(
                ERASE_REMOVED,
                email = shown,
                meeting = visible(&r.meeting),
                status = done.registration.status.label_msg().text(),
                promoted = promoted
            );
            writeln!(out, "{line}").ok();
            removed.push(done);
        }
    }
    progress.finish();
    let line = say!(ERASE_TOTAL, count = removed.len(), email = shown);
    writeln!(out, "{line}").ok();
    Ok(removed)
}
