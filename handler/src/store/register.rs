//! Registering: one TransactWriteItems writes the registration, its link's token item and the meeting's
//! counter, conditioned so that nothing is oversold or written twice.

use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use jiff::Timestamp;
use opp_model::RegistrationStatus;
use std::collections::HashMap;

use super::codec::{
    Item, arrival_time, counter_of, get_s, meeting_from_item, n, s, status_of, status_value,
};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE, meeting_sk, registration_pk,
    registration_sk, token_pk,
};
use super::outcome::{Reasons, Slot, is_throttled};
use super::retry::{ATTEMPTS, backoff};
use super::{RegisterError, Seat, Store, Unavailable, build_error, unavailable};
use crate::meetings::MeetingStatus;
use crate::registration::Registration;

/// What a registration attempt writes: a seat or a waiting-list place, as a new item or over a cancelled one.
#[derive(Debug, Clone)]
struct Plan {
    confirmed: bool,
    /// The token hash of the cancelled registration this one replaces: its link is deleted with it.
    replaces_cancelled: Option<String>,
}

impl Store {
    /// Stores a registration: confirmed while there is room, else on the waiting list. One transaction:
    /// the registration (no second one for this meeting and email), its token, and the meeting's counter.
    ///
    /// The first attempt assumes the common case (a new registration, a free seat) and reads nothing
    /// first, so it costs one round trip. When a condition fails, the transaction returns the items as
    /// they were (`ALL_OLD`), which tell what to try next: the waiting list when full, a seat when one
    /// came free, replacing a cancelled registration, or a final answer (duplicate, closed, unknown).
    pub async fn register(
        &self,
        registration: &Registration,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Seat, RegisterError> {
        let mut meeting = self.cached_meeting(&registration.meeting).await?;
        // The cached counters guess seat or waiting list; the transaction's conditions correct a stale guess.
        let mut plan = Plan {
            confirmed: meeting.as_ref().is_none_or(|m| m.confirmed < m.capacity),
            replaces_cancelled: None,
        };
        for attempt in 0..ATTEMPTS {
            let Some(known) = &meeting else {
                return Err(RegisterError::UnknownMeeting);
            };
            if known.status(now) != MeetingStatus::Open {
                return Err(RegisterError::Closed);
            }
            let created_at = arrival_time(now);
            let expires_at = self.retention_end(known);
            let (request, slots) = self.registration_transaction(
                registration,
                token_hash,
                now,
                &created_at,
                expires_at,
                &plan,
            )?;
            let err = match request.send().await {
                Ok(_) if plan.confirmed => return Ok(Seat::Confirmed),
                Ok(_) => {
                    let position = self
                        .waitlist_position(&registration.meeting, &registration.email, &created_at)
                        .await?;
                    return Ok(Seat::Waitlisted { position });
                }
                Err(err) => err,
            };
            let Some(reasons) = Reasons::of(&err, &slots) else {
                if is_throttled(&err) {
                    backoff(attempt).await;
                    continue;
                }
                return Err(unavailable("TransactWriteItems register", err).into());
            };
            if reasons.failed(Slot::Meeting) {
                // The meeting as it is now decides: gone, closed, or the seat count changed.
                let current = reasons.item(Slot::Meeting).and_then(meeting_from_item);
                let Some(current) = current else {
                    self.meeting_cache.forget(&registration.meeting);
                    return Err(RegisterError::UnknownMeeting);
                };
                if current.status(now) != MeetingStatus::Open {
                    self.meeting_cache.forget(&registration.meeting);
                    return Err(RegisterError::Closed);
                }
                plan.confirmed = current.confirmed < current.capacity;
                self.meeting_cache.remember(&current);
                meeting = Some(current);
            }
            if reasons.failed(Slot::Registration) {
                let previous = reasons.item(Slot::Registration);
                match previous.and_then(status_of) {
                    Some(RegistrationStatus::Cancelled) => {
                        plan.replaces_cancelled =
                            previous.and_then(|item| get_s(item, "token_hash"));
                    }
                    Some(_) => return Err(RegisterError::Duplicate),
                    // Replaced a cancelled registration meanwhile, or it vanished: look again.
                    None => plan.replaces_cancelled = None,
                }
            }
            if !reasons.failed(Slot::Registration) && !reasons.failed(Slot::Meeting) {
                // A conflict with another transaction (or a token collision): wait a little, try again.
                backoff(attempt).await;
            }
        }
        Err(RegisterError::Unavailable(
            "TransactWriteItems register: still conflicting after retries".into(),
        ))
    }

    /// The writes of one registration, conditioned so that nothing is oversold or written twice, with the
    /// slot of each item in order (the answer is read through them).
    fn registration_transaction(
        &self,
        registration: &Registration,
        token_hash: &str,
        now: Timestamp,
        created_at: &str,
        expires_at: i64,
        plan: &Plan,
    ) -> Result<
        (
            aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder,
            Vec<Slot>,
        ),
        Unavailable,
    >{
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        let status = if plan.confirmed {
            RegistrationStatus::Confirmed
        } else {
            RegistrationStatus::Waitlisted
        };
        let mut item: Item = HashMap::new();
        item.insert(PARTITION_KEY.into(), s(&pk));
        item.insert(SORT_KEY.into(), s(&sk));
        item.insert("type".into(), s("registration"));
        item.insert("meeting".into(), s(&registration.meeting));
        item.insert("email".into(), s(&registration.email));
        item.insert("name".into(), s(&registration.name));
        item.insert("role".into(), s(&registration.role));
        for (key, value) in [
            ("sector", &registration.sector),
            ("organisation", &registration.organisation),
            ("needs", &registration.needs),
        ] {
            if let Some(value) = value {
                item.insert(key.into(), s(value));
            }
        }
        item.insert("status".into(), status_value(status));
        item.insert("created_at".into(), s(created_at));
        item.insert("token_hash".into(), s(token_hash));
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        put = if let Some(old_token) = &plan.replaces_cancelled {
            // The same cancelled registration whose link is deleted below, not one that replaced it meanwhile.
            put.condition_expression("#status = :cancelled AND token_hash = :old_token")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":cancelled",
                    status_value(RegistrationStatus::Cancelled),
                )
                .expression_attribute_values(":old_token", s(old_token))
        } else {
            put.condition_expression("attribute_not_exists(PK)")
        };

        let token_item: Item = HashMap::from([
            (PARTITION_KEY.to_string(), s(&token_pk(token_hash))),
            (SORT_KEY.to_string(), s(TOKEN_SK)),
            ("type".to_string(), s("token")),
            ("meeting".to_string(), s(&registration.meeting)),
            ("email".to_string(), s(&registration.email)),
            ("created_at".to_string(), s(created_at)),
            (TTL_ATTRIBUTE.to_string(), n(expires_at)),
        ]);
        let token_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(token_item))
            .condition_expression("attribute_not_exists(PK)");

