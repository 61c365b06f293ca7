//! `opp-admin erase`: the AVG right to erasure. Finds every registration of an address through the email
//! index, removes each with its token, keeps the counters right and gives a freed seat to the waiting list.

use std::io::Write;

use jiff::Timestamp;

use crate::progress::Progress;
use crate::terminal::visible;
use crate::{AdminError, normalise_email};
use opp_handler::store::{Removed, Store};

pub async fn erase(
    store: &Store,
    email: &str,
    dry_run: bool,
    now: Timestamp,
    out: &mut dyn Write,
) -> Result<Vec<Removed>, AdminError> {
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
            writeln!(
                out,
                "would remove {request_count} link request(s) of {shown}"
            )
            .ok();
        } else {
            store.delete_items(&requests).await?;
            writeln!(out, "removed {request_count} link request(s) of {shown}").ok();
        }
    }
    if found.is_empty() {
        writeln!(out, "no registrations of {shown}: nothing to erase").ok();
        return Ok(Vec::new());
    }
    if dry_run {
        for r in &found {
            writeln!(
                out,
                "would remove {shown} from {} ({}, registered {})",
                visible(&r.meeting),
                r.status,
                crate::local_time(&r.created_at)
            )
            .ok();
        }
        writeln!(
            out,
            "{} registration(s) found (dry run: nothing removed)",
            found.len()
        )
        .ok();
        return Ok(Vec::new());
    }
    let mut progress = Progress::new("erasing", Some(found.len()));
    let mut removed = Vec::new();
    for (i, r) in found.iter().enumerate() {
        let result = store
            .remove_registration(&r.meeting, &r.email, true, now)
            .await?;
        progress.set(i + 1);
        if let Some(done) = result {
            let promoted = match &done.promoted {
                Some(other) => format!(
                    "; the freed seat went to {} (first on the waiting list)",
                    visible(other)
                ),
                None => String::new(),
            };
            writeln!(
                out,
                "removed {shown} from {} ({}){promoted}",
                visible(&r.meeting),
                done.registration.status
            )
            .ok();
            removed.push(done);
        }
    }
    progress.finish();
    writeln!(
        out,
        "{} registration(s) of {shown} erased, with their cancellation links",
        removed.len()
    )
    .ok();
    Ok(removed)
}
