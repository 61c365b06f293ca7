//! A batch of stream records, in shard order: each decided, claimed in the ledger, composed and sent.
//! The first record that fails (the store or SES could not be reached) ends the batch and is reported
//! (`batchItemFailures`), so the event source mapping delivers it and every record after it again; the
//! ledger makes that redelivery send nothing twice. A record that keeps failing is given up on after
//! [`ATTEMPTS`] deliveries: recorded as a failure (`opp-admin mail-failures`), and the shard moves on.

use jiff::Timestamp;
use opp_model::RegistrationStatus;
use opp_model::records::{MeetingRecord, MeetingStatus};
use opp_store::{RegistrationRecord, meeting_from_item, registration_from_item};

use crate::Mailer;
use crate::compose::{
    News, OutgoingMail, link_email, message_email, move_email, registration_email,
};
use crate::record::{ChangeRecord, EventName, Item};
use crate::transition::{Decision, EMAIL_CHANGED_AT, Kind, MEETING_MOVED_AT, decide};
use opp_store::mail_budget::MailBudget;
use opp_store::mail_ledger::{self, Claim, MailKey};
use opp_store::messages::{Delivery, Message};

/// Deliveries of one message before it is recorded as failed. Below the event source mapping's
/// `MaximumRetryAttempts` (infra/template.yaml), so the mailer, not the mapping, gives up first and
/// the failure is recorded with its kind.
pub const ATTEMPTS: u32 = 4;

/// What a batch came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The sequence number to deliver again from (the first failed record), if any.
    pub retry_from: Option<String>,
    pub sent: usize,
    /// Messages given up on and recorded.
    pub given_up: usize,
}

/// What one email came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Handled {
    Nothing,
    Sent,
    AlreadySent,
    /// Given up on after [`ATTEMPTS`] deliveries, for this reason (without addresses).
    GivenUp(String),
}

/// What one record came to (a meeting's news is one email per registration).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    sent: usize,
    given_up: usize,
}

impl From<Handled> for Tally {
    fn from(handled: Handled) -> Tally {
        Tally {
            sent: usize::from(handled == Handled::Sent),
            given_up: usize::from(matches!(handled, Handled::GivenUp(_))),
        }
    }
}

/// What to send for one record.
enum Job<'a> {
    Registration {
        kind: Kind,
        registration: &'a RegistrationRecord,
        /// The meeting as the record has it (a meeting's news), else read from the table.
        meeting: Option<&'a MeetingRecord>,
        news: News<'a>,
    },
    Link {
        email: &'a str,
        address_hash: &'a str,
        request_id: &'a str,
    },
    /// An organiser's message to one registration.
    Message {
        registration: &'a RegistrationRecord,
        message: &'a Message,
    },
    /// One of the two mails of an address move.
    Move {
        kind: Kind,
        registration: &'a RegistrationRecord,
        pending: &'a opp_model::records::PendingMove,
    },
}

/// Why a message was not sent. Every failure is worth another delivery: a template error or a missing
/// meeting can be fixed by a deploy or a sync within the attempts.
struct Failure(String);

impl Mailer {
    pub async fn handle_batch(&self, records: &[ChangeRecord]) -> BatchOutcome {
        let mut outcome = BatchOutcome::default();
        for record in records {
            match self.handle(record, Timestamp::now()).await {
                Ok(tally) => {
                    outcome.sent += tally.sent;
                    outcome.given_up += tally.given_up;
                }
                Err(reason) => {
                    tracing::warn!(sequence = %record.sequence_number, reason = %reason, "mail: delivered again later");
                    outcome.retry_from = Some(record.sequence_number.clone());
                    break;
                }
            }
        }
        outcome
    }

