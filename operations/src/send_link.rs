//! `opp-admin send-link --email ADDRESS`: the organiser's "Link kwijt?". It writes the same link request
//! the site's form writes, and the mailer sends the email, so an organiser needs table access only (no
//! link key, no SES). Unlike the form's, it is not keyed by an HMAC of the address (that needs the key)
//! but by a random id: an organiser's request is therefore never held back by the 15-minute limit.

use std::io::Write;

use jiff::Timestamp;

use crate::terminal::visible;
use crate::{OperationError, normalise_email};
use opp_store::Store;

pub async fn send_link(
    store: &Store,
    email: &str,
    now: Timestamp,
    out: &mut (impl Write + ?Sized),
) -> Result<(), OperationError> {
    let email = normalise_email(email)?;
    let registrations = store.registrations_of(&email).await?;
    let live = registrations
        .iter()
        .filter(|r| r.status != opp_model::RegistrationStatus::Cancelled)
        .count();
    let shown = visible(&email).into_owned();
    if live == 0 {
        writeln!(out, "{}", say!(SEND_LINK_NONE, email = shown)).ok();
        return Ok(());
    }
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|err| {
        OperationError::input(say!(NO_RANDOMNESS, what = "request_id", err = err))
    })?;
    let request_id = opp_model::links::to_hex(&random);
    store
        .request_link(&email, &format!("organiser-{request_id}"), &request_id, now)
        .await?;
    let line = say!(SEND_LINK_WRITTEN, email = shown, count = live);
    writeln!(out, "{line}").ok();
    Ok(())
}
