//! Moving a registration to another meeting (the back office, on an organiser's request): one transaction
//! takes it out of its meeting (a freed seat goes to the first on that waiting list, as when cancelling) and
//! puts it in the other by the same rules as registering (a seat while seats are free and nobody waits,
//! else a waiting-list ticket while the list has room), points its link tokens at the new meeting, and
//! keeps both meetings' counters equal to their items. The person keeps their link and registration id;
//! the mailer sends the new meeting's confirmation (or waiting-list mail) once per move, by the moment
//! in `meeting_moved_at`. A pending address move is dropped (its link then finds nothing).

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{
    Item, WAITLIST_CAPACITY, WAITLIST_SEQ, WAITLIST_TICKET, arrival_time, get_s, n, s, status_value,
};
use super::details::unchanged;
use super::keys::{
    EMAIL_ATTRIBUTE, MEETINGS_PK, PARTITION_KEY, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE, meeting_sk,
    registration_pk, registration_sk, token_pk,
};
use super::outcome::{cancellation_reasons, is_definite, is_throttled};
use super::registration_marks::REMINDER_DUE;
use super::retry::{ATTEMPTS, Budget};
use super::{Store, Unavailable, build_error, unavailable};
use crate::moves::MOVE_ATTRIBUTES;

/// When the registration last moved to another meeting (RFC 3339, UTC): the mailer's version of the mail
/// that tells the person about the new meeting.
pub const MEETING_MOVED_AT: &str = "meeting_moved_at";

/// What moving to another meeting came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingMoved {
    /// Moved: with a seat or on the new meeting's waiting list; `promoted` when its old seat went to the
    /// first on the old waiting list.
    Moved {
        status: RegistrationStatus,
        promoted: bool,
    },
    /// The address already has a registration for the other meeting (also a cancelled one).
    Taken,
    /// No seat and no room on the other meeting's waiting list.
    Full,
    /// The other meeting is over or called off.
    Closed,
    /// The other meeting does not exist, or is this one.
    UnknownMeeting,
    /// The registration is not there as it was (cancelled, erased, changed meanwhile: read it again).
    Gone,
}

