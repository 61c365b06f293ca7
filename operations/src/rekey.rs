//! `opp-admin rekey-links`: gives every live registration a link derived from the ring's current key (and
//! a `link_id` when it has none, as registrations from before link keys), keeping its earlier link valid
//! until it expires. After a key rotation this moves every live registration to the new version;
//! `--revoke-old` then deletes the earlier links' tokens, for when a key leaked (people ask for their link
//! again with "Link kwijt?").

use std::io::Write;

use opp_model::RegistrationStatus;
use opp_model::links::{DerivedLink, LinkKeys};
use opp_store::Store;

use crate::OperationError;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rekeyed {
    pub rekeyed: usize,
    pub current: usize,
    /// Changed between reading and writing (cancelled, re-registered): left for the next run.
    pub skipped: usize,
    pub revoked: usize,
}

pub async fn rekey_links(
    store: &Store,
    ring: &LinkKeys,
    revoke_old: bool,
    out: &mut dyn Write,
) -> Result<Rekeyed, OperationError> {
    let mut done = Rekeyed::default();
    let version = ring.current();
    for meeting in store.meetings().await? {
        for registration in store.registrations(&meeting.id, &mut |_| {}).await? {
            if registration.status == RegistrationStatus::Cancelled {
                continue;
            }
            let link = match (&registration.link_id, registration.key_version) {
                (Some(_), Some(v)) if v == version => {
                    done.current += 1;
                    continue;
                }
                (Some(link_id), _) => DerivedLink {
                    link_id: link_id.clone(),
                    key_version: version,
                    token: ring
                        .token(version, link_id)
                        .expect("the current version is in the ring"),
                },
                (None, _) => {
                    let mut random = [0u8; 16];
                    getrandom::fill(&mut random).map_err(|err| {
                        OperationError::input(say!(NO_RANDOMNESS, what = "link_id", err = err))
                    })?;
                    ring.issue(random)
                }
            };
            if store
                .rekey_registration(&meeting, &registration, &link)
                .await?
            {
                done.rekeyed += 1;
            } else {
                done.skipped += 1;
            }
        }
        if revoke_old {
            for registration in store.registrations(&meeting.id, &mut |_| {}).await? {
                if registration.key_version == Some(version) {
                    done.revoked += store.revoke_previous_tokens(&registration).await?;
                }
            }
        }
    }
    let skipped = if done.skipped > 0 {
        say!(REKEY_SKIPPED, count = done.skipped)
    } else {
        String::new()
    };
    let line = say!(
        REKEY_DONE,
        count = done.rekeyed,
        version = version,
        already = done.current
    );
    writeln!(out, "{line}{skipped}").ok();
    if revoke_old {
        writeln!(out, "{}", say!(REKEY_REVOKED, count = done.revoked)).ok();
    } else {
        writeln!(out, "{}", say!(REKEY_OLD_KEEP_WORKING)).ok();
    }
    Ok(done)
}
