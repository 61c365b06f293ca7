//! Cancelling: one transaction marks the registration cancelled, keeps the counters equal to the items
//! and gives a freed seat to the first person on the waiting list.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{arrival_time, n, s, status_value};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, SORT_KEY, meeting_sk, registration_pk, registration_sk,
};
use super::outcome::{cancellation_reasons, is_throttled};
use super::retry::{ATTEMPTS, backoff};
use super::{CancelOutcome, Store, Unavailable, build_error, unavailable};

impl Store {
    /// Cancels the registration behind a token. A freed seat goes to the first on the waiting list, in the
    /// same transaction; the transaction also checks that the waiting list did not change meanwhile.
    pub async fn cancel(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
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
            let promote = waiting.first().map(|(sk, _)| sk.clone());

            let cancel_registration = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&pk))
                .key(SORT_KEY, s(&registration_sk(&registration.email)))
                .update_expression("SET #status = :cancelled, cancelled_at = :at")
                .condition_expression("#status = :was AND token_hash = :hash")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":cancelled",
                    status_value(RegistrationStatus::Cancelled),
                )
                .expression_attribute_values(":at", s(&arrival_time(now)))
                .expression_attribute_values(":was", status_value(registration.status))
                .expression_attribute_values(":hash", s(token_hash));
            let counters = match (was_confirmed, promote.is_some()) {
                (true, true) | (false, _) => {
                    "SET waitlisted = waitlisted - :one, cancelled = cancelled + :one"
                }
                (true, false) => "SET confirmed = confirmed - :one, cancelled = cancelled + :one",
            };
            let meeting_update = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(MEETINGS_PK))
                .key(SORT_KEY, s(&meeting_sk(&registration.meeting)))
                .update_expression(counters)
                .condition_expression("waitlisted = :seen")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":seen", n(meeting.waitlisted));
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
                    }));
                }
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {
                    backoff(attempt).await
                }
                Err(err) => return Err(unavailable("TransactWriteItems cancel", err)),
            }
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