impl Store {
    /// Moves the live registration of `email` for `from` (still the one with `registration_id`) to `to`.
    pub async fn move_to_meeting(
        &self,
        from: &str,
        email: &str,
        registration_id: &str,
        to: &str,
        now: Timestamp,
    ) -> Result<MeetingMoved, Unavailable> {
        if from == to {
            return Ok(MeetingMoved::UnknownMeeting);
        }
        let budget = Budget::start();
        for attempt in 0..ATTEMPTS {
            let old = self
                .registration_item(&registration_pk(from), &registration_sk(email))
                .await?;
            let Some(old) = old
                .filter(|item| get_s(item, "registration_id").as_deref() == Some(registration_id))
            else {
                // An earlier attempt whose answer was lost may have moved it.
                return self.moved_already(to, email, registration_id).await;
            };
            let Some(status) = get_s(&old, "status").and_then(|s| s.parse().ok()) else {
                return Ok(MeetingMoved::Gone);
            };
            if status == RegistrationStatus::Cancelled {
                return Ok(MeetingMoved::Gone);
            }
            let (Some(source), Some(target)) = (self.meeting(from).await?, self.meeting(to).await?)
            else {
                return Ok(MeetingMoved::UnknownMeeting);
            };
            if target.called_off || now.as_second() >= target.over_at {
                return Ok(MeetingMoved::Closed);
            }
            if self
                .registration_item(&registration_pk(to), &registration_sk(email))
                .await?
                .is_some()
            {
                return Ok(MeetingMoved::Taken);
            }
            let seat = target.confirmed < target.capacity && target.waitlisted == 0;
            let room = target.waitlisted < target.waitlist_capacity;
            if !seat && !room {
                return Ok(MeetingMoved::Full);
            }
            let new_status = if seat {
                RegistrationStatus::Confirmed
            } else {
                RegistrationStatus::Waitlisted
            };
            let ticket = (!seat).then_some(target.waitlist_seq + 1);
            let promote = if status == RegistrationStatus::Confirmed {
                self.waitlist(from).await?.first().cloned()
            } else {
                None
            };

            let mut parts = vec![self.take_out(&old, from, email)?];
            parts.push(self.put_in(&old, to, new_status, ticket, target.expires_at, now)?);
            parts.push(self.leave_source(from, status, promote.is_some(), source.waitlisted)?);
            if let Some(sk) = &promote {
                parts.push(self.promotion(&registration_pk(from), sk, now)?);
            }
            parts.push(self.join_target(to, ticket, target.waitlist_seq, now)?);
            let hashes = std::iter::once(get_s(&old, "token_hash"))
                .flatten()
                .chain(
                    old.get(super::codec::PREVIOUS_TOKEN_HASHES)
                        .and_then(|v| v.as_ss().ok())
                        .into_iter()
                        .flatten()
                        .cloned(),
                )
                .filter(|hash| !hash.is_empty());
            for hash in hashes {
                // A token item gone already (expired, revoked) is not pointed anywhere.
                if let Some(item) = self.registration_item(&token_pk(&hash), TOKEN_SK).await?
                    && get_s(&item, EMAIL_ATTRIBUTE).as_deref() == Some(email)
                {
                    parts.push(self.point_token(&hash, from, to)?);
                }
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(parts))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(MeetingMoved::Moved {
                        status: new_status,
                        promoted: promote.is_some(),
                    });
                }
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {}
                Err(err) if is_definite(&err) => {
                    return Err(unavailable("TransactWriteItems move meeting", err));
                }
                Err(err) => {
                    tracing::warn!(reason = %unavailable("TransactWriteItems move meeting", err).0, "meeting move outcome unknown: reading it again");
                }
            }
            budget.backoff(attempt).await;
        }
        Err(Unavailable(
            "TransactWriteItems move meeting: still conflicting after retries".into(),
        ))
    }

    async fn moved_already(
        &self,
        to: &str,
        email: &str,
        registration_id: &str,
    ) -> Result<MeetingMoved, Unavailable> {
        let moved = self
            .registration_item(&registration_pk(to), &registration_sk(email))
            .await?
            .filter(|item| get_s(item, "registration_id").as_deref() == Some(registration_id));
        Ok(
            match moved.and_then(|item| get_s(&item, "status")?.parse().ok()) {
                Some(status) => MeetingMoved::Moved {
                    status,
                    promoted: false,
                },
                None => MeetingMoved::Gone,
            },
        )
    }

    /// The registration leaves its meeting, only if it is exactly as read.
    fn take_out(
        &self,
        old: &Item,
        from: &str,
        email: &str,
    ) -> Result<TransactWriteItem, Unavailable> {
        let condition = unchanged(old);
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(from)))
            .key(SORT_KEY, s(&registration_sk(email)))
            .condition_expression(condition.expression);
        for (name, attribute) in condition.names {
            delete = delete.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in condition.values {
            delete = delete.expression_attribute_values(placeholder, value);
        }
        Ok(TransactWriteItem::builder()
            .delete(delete.build().map_err(build_error)?)
            .build())
    }

    /// The same registration in the other meeting: its new status and ticket, the other meeting's
    /// retention date, nothing of the old meeting's life (promotion, reminder, a pending address move).
    fn put_in(
        &self,
        old: &Item,
        to: &str,
        status: RegistrationStatus,
        ticket: Option<u32>,
        expires_at: i64,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Unavailable> {
        let mut item = old.clone();
        item.insert(PARTITION_KEY.into(), s(&registration_pk(to)));
        item.insert("meeting".into(), s(to));
        item.insert("status".into(), status_value(status));
        item.insert(MEETING_MOVED_AT.into(), s(&arrival_time(now)));
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        match ticket {
            Some(ticket) => item.insert(WAITLIST_TICKET.into(), n(ticket)),
            None => item.remove(WAITLIST_TICKET),
        };
        for gone in [
            "promoted_at",
            "cancelled_at",
            REMINDER_DUE,
            crate::check_in::CHECKED_IN_AT,
            crate::check_in::CHECKED_IN_BY,
            crate::messages::MESSAGE_DUE,
        ]
        .into_iter()
        .chain(MOVE_ATTRIBUTES)
        {
            item.remove(gone);
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The old meeting's counters: a seat freed (and perhaps taken by the first waiting person, one ticket
    /// served) or a waiting-list place left. Only while its waiting list is as read.
    fn leave_source(
        &self,
        from: &str,
        status: RegistrationStatus,
        promoted: bool,
        waitlisted_seen: u32,
    ) -> Result<TransactWriteItem, Unavailable> {
        let counters = match (status, promoted) {
            (RegistrationStatus::Confirmed, true) => {
                "SET waitlisted = waitlisted - :one, waitlist_served = if_not_exists(waitlist_served, :zero) + :one"
            }
            (RegistrationStatus::Confirmed, false) => "SET confirmed = confirmed - :one",
            _ => {
                "SET waitlisted = waitlisted - :one, waitlist_left = if_not_exists(waitlist_left, :zero) + :one"
            }
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(from)))
            .update_expression(counters)
            .condition_expression("waitlisted = :seen")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":seen", n(waitlisted_seen));
        if counters.contains(":zero") {
            update = update.expression_attribute_values(":zero", n(0));
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(build_error)?)
            .build())
    }

    /// The other meeting's counters, by the rules of registering: a seat while seats are free and nobody
    /// waits, else the next ticket while the list has room; and only while the meeting is not over.
    fn join_target(
        &self,
        to: &str,
        ticket: Option<u32>,
        seq_seen: u32,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Unavailable> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(to)))
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(now.as_second()));
        let update = match ticket {
            None => update
                .update_expression("SET confirmed = confirmed + :one")
                .condition_expression(
                    "confirmed < #capacity AND waitlisted = :zero AND over_at > :now",
                ),
            Some(ticket) => {
                let seq_condition = if seq_seen == 0 {
                    format!("(attribute_not_exists({WAITLIST_SEQ}) OR {WAITLIST_SEQ} = :seq)")
                } else {
                    format!("{WAITLIST_SEQ} = :seq")
                };
                update
                    .update_expression(format!(
                        "SET waitlisted = waitlisted + :one, {WAITLIST_SEQ} = :ticket"
                    ))
                    .condition_expression(format!(
                        "{seq_condition} AND (confirmed >= #capacity OR waitlisted > :zero) AND \
                         (attribute_not_exists({WAITLIST_CAPACITY}) OR waitlisted < {WAITLIST_CAPACITY}) AND over_at > :now"
                    ))
                    .expression_attribute_values(":seq", n(seq_seen))
                    .expression_attribute_values(":ticket", n(ticket))
            }
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(build_error)?)
            .build())
    }

    /// A link token of the registration, pointed at the other meeting.
    fn point_token(
        &self,
        hash: &str,
        from: &str,
        to: &str,
    ) -> Result<TransactWriteItem, Unavailable> {
        let point = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&token_pk(hash)))
            .key(SORT_KEY, s(TOKEN_SK))
            .update_expression("SET meeting = :to")
            .condition_expression("meeting = :from")
            .expression_attribute_values(":to", s(to))
            .expression_attribute_values(":from", s(from))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(point).build())
    }
}