    async fn handle(&self, record: &ChangeRecord, now: Timestamp) -> Result<Tally, String> {
        self.follow_meeting(record, now).await?;
        match decide(record) {
            Decision::Nothing => Ok(Tally::default()),
            Decision::Meeting { kind, old, new } => {
                let (Some(previous), Some(meeting)) =
                    (meeting_from_item(&old), meeting_from_item(&new))
                else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a meeting image that cannot be read");
                    return Ok(Tally::default());
                };
                self.meeting_news(kind, &previous, &meeting, now).await
            }
            Decision::Registration { kind, registration } => {
                // One email per move: a later move is another version.
                let version = match kind {
                    Kind::AddressChanged => text(&registration, EMAIL_CHANGED_AT)
                        .unwrap_or("1")
                        .to_string(),
                    // Moved to another meeting: that meeting's confirmation, once per move.
                    Kind::Confirmed | Kind::Waitlisted
                        if record.event == crate::record::EventName::Insert =>
                    {
                        text(&registration, MEETING_MOVED_AT)
                            .unwrap_or("1")
                            .to_string()
                    }
                    _ => "1".into(),
                };
                let Some(registration) = registration_from_item(&registration) else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a registration image that cannot be read");
                    return Ok(Tally::default());
                };
                // The image is what was committed then; the person may have been erased since (a record
                // delivered again, or a backlog). Mail only a registration that still exists, as itself.
                if !self.still_stored(&registration).await? {
                    tracing::info!(
                        kind = kind.as_str(),
                        "mail: the registration is gone, nothing sent"
                    );
                    return Ok(Tally::default());
                }
                let key = mail_key(&registration, kind, version);
                let job = Job::Registration {
                    kind,
                    registration: &registration,
                    meeting: None,
                    news: News::default(),
                };
                self.once(&key, job, now).await.map(Tally::from)
            }
            Decision::MoveRequested { registration } => {
                let Some(registration) = registration_from_item(&registration) else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a registration image that cannot be read");
                    return Ok(Tally::default());
                };
                let Some(pending) = registration.pending_move.clone() else {
                    return Ok(Tally::default());
                };
                // Only while this very move still waits: not for an erased registration, nor for a
                // request that a later one (or a details change) replaced.
                let current = self
                    .store
                    .registration_of(&registration.meeting, &registration.email)
                    .await
                    .map_err(|err| err.0)?;
                let waits = current.is_some_and(|current| {
                    current.registration_id == registration.registration_id
                        && current.pending_move.is_some_and(|p| p.id == pending.id)
                });
                if !waits {
                    return Ok(Tally::default());
                }
                let mut tally = Tally::default();
                // The old address first: it hears of the move even if the other mail fails.
                for kind in [Kind::MoveNotice, Kind::AddressConfirm] {
                    let key = mail_key(&registration, kind, pending.id.clone());
                    let job = Job::Move {
                        kind,
                        registration: &registration,
                        pending: &pending,
                    };
                    let handled = Tally::from(self.once(&key, job, now).await?);
                    tally.sent += handled.sent;
                    tally.given_up += handled.given_up;
                }
                Ok(tally)
            }
            Decision::Message {
                registration,
                message_id,
            } => {
                let Some(registration) = registration_from_item(&registration) else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a registration image that cannot be read");
                    return Ok(Tally::default());
                };
                let Some(message) = self
                    .store
                    .message(&registration.meeting, &message_id)
                    .await
                    .map_err(|err| err.0)?
                else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a message that is not in the table");
                    return Ok(Tally::default());
                };
                // Marked, then erased, cancelled or moved before its turn: nothing to send, counted.
                let current = self
                    .store
                    .registration_of(&registration.meeting, &registration.email)
                    .await
                    .map_err(|err| err.0)?
                    .filter(|now| {
                        now.registration_id == registration.registration_id
                            && message.group.includes(now)
                    });
                let Some(current) = current else {
                    self.count(&message, &Delivery::Gone).await;
                    return Ok(Tally::default());
                };
                let key = mail_key(&current, Kind::Message, message_id);
                let job = Job::Message {
                    registration: &current,
                    message: &message,
                };
                let handled = self.once(&key, job, now).await?;
                match &handled {
                    Handled::Sent => self.count(&message, &Delivery::Sent).await,
                    Handled::GivenUp(reason) => {
                        self.count(&message, &Delivery::Failed(reason.clone()))
                            .await
                    }
                    Handled::Nothing | Handled::AlreadySent => {}
                }
                Ok(Tally::from(handled))
            }
            Decision::LinkRequest { request } => {
                let (Some(email), Some(request_id), Some(address_hash)) = (
                    text(&request, "email"),
                    text(&request, "request_id"),
                    text(&request, "PK").and_then(opp_store::keys::link_request_address_hash),
                ) else {
                    tracing::error!(sequence = %record.sequence_number, "mail: a link request that cannot be read");
                    return Ok(Tally::default());
                };
                let key = MailKey {
                    subject: address_hash.to_string(),
                    kind: Kind::Link.as_str(),
                    version: request_id.to_string(),
                };
                let job = Job::Link {
                    email,
                    address_hash,
                    request_id,
                };
                self.once(&key, job, now).await.map(Tally::from)
            }
        }
    }

    /// Counts one recipient's outcome on the message (the back office shows the progress). A lost count
    /// is only a figure: the mail itself is in the ledger.
    async fn count(&self, message: &Message, delivery: &Delivery) {
        if let Err(err) = self
            .store
            .count_delivery(&message.meeting, &message.id, delivery)
            .await
        {
            tracing::warn!(reason = %err.0, "mail: a message's progress not counted");
        }
    }

    /// Whether the registration of a stream image is still in the table as the same registration (not
    /// erased, purged or moved away; not another registration of the same address made since).
    async fn still_stored(&self, registration: &RegistrationRecord) -> Result<bool, String> {
        let now = self
            .store
            .registration_of(&registration.meeting, &registration.email)
            .await
            .map_err(|err| err.0)?;
        Ok(now.is_some_and(|now| now.registration_id == registration.registration_id))
    }

    /// A meeting item that sync changed: new seats go to those waiting (first ticket first), and the
    /// registrations' retention dates follow the meeting's. `opp-admin sync-meetings --details-only` (the
    /// deploy role's sync) leaves both to this. Only when the capacity or the retention date changed: every
    /// registration changes the meeting item too (its counters). Both are idempotent, so a record
    /// delivered again does nothing twice; the promotions' mails come from their own records.
    async fn follow_meeting(&self, record: &ChangeRecord, now: Timestamp) -> Result<(), String> {
        if record.item_type() != Some("meeting") || record.event != EventName::Modify {
            return Ok(());
        }
        let (Some(old), Some(new)) = (
            record.old.as_ref().and_then(meeting_from_item),
            record.new.as_ref().and_then(meeting_from_item),
        ) else {
            return Ok(());
        };
        if new.capacity > old.capacity || new.waitlist_capacity != old.waitlist_capacity {
            let promoted = self
                .store
                .promote_into_free_seats(&new.id, now)
                .await
                .map_err(|err| err.0)?;
            if !promoted.is_empty() {
                tracing::info!(meeting = %new.id, promoted = promoted.len(), "meeting: new seats given to those waiting");
            }
        }
        if new.expires_at != old.expires_at {
            let rewritten = self
                .store
                .follow_retention(&new)
                .await
                .map_err(|err| err.0)?;
            tracing::info!(meeting = %new.id, registrations = rewritten, "meeting: retention dates moved");
        }
        Ok(())
    }

    /// `changed` or `called-off` to every live registration of the meeting, each through the ledger, so a
    /// record delivered again after a failure halfway sends only to those not reached yet.
    async fn meeting_news(
        &self,
        kind: Kind,
        previous: &MeetingRecord,
        meeting: &MeetingRecord,
        now: Timestamp,
    ) -> Result<Tally, String> {
        let registrations = self
            .store
            .registrations(&meeting.id, &mut |_| {})
            .await
            .map_err(|err| err.0)?;
        let others: Vec<MeetingRecord> = if kind == Kind::CalledOff {
            self.store
                .meetings()
                .await
                .map_err(|err| err.0)?
                .into_iter()
                .filter(|other| other.id != meeting.id && other.status(now) == MeetingStatus::Open)
                .collect()
        } else {
            Vec::new()
        };
        let version = match kind {
            Kind::Changed => meeting.change_seq.to_string(),
            _ => "1".to_string(),
        };
        let mut tally = Tally::default();
        for registration in registrations
            .iter()
            .filter(|r| r.status != RegistrationStatus::Cancelled)
        {
            let key = mail_key(registration, kind, version.clone());
            let job = Job::Registration {
                kind,
                registration,
                meeting: Some(meeting),
                news: News {
                    previous: (kind == Kind::Changed).then_some(previous),
                    others: &others,
                },
            };
            let handled = Tally::from(self.once(&key, job, now).await?);
            tally.sent += handled.sent;
            tally.given_up += handled.given_up;
        }
        Ok(tally)
    }

    /// Claims `key` in the ledger, sends, marks: the once-only path every email takes.
    async fn once(&self, key: &MailKey, job: Job<'_>, now: Timestamp) -> Result<Handled, String> {
        let attempt = match mail_ledger::claim(&self.store, key, now)
            .await
            .map_err(|e| e.0)?
        {
            Claim::Done => return Ok(Handled::AlreadySent),
            Claim::Send { attempt } => attempt,
        };
        match self.prepare_and_send(&job, now).await {
            Ok(sent) => {
                if let Err(err) = mail_ledger::mark(&self.store, key, "sent").await {
                    // Sent, and the shard must move on: a retry would send it twice. Only a
                    // redelivery of this very record could, and it is acknowledged below.
                    tracing::warn!(kind = key.kind, reason = %err.0, "mail: sent but not marked");
                }
                if sent {
                    tracing::info!(kind = key.kind, "mail sent");
                    Ok(Handled::Sent)
                } else {
                    Ok(Handled::Nothing)
                }
            }
            Err(Failure(reason)) if attempt >= ATTEMPTS => self.give_up(key, &reason, now).await,
            Err(Failure(reason)) => Err(reason),
        }
    }

    /// The email of `job`, sent; false when there is nothing to send (an unknown address, a link email
    /// sent to the address within the interval).
    async fn prepare_and_send(&self, job: &Job<'_>, now: Timestamp) -> Result<bool, Failure> {
        let keys = self.keys.ring().await.map_err(|err| Failure(err.0))?;
        let mail: Option<OutgoingMail> = match job {
            Job::Registration {
                kind,
                registration,
                meeting,
                news,
            } => {
                let read;
                let meeting = match meeting {
                    Some(meeting) => *meeting,
                    None => {
                        read = self.meeting(&registration.meeting).await?;
                        &read
                    }
                };
                Some(
                    registration_email(&self.site, &keys, *kind, registration, meeting, *news, now)
                        .map_err(|problem| Failure(problem.to_string()))?,
                )
            }
            Job::Message {
                registration,
                message,
            } => {
                let meeting = self.meeting(&registration.meeting).await?;
                Some(
                    message_email(&self.site, &keys, registration, &meeting, message, now)
                        .map_err(|problem| Failure(problem.to_string()))?,
                )
            }
            Job::Move {
                kind,
                registration,
                pending,
            } => {
                let meeting = self.meeting(&registration.meeting).await?;
                // The new address has a registration for this meeting already: the mail explains.
                let taken = *kind == Kind::AddressConfirm
                    && self
                        .store
                        .registration_of(&registration.meeting, &pending.to)
                        .await
                        .map_err(|err| Failure(err.0))?
                        .is_some();
                Some(
                    move_email(
                        &self.site,
                        &keys,
                        *kind,
                        registration,
                        &meeting,
                        pending,
                        taken,
                        now,
                    )
                    .map_err(|problem| Failure(problem.to_string()))?,
                )
            }
            Job::Link {
                email,
                address_hash,
                request_id,
            } => {
                let registrations = self
                    .store
                    .registrations_of(email)
                    .await
                    .map_err(|err| Failure(err.0))?;
                let mut found = Vec::with_capacity(registrations.len());
                for registration in registrations {
                    let meeting = self.meeting(&registration.meeting).await?;
                    found.push((registration, meeting));
                }
                let mail = link_email(&self.site, &keys, request_id, &found, now)
                    .map_err(|problem| Failure(problem.to_string()))?;
                let interval = i64::from(self.site.email.link_interval_minutes) * 60;
                match mail {
                    Some(mail)
                        if self
                            .store
                            .take_link_slot(address_hash, request_id, now, interval)
                            .await
                            .map_err(|err| Failure(err.0))? =>
                    {
                        // A link email counts against the address's budget like the function's
                        // visitor-triggered mails; over it, nothing is sent.
                        let budget = MailBudget::new(keys.clone(), &self.site.limits);
                        self.store
                            .take_mail_slot_by_hash(&budget, address_hash, now)
                            .await
                            .map_err(|err| Failure(err.0))?
                            .then_some(mail)
                    }
                    _ => None,
                }
            }
        };
        let Some(mail) = mail else {
            return Ok(false);
        };
        let message_id = self
            .sender
            .send(&mail)
            .await
            .map_err(|err| Failure(err.0))?;
        if let Some(id) = message_id
            && let Err(err) = self.store.remember_sent_message(&id, &mail.to, now).await
        {
            // Sent: a retry would send it twice. Only a bounce of this very mail goes unmarked.
            tracing::warn!(kind = mail.kind.as_str(), reason = %err.0, "mail: sent, its message id not kept");
        }
        Ok(true)
    }

    async fn meeting(&self, id: &str) -> Result<opp_model::records::MeetingRecord, Failure> {
        match self.store.meeting(id).await {
            Ok(Some(meeting)) => Ok(meeting),
            // Sync never removes a meeting that has registrations, so this is a hand edit or a bug:
            // retried like any failure, then recorded.
            Ok(None) => Err(Failure(format!("meeting {id} is not in the table"))),
            Err(err) => Err(Failure(err.0)),
        }
    }

    async fn give_up(
        &self,
        key: &MailKey,
        reason: &str,
        now: Timestamp,
    ) -> Result<Handled, String> {
        tracing::error!(kind = key.kind, reason = %opp_store::mail_ledger::without_addresses(reason), "mail: given up and recorded");
        mail_ledger::record_failure(&self.store, key, reason, now)
            .await
            .map_err(|err| err.0)?;
        Ok(Handled::GivenUp(opp_store::mail_ledger::without_addresses(
            reason,
        )))
    }
}

/// The ledger key of one email about a registration: its `link_id` (or its id, before link ids), the kind, the
/// version.
fn mail_key(registration: &RegistrationRecord, kind: Kind, version: String) -> MailKey {
    MailKey {
        subject: registration
            .link_id
            .clone()
            .unwrap_or_else(|| registration.registration_id.clone()),
        kind: kind.as_str(),
        version,
    }
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}
