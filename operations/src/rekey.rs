//! `opp-admin rekey-links`: gives every live registration a link derived from the ring's current key (and
//! a `link_id` when it has none, as registrations from before link keys), keeping its earlier link valid
//! until it expires. After a key rotation this moves every live registration to the new version;
//! `--revoke-old` then deletes every token of an earlier key, for when a key leaked (people ask for their
//! link again with "Link kwijt?"): the live registrations' previous links, the tokens of cancelled ones
//! (which are not re-keyed), and, after re-keying them again, those that changed during the first pass.

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

/// How often `--revoke-old` re-keys the registrations that changed during a pass before revoking.
const REVOKE_PASSES: usize = 3;

/// Gives every live registration of `meeting` a link of the current key: (re-keyed, already current,
/// changed meanwhile). `count_current`: whether registrations already on the current key are counted.
async fn rekey_meeting(
    store: &Store,
    ring: &LinkKeys,
    meeting: &opp_model::records::MeetingRecord,
    count_current: bool,
) -> Result<(usize, usize, usize), OperationError> {
    let version = ring.current();
    let (mut rekeyed, mut current, mut skipped) = (0, 0, 0);
    for registration in store.registrations(&meeting.id, &mut |_| {}).await? {
        if registration.status == RegistrationStatus::Cancelled {
            continue;
        }
        let link = match (&registration.link_id, registration.key_version) {
            (Some(_), Some(v)) if v == version => {
                current += usize::from(count_current);
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
            .rekey_registration(meeting, &registration, &link)
            .await?
        {
            rekeyed += 1;
        } else {
            skipped += 1;
        }
    }
    Ok((rekeyed, current, skipped))
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
        let (rekeyed, current, mut skipped) = rekey_meeting(store, ring, &meeting, true).await?;
        done.rekeyed += rekeyed;
        done.current += current;
        if revoke_old {
            // A registration that changed during the pass (a detail edit, a promotion) would keep its
            // leaked link: re-key those again before anything is revoked.
            for _ in 0..REVOKE_PASSES {
                if skipped == 0 {
                    break;
                }
                let (again, _, still) = rekey_meeting(store, ring, &meeting, false).await?;
                done.rekeyed += again;
                skipped = still;
            }
            for registration in store.registrations(&meeting.id, &mut |_| {}).await? {
                let of_old_key = registration.key_version.is_some_and(|v| v != version);
                if registration.key_version == Some(version) {
                    done.revoked += store.revoke_previous_tokens(&registration).await?;
                } else if registration.status == RegistrationStatus::Cancelled && of_old_key {
                    done.revoked += store.revoke_cancelled_tokens(&registration).await?;
                }
            }
        }
        done.skipped += skipped;
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
