//! A batch of stream records, in shard order: each decided, composed, claimed in the ledger and sent.
//! The first record that fails (the store or SES could not be reached) ends the batch and is reported
//! (`batchItemFailures`), so the event source mapping delivers it and every record after it again; the
//! ledger makes that redelivery send nothing twice. A record that keeps failing is given up on after
//! [`ATTEMPTS`] deliveries: recorded as a failure (`opp-admin mail-failures`), and the shard moves on.

use jiff::Timestamp;
use opp_handler::link_keys::LinkKeySource;
use opp_handler::store::{Store, registration_from_item};

use crate::compose::registration_email;
use crate::deliver::Sender;
use crate::record::ChangeRecord;
use crate::sent::{self, Claim, MailKey};
use crate::site::Site;
use crate::transition::{Decision, decide};

/// Deliveries of one message before it is recorded as failed. Below the event source mapping's
/// `MaximumRetryAttempts` (infra/template.yaml), so the mailer, not the mapping, gives up first and
/// the failure is recorded with its kind.
pub const ATTEMPTS: u32 = 4;

pub struct Mailer {
    pub store: Store,
    pub site: Site,
    pub keys: LinkKeySource,
    pub sender: Sender,
}

/// What a batch came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The sequence number to deliver again from (the first failed record), if any.
    pub retry_from: Option<String>,
    pub sent: usize,
    /// Messages given up on and recorded.
    pub given_up: usize,
}

/// What one record came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    Nothing,
    Sent,
    AlreadySent,
    GivenUp,
}

impl Mailer {
    pub async fn handle_batch(&self, records: &[ChangeRecord]) -> BatchOutcome {
        let mut outcome = BatchOutcome::default();
        for record in records {
            match self.handle(record, Timestamp::now()).await {
                Ok(Handled::Sent) => outcome.sent += 1,
                Ok(Handled::GivenUp) => outcome.given_up += 1,
                Ok(Handled::Nothing | Handled::AlreadySent) => {}
                Err(reason) => {
                    tracing::warn!(sequence = %record.sequence_number, reason = %reason, "mail: delivered again later");
                    outcome.retry_from = Some(record.sequence_number.clone());
                    break;
                }
            }
        }
        outcome
    }

    async fn handle(&self, record: &ChangeRecord, now: Timestamp) -> Result<Handled, String> {
        let Decision::Registration { kind, registration } = decide(record) else {
            return Ok(Handled::Nothing);
        };
        let Some(registration) = registration_from_item(&registration) else {
            tracing::error!(sequence = %record.sequence_number, "mail: a registration image that cannot be read");
            return Ok(Handled::Nothing);
        };
        let key = MailKey {
            subject: registration
                .link_id
                .clone()
                .unwrap_or_else(|| registration.registration_id.clone()),
            kind: kind.as_str(),
            version: "1".into(),
        };
        let attempt = match sent::claim(&self.store, &key, now).await.map_err(|e| e.0)? {
            Claim::Done => return Ok(Handled::AlreadySent),
            Claim::Send { attempt } => attempt,
        };
        let result = self.compose_and_send(kind, &registration, now).await;
        match result {
            Ok(()) => {
                if let Err(err) = sent::mark(&self.store, &key, "sent").await {
                    // Sent, and the shard must move on: a retry would send it twice. Only a
                    // redelivery of this very record could, and it is acknowledged below.
                    tracing::warn!(kind = key.kind, reason = %err.0, "mail: sent but not marked");
                }
                tracing::info!(kind = key.kind, meeting = %registration.meeting, "mail sent");
                Ok(Handled::Sent)
            }
            Err(Failure::Transient(reason)) if attempt >= ATTEMPTS => {
                self.give_up(&key, &reason, now).await
            }
            Err(Failure::Transient(reason)) => Err(reason),
        }
    }

    async fn compose_and_send(
        &self,
        kind: crate::transition::Kind,
        registration: &opp_handler::store::RegistrationRecord,
        now: Timestamp,
    ) -> Result<(), Failure> {
        let meeting = match self.store.meeting(&registration.meeting).await {
            Ok(Some(meeting)) => meeting,
            // Sync never removes a meeting that has registrations, so this is a hand edit or a bug:
            // retried like any failure, then recorded.
            Ok(None) => {
                return Err(Failure::Transient(format!(
                    "meeting {} is not in the table",
                    registration.meeting
                )));
            }
            Err(err) => return Err(Failure::Transient(err.0)),
        };
        let keys = self
            .keys
            .ring()
            .await
            .map_err(|err| Failure::Transient(err.0))?;
        let mail = registration_email(&self.site, &keys, kind, registration, &meeting, now)
            .map_err(|problem| Failure::Transient(problem.to_string()))?;
        self.sender
            .send(&mail)
            .await
            .map_err(|err| Failure::Transient(err.0))
    }

    async fn give_up(
        &self,
        key: &MailKey,
        reason: &str,
        now: Timestamp,
    ) -> Result<Handled, String> {
        tracing::error!(kind = key.kind, reason = %crate::deliver::without_addresses(reason), "mail: given up and recorded");
        sent::record_failure(&self.store, key, reason, now)
            .await
            .map_err(|err| err.0)?;
        Ok(Handled::GivenUp)
    }
}

/// Why a message was not sent. Every failure is worth another delivery: a template error or a missing
/// meeting can be fixed by a deploy or a sync within the attempts.
enum Failure {
    Transient(String),
}
