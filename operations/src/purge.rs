//! `opp-admin purge-expired`: deletes registrations whose retention period has ended. DynamoDB's TTL does
//! this in AWS too, but may lag by days; this makes the privacy statement's promise exact.

use std::io::Write;

use jiff::Timestamp;

use crate::OperationError;
use crate::progress::Progress;
use opp_store::{Expired, Store};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub registrations: usize,
    pub tokens: usize,
}

pub async fn purge_expired(
    store: &Store,
    now: Timestamp,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Purged, OperationError> {
    let expired = store.expired(now).await?;
    let registrations = expired
        .iter()
        .filter(|e| matches!(e, Expired::Registration { .. }))
        .count();
    if dry_run {
        let line = say!(
            PURGE_DRY_RUN,
            registrations = registrations,
            tokens = expired.len() - registrations
        );
        writeln!(out, "{line}").ok();
        return Ok(Purged {
            registrations,
            tokens: expired.len() - registrations,
        });
    }
    let mut purged = Purged::default();
    let mut progress = Progress::new(say!(PURGING), Some(expired.len()));
    for (i, item) in expired.iter().enumerate() {
        match item {
            Expired::Registration { meeting, email } => {
                // The meeting is over: a freed seat is not offered to anyone.
                if store
                    .remove_registration(meeting, email, false, now)
                    .await?
                    .is_some()
                {
                    purged.registrations += 1;
                }
            }
            Expired::Token { key } => {
                store.delete_token(key).await?;
                purged.tokens += 1;
            }
        }
        progress.set(i + 1);
    }
    progress.finish();
    let line = say!(
        PURGE_DONE,
        registrations = purged.registrations,
        tokens = purged.tokens
    );
    writeln!(out, "{line}").ok();
    Ok(purged)
}
