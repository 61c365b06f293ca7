//! Erasure on request (`opp-admin erase`, the back office): a registration and its token removed in one
//! transaction with the meeting's counters, the freed seat given to the first on the waiting list.

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use jiff::Timestamp;

use super::codec::{counter_of, n, registration_from_item, s, status_value};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, REGISTRATION_SK_PREFIX, RegistrationPart, SORT_KEY, meeting_sk,
    registration_parts, registration_pk, registration_sk,
};
use super::outcome::{cancellation_reasons, is_throttled};
use super::retry::{ATTEMPTS, backoff};
use super::{RegistrationRecord, Store, Unavailable, build_error, unavailable};
use opp_model::RegistrationStatus;

/// What [`Store::remove_registration`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub registration: RegistrationRecord,
    /// The email address of the waitlisted registration that got the freed seat.
    pub promoted: Option<String>,
}

impl Store {
    /// Deletes a registration and its token in one transaction with the meeting's counters. When it held a
    /// seat and `promote` is set, the first on the waiting list gets that seat in the same step.
    /// `None` when there is no such registration.
    pub async fn remove_registration(
        &self,
        meeting_id: &str,
        email: &str,
        promote: bool,
        now: Timestamp,
    ) -> Result<Option<Removed>, Unavailable> {
        let pk = registration_pk(meeting_id);
        let sk = registration_sk(email);
        for attempt in 0..ATTEMPTS {
            let Some(item) = self.registration_item(&pk, &sk).await? else {
                return Ok(None);
            };
            let Some(registration) = registration_from_item(&item) else {
                return Err(Unavailable(format!(
                    "registration item {pk} / REG#… lacks its meeting, email or status"
                )));
            };
            let meeting = self.meeting(meeting_id).await?;
            let held_seat = registration.status == RegistrationStatus::Confirmed;
            let waiting = match &meeting {
                Some(_) if held_seat && promote => self.waitlist(meeting_id).await?,
                _ => Vec::new(),
            };
            let promoted_sk = waiting.first().cloned();

            // Every item of the registration goes (keys::registration_parts); the registration itself only
            // while it is as read.
            let mut items = Vec::new();
            for (part, part_pk, part_sk) in
                registration_parts(meeting_id, email, &registration.token_hashes())
            {
                let mut delete = Delete::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(&part_pk))
                    .key(SORT_KEY, s(&part_sk));
                if part == RegistrationPart::Registration {
                    delete = delete
                        .condition_expression("#status = :was")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":was", status_value(registration.status));
                }
                items.push(
                    TransactWriteItem::builder()
                        .delete(delete.build().map_err(build_error)?)
                        .build(),
                );
            }
            if let Some(meeting) = &meeting {
                let counter = match (registration.status, promoted_sk.is_some()) {
                    // The promoted registration takes over the seat: one fewer waiting.
                    (RegistrationStatus::Confirmed, true) => {
                        counter_of(RegistrationStatus::Waitlisted)
                    }
                    (status, _) => counter_of(status),
                };
                let mut expression = format!("SET {counter} = {counter} - :one");
                let uses_zero =
                    promoted_sk.is_some() || registration.status == RegistrationStatus::Waitlisted;
                if promoted_sk.is_some() {
                    expression.push_str(
                        ", waitlist_served = if_not_exists(waitlist_served, :zero) + :one",
                    );
                } else if registration.status == RegistrationStatus::Waitlisted {
                    expression
                        .push_str(", waitlist_left = if_not_exists(waitlist_left, :zero) + :one");
                }
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(MEETINGS_PK))
                    .key(SORT_KEY, s(&meeting_sk(meeting_id)))
                    .update_expression(expression)
                    .condition_expression(format!("waitlisted = :seen AND {counter} >= :one"))
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":seen", n(meeting.waitlisted));
                if uses_zero {
                    update = update.expression_attribute_values(":zero", n(0));
                }
                items.push(
                    TransactWriteItem::builder()
                        .update(update.build().map_err(build_error)?)
                        .build(),
                );
            }
            if let Some(promoted) = &promoted_sk {
                items.push(self.promotion(&pk, promoted, now)?);
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(Some(Removed {
                        registration,
                        promoted: promoted_sk.and_then(|sk| {
                            sk.strip_prefix(REGISTRATION_SK_PREFIX).map(str::to_string)
                        }),
                    }));
                }
                // Someone registered, cancelled or was promoted meanwhile: read again.
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {
                    backoff(attempt).await
                }
                Err(err) => return Err(unavailable("TransactWriteItems remove", err)),
            }
        }
        Err(Unavailable(
            "TransactWriteItems remove: still conflicting after retries".into(),
        ))
    }
}