        let counter = counter_of(status);
        let seat_condition = if plan.confirmed {
            "confirmed < #capacity"
        } else {
            "confirmed >= #capacity"
        };
        let mut expression = format!("SET {counter} = {counter} + :one");
        if plan.replaces_cancelled.is_some() {
            expression.push_str(", cancelled = cancelled - :one");
        }
        let meeting_update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(&registration.meeting)))
            .update_expression(expression)
            .condition_expression(format!(
                "{seat_condition} AND closes_at > :now AND over_at > :now AND (attribute_not_exists(opens_at) OR opens_at <= :now)"
            ))
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.as_second()))
            .return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );

        let mut items = vec![
            (
                Slot::Registration,
                TransactWriteItem::builder()
                    .put(put.build().map_err(build_error)?)
                    .build(),
            ),
            (
                Slot::Token,
                TransactWriteItem::builder()
                    .put(token_put.build().map_err(build_error)?)
                    .build(),
            ),
            (
                Slot::Meeting,
                TransactWriteItem::builder()
                    .update(meeting_update.build().map_err(build_error)?)
                    .build(),
            ),
        ];
        if let Some(old_token) = &plan.replaces_cancelled {
            // The replaced registration's link would otherwise keep its address until the retention date.
            let old_link = Delete::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&token_pk(old_token)))
                .key(SORT_KEY, s(TOKEN_SK))
                .build()
                .map_err(build_error)?;
            items.push((
                Slot::ReplacedLink,
                TransactWriteItem::builder().delete(old_link).build(),
            ));
        }
        let (slots, items): (Vec<Slot>, Vec<TransactWriteItem>) = items.into_iter().unzip();
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items));
        Ok((request, slots))
    }
}
