//! Cancelling: one transaction marks the registration cancelled, keeps the counters equal to the items
//! and gives a freed seat to the first person on the waiting list.

use crate::mail_budget::{MAIL_WITHHELD, MailBudget};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{arrival_time, n, s, status_value};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, SORT_KEY, meeting_sk, registration_pk, registration_sk,
};
use super::outcome::{cancellation_reasons, is_definite, is_throttled};
use super::retry::{ATTEMPTS, Budget, OutOfTime};
use super::{CancelOutcome, Store, Unavailable, build_error, unavailable};

/// The meeting's counters when a seat passes from a cancelled (or removed) registration to the first
/// waiting person: one fewer waiting, one more cancelled, one ticket served. Needs `:one` and `:zero`.
pub(super) const SERVE_TICKET: &str = "SET waitlisted = waitlisted - :one, cancelled = cancelled + :one, waitlist_served = if_not_exists(waitlist_served, :zero) + :one";

/// The meeting's counters when a waiting person cancels. Needs `:one` and `:zero`.
const LEAVE_WAITLIST: &str = "SET waitlisted = waitlisted - :one, cancelled = cancelled + :one, waitlist_left = if_not_exists(waitlist_left, :zero) + :one";

impl Store {
    /// Cancels the registration behind a token. A freed seat goes to the first on the waiting list, in the
    /// same transaction; the transaction also checks that the waiting list did not change meanwhile.
    ///
    /// A lost answer needs no read-back of its own: the next attempt reads the registration again and
    /// finds it cancelled (or not). All of it runs inside one request [`Budget`].
    pub async fn cancel(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
        self.cancel_with(token_hash, now, None, Budget::start())
            .await
    }

    /// [`Store::cancel`] by the person themselves: the cancellation email takes a slot of the address's
    /// mail budget; with none left the cancellation is stored with [`MAIL_WITHHELD`] and sends nothing.
    /// The time budget counts from `started`, when the request arrived.
    pub async fn cancel_as_visitor(
        &self,
        token_hash: &str,
        now: Timestamp,
        mail: &MailBudget,
        started: std::time::Instant,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
        self.cancel_with(token_hash, now, Some(mail), Budget::since(started))
            .await
    }

    async fn cancel_with(
        &self,
        token_hash: &str,
        now: Timestamp,
        mail: Option<&MailBudget>,
        budget: Budget,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
        match budget
            .read(self.cancel_within(token_hash, now, &budget, mail))
            .await
        {
            Ok(outcome) => outcome,
            Err(OutOfTime) => Err(Unavailable(
                "cancel: no answer within the time budget".into(),
            )),
        }
    }

    async fn cancel_within(
        &self,
        token_hash: &str,
        now: Timestamp,
        budget: &Budget,
        mail: Option<&MailBudget>,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
        // Whether the cancellation email is withheld: decided once, at the first attempt that cancels.
        let mut mail_withheld: Option<bool> = None;
        for attempt in 0..ATTEMPTS {
            let Some(registration) = self.registration_by_token(token_hash).await? else {
                return Ok(None);
            };
            if registration.status == RegistrationStatus::Cancelled {
                return Ok(Some(CancelOutcome::AlreadyCancelled));
            }
            let Some(meeting) = self.meeting(&registration.meeting).await? else {
                return Ok(None);
            };
            let pk = registration_pk(&registration.meeting);
            let was_confirmed = registration.status == RegistrationStatus::Confirmed;
            let waiting = if was_confirmed {
                self.waitlist(&registration.meeting).await?
            } else {
                Vec::new()
            };
            let promote = waiting.first().cloned();
            if let (Some(mail), None) = (mail, mail_withheld) {
                // When the budget cannot be read, the mail is withheld: the cancellation matters more.
                let slot = budget
                    .read(self.take_mail_slot(mail, &registration.email, now))
                    .await;
                mail_withheld = Some(!matches!(slot, Ok(Ok(true))));
            }
            let withheld = mail_withheld.unwrap_or(false);

            let cancel_registration = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&pk))
                .key(SORT_KEY, s(&registration_sk(&registration.email)))
                .update_expression(if withheld {
                    format!("SET #status = :cancelled, cancelled_at = :at, {MAIL_WITHHELD} = :withheld")
                } else {
                    format!("SET #status = :cancelled, cancelled_at = :at REMOVE {MAIL_WITHHELD}")
                })
                .condition_expression(
                    "#status = :was AND (token_hash = :hash OR contains(previous_token_hashes, :hash))",
                )
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":cancelled",
                    status_value(RegistrationStatus::Cancelled),
                )
                .expression_attribute_values(":at", s(&arrival_time(now)))
                .expression_attribute_values(":was", status_value(registration.status))
                .expression_attribute_values(":hash", s(token_hash));
            let cancel_registration = if withheld {
                cancel_registration
                    .expression_attribute_values(":withheld", AttributeValue::Bool(true))
            } else {
                cancel_registration
            };
            let counters = match (was_confirmed, promote.is_some()) {
                // The first waiting person takes over the seat: one ticket served.
                (true, true) => SERVE_TICKET,
                (true, false) => "SET confirmed = confirmed - :one, cancelled = cancelled + :one",
                // A waiting person leaves: places behind them become approximate.
                (false, _) => LEAVE_WAITLIST,
            };
            let mut meeting_update = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(MEETINGS_PK))
                .key(SORT_KEY, s(&meeting_sk(&registration.meeting)))
                .update_expression(counters)
                .condition_expression("waitlisted = :seen")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":seen", n(meeting.waitlisted));
            if counters.contains(":zero") {
                meeting_update = meeting_update.expression_attribute_values(":zero", n(0));
            }
            let mut request = self
                .client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .update(cancel_registration.build().map_err(build_error)?)
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .update(meeting_update.build().map_err(build_error)?)
                        .build(),
                );
            if let Some(sk) = &promote {
                request = request.transact_items(self.promotion(&pk, sk, now)?);
            }
            match request.send().await {
                Ok(_) => {
                    return Ok(Some(CancelOutcome::Cancelled {
                        promoted: promote.is_some(),
                        mail_withheld: withheld,
                    }));
                }
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {}
                Err(err) if is_definite(&err) => {
                    return Err(unavailable("TransactWriteItems cancel", err));
                }
                // The outcome is unknown: the next attempt reads what the table holds.
                Err(err) => {
                    tracing::warn!(reason = %unavailable("TransactWriteItems cancel", err).0, "cancellation outcome unknown: reading it again");
                }
            }
            budget.backoff(attempt).await;
        }
        Err(Unavailable(
            "TransactWriteItems cancel: still conflicting after retries".into(),
        ))
    }

    /// The update that gives a freed seat to a waitlisted registration (only if it is still waiting).
    pub(super) fn promotion(
        &self,
        pk: &str,
        sk: &str,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Unavailable> {
        let promotion = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .update_expression("SET #status = :confirmed, promoted_at = :at")
            .condition_expression("#status = :waitlisted")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":confirmed", status_value(RegistrationStatus::Confirmed))
            .expression_attribute_values(
                ":waitlisted",
                status_value(RegistrationStatus::Waitlisted),
            )
            .expression_attribute_values(":at", s(&arrival_time(now)));
        Ok(TransactWriteItem::builder()
            .update(promotion.build().map_err(build_error)?)
            .build())
    }
}
