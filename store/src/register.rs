//! Registering: one TransactWriteItems writes the registration, its link's token item and the meeting's
//! counter, conditioned so that nothing is oversold or written twice.

use crate::outcome::condition_failed;
use aws_sdk_dynamodb::types::{
    Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use jiff::Timestamp;
use opp_model::RegistrationStatus;
use std::collections::HashMap;

use super::codec::{
    Item, arrival_time, counter_of, get_s, meeting_from_item, n, s, status_of, status_value,
};
use super::codec::{
    KEY_VERSION, LINK_ID, REGISTRATION_ID, WAITLIST_CAPACITY, WAITLIST_LEFT, WAITLIST_SEQ,
    WAITLIST_TICKET, get_n, new_registration_id,
};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE, meeting_sk, registration_pk,
    registration_sk, token_pk,
};
use super::outcome::{Reasons, Slot, is_definite, is_throttled};
use super::retry::{Budget, OutOfTime, REGISTER_ATTEMPTS, backoff};
use super::{IssuedLink, RegisterError, Seat, Store, Unavailable, build_error, unavailable};
use crate::mail_budget::{MAIL_WITHHELD, MailBudget};
use aws_sdk_dynamodb::types::AttributeValue;
use opp_model::records::{MeetingRecord, MeetingStatus, Wanted};
use opp_model::registration::Registration;

/// How often this registration was made again after cancelling, and since when (the 24-hour window
/// of `reregistrations_per_day`).
pub(super) const REREGISTRATIONS: &str = "reregistrations";
pub(super) const REREGISTERED_SINCE: &str = "reregistered_since";

/// What a visitor's registration is held to (the public function); organisers' registrations are not.
#[derive(Clone, Debug)]
pub struct VisitorLimits {
    /// The mails a visitor can trigger per address: a confirmation after registering again takes one.
    pub mail: MailBudget,
    /// Registering again for the same meeting after cancelling, per 24 hours.
    pub reregistrations_per_day: u32,
    /// When the visitor's request arrived: the store's time budget counts from then, so what the
    /// request spent before (reading the link key) is inside the one budget.
    pub started: std::time::Instant,
}

/// A stored registration: its seat, and whether its confirmation was withheld (over the mail budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub seat: Seat,
    pub mail_withheld: bool,
}

/// The cancelled registration a new one replaces.
#[derive(Debug, Clone)]
struct Replaced {
    /// Its token hash: its link is deleted with it, and the write is conditioned on it.
    token_hash: String,
    /// The re-registration count and window the new item carries.
    reregistrations: i64,
    since: i64,
}

/// What a registration attempt writes: a seat or a waiting-list ticket, as a new item or over a cancelled one.
#[derive(Debug, Clone)]
struct Plan {
    /// None for a seat; the drawn ticket for a waiting-list place.
    ticket: Option<u32>,
    replaces_cancelled: Option<Replaced>,
    /// The confirmation is not sent (over the address's mail budget).
    mail_withheld: bool,
}

impl Plan {
    fn confirmed(&self) -> bool {
        self.ticket.is_none()
    }
}

/// What a registration attempt ended in: a final answer, or a reason to try again.
enum Attempt {
    Done(Result<Seat, RegisterError>),
    /// Try again after a short wait (a conflict, throttling, an unknown outcome).
    Again,
    /// Try again at once: the conditions told what the table holds now.
    Replan,
}

impl Store {
    /// Stores a registration: a seat while seats are free and nobody waits, else a ticket on the waiting list
    /// while it has room. One transaction: the registration (no second one for this meeting and email), its
    /// token, and the meeting's counters.
    ///
    /// The first attempt assumes the common case (a new registration, the meeting as cached) and reads
    /// nothing first, so it costs one round trip. When a condition fails, the transaction returns the items
    /// as they were (`ALL_OLD`), which tell what to try next: the waiting list when full, a seat when one
    /// came free, replacing a cancelled registration, or a final answer (duplicate, closed, full, unknown).
    ///
    /// A waiting-list place first draws a ticket (an atomic counter: no two people share one, and many
    /// joining at once do not conflict). A ticket drawn but not used (a seat came free, a duplicate) is
    /// counted as a place left, which makes later places "ongeveer".
    ///
    /// When the answer to a write is lost (a timeout, a dropped connection, a 5xx), the write may have been
    /// applied: the registration is read back (consistent read) and counts as stored when it carries this
    /// attempt's `token_hash`. Each attempt is a new SDK operation, so it gets a new `ClientRequestToken`
    /// (the SDK makes it; it is never derived from the link token, which CloudTrail would log).
    pub async fn register(
        &self,
        registration: &Registration,
        link: impl Into<IssuedLink>,
        now: Timestamp,
    ) -> Result<Seat, RegisterError> {
        self.register_with(registration, link.into(), now, None)
            .await
            .map(|registered| registered.seat)
    }

    /// [`Store::register`] for a visitor: registering again after cancelling is limited per day
    /// ([`RegisterError::TooOften`], nothing stored), and its confirmation takes a slot of the address's
    /// mail budget (none left: stored with [`MAIL_WITHHELD`], so the mailer sends nothing). A first
    /// registration's confirmation is always sent.
    pub async fn register_as_visitor(
        &self,
        registration: &Registration,
        link: impl Into<IssuedLink>,
        now: Timestamp,
        limits: &VisitorLimits,
    ) -> Result<Registered, RegisterError> {
        self.register_with(registration, link.into(), now, Some(limits))
            .await
    }

    async fn register_with(
        &self,
        registration: &Registration,
        link: IssuedLink,
        now: Timestamp,
        limits: Option<&VisitorLimits>,
    ) -> Result<Registered, RegisterError> {
        let token_hash = link.token_hash.as_str();
        let budget = limits.map_or_else(Budget::start, |l| Budget::since(l.started));
        let mut ticket = None;
        let mut unknown = false;
        let mut mail_withheld = None;
        let mut result = self
            .register_within(
                registration,
                &link,
                now,
                &budget,
                &mut ticket,
                &mut unknown,
                (limits, &mut mail_withheld),
            )
            .await;
        if unknown && matches!(result, Err(RegisterError::Unavailable(_))) {
            // A write's outcome stayed unknown, so it may still land: wait until none can, then look
            // until the budget ends. Only what the table shows may be answered.
            budget.settle().await;
            result = self
                .final_read_back(registration, token_hash, &budget)
                .await;
        }
        // A ticket is handed back only when it is certainly unused: not when the outcome is unknown (the
        // registration may hold it).
        let unused = !matches!(
            result,
            Ok(Seat::Waitlisted { .. }) | Err(RegisterError::Unknown)
        );
        if let (Some(ticket), true) = (ticket, unused) {
            self.release_ticket(&registration.meeting, ticket, &budget)
                .await;
        }
        result.map(|seat| Registered {
            seat,
            mail_withheld: mail_withheld.unwrap_or(false),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn register_within(
        &self,
        registration: &Registration,
        link: &IssuedLink,
        now: Timestamp,
        budget: &Budget,
        ticket: &mut Option<u32>,
        unknown: &mut bool,
        (limits, mail_withheld): (Option<&VisitorLimits>, &mut Option<bool>),
    ) -> Result<Seat, RegisterError> {
        let token_hash = link.token_hash.as_str();
        let mut meeting = match budget
            .read(self.cached_meeting(&registration.meeting))
            .await
        {
            Ok(found) => found?,
            Err(OutOfTime) => {
                return Err(RegisterError::Unavailable(
                    "GetItem meeting: out of time".into(),
                ));
            }
        };
        // Whether `meeting` was read for this request (not taken from the cache).
        let mut fresh = false;
        let mut replaces_cancelled = None;
        for attempt in 0..REGISTER_ATTEMPTS {
            let Some(known) = meeting.clone() else {
                return Err(RegisterError::UnknownMeeting);
            };
            if known.status(now) != MeetingStatus::Open {
                return Err(RegisterError::Closed);
            }
            let wanted = known.wanted();
            if wanted == Wanted::Nothing && !fresh {
                // Only the meeting as it is now may turn someone away.
                meeting = match budget.read(self.meeting(&registration.meeting)).await {
                    Ok(found) => found?,
                    Err(OutOfTime) => break,
                };
                fresh = true;
                if let Some(current) = &meeting {
                    self.meeting_cache.remember(current);
                }
                continue;
            }
            let plan = match wanted {
                Wanted::Seat => Plan {
                    ticket: None,
                    replaces_cancelled: replaces_cancelled.clone(),
                    mail_withheld: false,
                },
                Wanted::WaitingList => {
                    if ticket.is_none() {
                        *ticket = match self.draw_ticket(&registration.meeting, budget).await {
                            Ok(Some(drawn)) => Some(drawn),
                            Ok(None) => return Err(RegisterError::UnknownMeeting),
                            Err(err) => return Err(err.into()),
                        };
                    }
                    Plan {
                        ticket: *ticket,
                        replaces_cancelled: replaces_cancelled.clone(),
                        mail_withheld: false,
                    }
                }
                Wanted::Nothing => return Err(self.full_or_duplicate(registration, budget).await),
            };
            let mut plan = plan;
            if let (Some(limits), Some(replaced)) = (limits, &plan.replaces_cancelled) {
                if replaced.reregistrations > i64::from(limits.reregistrations_per_day) {
                    return Err(RegisterError::TooOften);
                }
                if mail_withheld.is_none() {
                    // Taken once per request. When the budget cannot be read, the mail is withheld:
                    // the registration matters more, and its page shows the link.
                    let slot = budget
                        .read(self.take_mail_slot(&limits.mail, &registration.email, now))
                        .await;
                    *mail_withheld = Some(!matches!(slot, Ok(Ok(true))));
                }
            }
            plan.mail_withheld = mail_withheld.unwrap_or(false);
            if !budget.allows_write() {
                break;
            }
            let created_at = arrival_time(now);
            let expires_at = self.retention_end(&known);
            let (request, slots) = self.registration_transaction(
                registration,
                link,
                &created_at,
                expires_at,
                now,
                &plan,
            )?;
            let outcome = match budget.write(request.send()).await {
                Ok(Ok(_)) => {
                    self.meeting_cache.remember(&after_write(&known, &plan));
                    return Ok(seat(&known, plan.ticket));
                }
                Ok(Err(err)) => {
                    // Even a clear final error says nothing of the SDK's earlier attempts of the same
                    // operation: one of them may have timed out and still land. Any failed write makes
                    // the final read-back necessary.
                    *unknown = true;
                    if let Some(reasons) = Reasons::of(&err, &slots) {
                        let outcome = self.after_conditions(
                            registration,
                            token_hash,
                            now,
                            &known,
                            &reasons,
                            &mut meeting,
                            &mut replaces_cancelled,
                        );
                        fresh = reasons.failed(Slot::Meeting) || fresh;
                        outcome
                    } else if is_throttled(&err) {
                        Attempt::Again
                    } else if is_definite(&err) {
                        return Err(unavailable("TransactWriteItems register", err).into());
                    } else {
                        tracing::warn!(reason = %unavailable("TransactWriteItems register", err).0, "registration outcome unknown: reading it back");
                        *unknown = true;
                        self.read_back(registration, token_hash, &known, budget)
                            .await
                    }
                }
                Err(OutOfTime) => {
                    tracing::warn!("registration write out of time: reading it back");
                    *unknown = true;
                    self.read_back(registration, token_hash, &known, budget)
                        .await
                }
            };
            match outcome {
                Attempt::Done(result) => return result,
                Attempt::Again => budget.backoff(attempt).await,
                Attempt::Replan => {}
            }
        }
        Err(RegisterError::Unavailable(
            "TransactWriteItems register: no answer or still conflicting within the time budget"
                .into(),
        ))
    }

    /// After an unknown outcome and the grace: the registration as stored (ours, someone else's, or none),
    /// read until the budget ends; `Unknown` when the table could not be read at all.
    async fn final_read_back(
        &self,
        registration: &Registration,
        token_hash: &str,
        budget: &Budget,
    ) -> Result<Seat, RegisterError> {
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        for attempt in 0..REGISTER_ATTEMPTS {
            let Ok(Ok(item)) = budget.read(self.registration_item(&pk, &sk)).await else {
                if budget.read(backoff(attempt)).await.is_err() {
                    break;
                }
                continue;
            };
            return match item {
                Some(stored) if get_s(&stored, "token_hash").as_deref() == Some(token_hash) => {
                    let meeting = budget
                        .read(self.meeting(&registration.meeting))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .flatten();
                    match meeting {
                        Some(meeting) => stored_seat(&stored, &meeting),
                        // Stored, but the place cannot be worked out now.
                        None => match status_of(&stored) {
                            Some(RegistrationStatus::Confirmed) => Ok(Seat::Confirmed),
                            _ => Ok(Seat::Waitlisted { place: None }),
                        },
                    }
                }
                Some(stored) if status_of(&stored).is_some_and(|s| s.is_live()) => {
                    Err(RegisterError::Duplicate)
                }
                _ => Err(RegisterError::Unavailable(
                    "TransactWriteItems register: not stored within the time budget".into(),
                )),
            };
        }
        Err(RegisterError::Unknown)
    }

    /// No seat and no waiting-list place: but someone who is already registered hears that instead.
    async fn full_or_duplicate(
        &self,
        registration: &Registration,
        budget: &Budget,
    ) -> RegisterError {
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        match budget.read(self.registration_item(&pk, &sk)).await {
            Ok(Ok(Some(item))) if status_of(&item).is_some_and(|s| s.is_live()) => {
                RegisterError::Duplicate
            }
            Ok(Ok(_)) => RegisterError::Full,
            Ok(Err(err)) => err.into(),
            Err(OutOfTime) => {
                RegisterError::Unavailable("GetItem registration: out of time".into())
            }
        }
    }

    /// Adds one to a counter of an existing meeting item (a missing counter counts as 0).
    fn meeting_counter_plus_one(
        &self,
        meeting: &str,
        counter: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(meeting)))
            .update_expression(format!(
                "SET {counter} = if_not_exists({counter}, :zero) + :one"
            ))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
    }

    /// Draws the next waiting-list ticket of a meeting (an atomic counter); None when the meeting is gone.
    async fn draw_ticket(
        &self,
        meeting: &str,
        budget: &Budget,
    ) -> Result<Option<u32>, Unavailable> {
        let call = self
            .meeting_counter_plus_one(meeting, WAITLIST_SEQ)
            .return_values(ReturnValue::UpdatedNew)
            .send();
        match budget.write(call).await {
            Ok(Ok(output)) => Ok(output
                .attributes()
                .and_then(|item| get_n(item, WAITLIST_SEQ))
                .and_then(|t| u32::try_from(t).ok())),
            Ok(Err(err)) if condition_failed(&err) => Ok(None),
            Ok(Err(err)) => Err(unavailable("UpdateItem waitlist ticket", err)),
            Err(OutOfTime) => Err(Unavailable(
                "UpdateItem waitlist ticket: out of time".into(),
            )),
        }
    }

    /// A drawn ticket that no registration holds: handed back when it is still the last one drawn, else
    /// counted as a place left, so later places are shown as approximate. Best effort: if this fails,
    /// places behind it are one too high, never too low.
    async fn release_ticket(&self, meeting: &str, ticket: u32, budget: &Budget) {
        // When nobody drew a ticket after ours, hand it back: places stay exact.
        let undo = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(meeting)))
            .update_expression(format!("SET {WAITLIST_SEQ} = :before"))
            .condition_expression(format!("{WAITLIST_SEQ} = :ticket"))
            .expression_attribute_values(":before", n(ticket.saturating_sub(1)))
            .expression_attribute_values(":ticket", n(ticket))
            .send();
        if matches!(budget.read(undo).await, Ok(Ok(_))) {
            return;
        }
        // Someone drew after us (or the undo's outcome is unknown: counting it too only makes places
        // "ongeveer", never wrong).
        let call = self.meeting_counter_plus_one(meeting, WAITLIST_LEFT).send();
        if !matches!(budget.read(call).await, Ok(Ok(_))) {
            tracing::warn!(meeting = %meeting, "an unused waiting-list ticket was not counted");
        }
    }

    /// A condition failed: our own earlier write (a lost answer), a final answer, or a new plan.
    #[allow(clippy::too_many_arguments)]
    fn after_conditions(
        &self,
        registration: &Registration,
        token_hash: &str,
        now: Timestamp,
        known: &MeetingRecord,
        reasons: &Reasons,
        meeting: &mut Option<MeetingRecord>,
        replaces_cancelled: &mut Option<Replaced>,
    ) -> Attempt {
        // First the registration slot: when it holds this attempt's token, an earlier attempt was
        // stored and its answer lost. The meeting slot may fail as well then (that write took the seat),
        // and must not send us on to another plan.
        if reasons.failed(Slot::Registration) {
            let previous = reasons.item(Slot::Registration);
            if let Some(stored) =
                previous.filter(|item| get_s(item, "token_hash").as_deref() == Some(token_hash))
            {
                return Attempt::Done(stored_seat(stored, known));
            }
            match previous.and_then(status_of) {
                Some(RegistrationStatus::Cancelled) => {
                    *replaces_cancelled = previous.and_then(|item| replaced(item, now));
                }
                Some(_) => return Attempt::Done(Err(RegisterError::Duplicate)),
                // Replaced a cancelled registration meanwhile, or it vanished: look again.
                None => *replaces_cancelled = None,
            }
            if !reasons.failed(Slot::Meeting) {
                return Attempt::Replan;
            }
        }
        if reasons.failed(Slot::Meeting) {
            // The meeting as it is now decides: gone, closed, or seats and tickets changed.
            let current = reasons.item(Slot::Meeting).and_then(meeting_from_item);
            let Some(current) = current else {
                self.meeting_cache.forget(&registration.meeting);
                return Attempt::Done(Err(RegisterError::UnknownMeeting));
            };
            if current.status(now) != MeetingStatus::Open {
                self.meeting_cache.forget(&registration.meeting);
                return Attempt::Done(Err(RegisterError::Closed));
            }
            self.meeting_cache.remember(&current);
            *meeting = Some(current);
            return Attempt::Replan;
        }
        // A conflict with another transaction (or a token collision): wait a little, try again.
        Attempt::Again
    }

    /// The answer to a write was lost: whatever the table now holds for this person decides.
    async fn read_back(
        &self,
        registration: &Registration,
        token_hash: &str,
        known: &MeetingRecord,
        budget: &Budget,
    ) -> Attempt {
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        let item = match budget.read(self.registration_item(&pk, &sk)).await {
            Ok(Ok(item)) => item,
            // Still unknown: another attempt either stores it or finds it through its conditions.
            Ok(Err(_)) | Err(OutOfTime) => return Attempt::Again,
        };
        match item {
            Some(stored) if get_s(&stored, "token_hash").as_deref() == Some(token_hash) => {
                Attempt::Done(stored_seat(&stored, known))
            }
            Some(stored) if status_of(&stored).is_some_and(|s| s.is_live()) => {
                Attempt::Done(Err(RegisterError::Duplicate))
            }
            // Not stored (or a cancelled one to replace, which the next attempt's conditions find).
            _ => Attempt::Again,
        }
    }

    /// The writes of one registration, conditioned so that nothing is oversold or written twice, with the
    /// slot of each item in order (the answer is read through them).
    fn registration_transaction(
        &self,
        registration: &Registration,
        link: &IssuedLink,
        created_at: &str,
        expires_at: i64,
        now: Timestamp,
        plan: &Plan,
    ) -> Result<
        (
            aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder,
            Vec<Slot>,
        ),
        Unavailable,
    >{
        let token_hash = link.token_hash.as_str();
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        let status = if plan.confirmed() {
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
        item.insert(REGISTRATION_ID.into(), s(&new_registration_id()));
        if let Some(code) = opp_model::check_in_code::new_code() {
            item.insert(crate::check_in::CHECK_IN_CODE.into(), s(&code));
        }
        if let (Some(link_id), Some(version)) = (&link.link_id, link.key_version) {
            item.insert(LINK_ID.into(), s(link_id));
            item.insert(KEY_VERSION.into(), n(version));
        }
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        if let Some(ticket) = plan.ticket {
            item.insert(WAITLIST_TICKET.into(), n(ticket));
        }
        if let Some(replaced) = &plan.replaces_cancelled {
            item.insert(REREGISTRATIONS.into(), n(replaced.reregistrations));
            item.insert(REREGISTERED_SINCE.into(), n(replaced.since));
        }
        if plan.mail_withheld {
            item.insert(MAIL_WITHHELD.into(), AttributeValue::Bool(true));
        }
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        put = if let Some(Replaced {
            token_hash: old_token,
            ..
        }) = &plan.replaces_cancelled
        {
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
        let mut expression = format!("SET {counter} = {counter} + :one");
        if plan.replaces_cancelled.is_some() {
            expression.push_str(", cancelled = cancelled - :one");
        }
        // A seat only while seats are free and nobody waits (else a newcomer overtakes the waiting list);
        // a waiting-list place only while the list has room.
        let seat_condition = match plan.ticket {
            None => "confirmed < #capacity AND waitlisted = :zero".to_string(),
            Some(_) => format!(
                "(confirmed >= #capacity OR waitlisted > :zero) AND (attribute_not_exists({WAITLIST_CAPACITY}) OR waitlisted < {WAITLIST_CAPACITY})"
            ),
        };
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
            .expression_attribute_values(":zero", n(0))
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
        if let Some(Replaced {
            token_hash: old_token,
            ..
        }) = &plan.replaces_cancelled
        {
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

/// The cancelled registration `item` as the one a new registration replaces, counting this time in its
/// re-registration window (24 hours from the first re-registration in it).
fn replaced(item: &Item, now: Timestamp) -> Option<Replaced> {
    let token_hash = get_s(item, "token_hash")?;
    let now = now.as_second();
    let (reregistrations, since) = match (
        get_n(item, REREGISTRATIONS),
        get_n(item, REREGISTERED_SINCE),
    ) {
        (Some(count), Some(since)) if since > now - 86_400 => (count + 1, since),
        _ => (1, now),
    };
    Some(Replaced {
        token_hash,
        reregistrations,
        since,
    })
}

/// The seat a successful write gave, with the place its ticket holds in the meeting as last read.
fn seat(meeting: &MeetingRecord, ticket: Option<u32>) -> Seat {
    match ticket {
        None => Seat::Confirmed,
        Some(ticket) => Seat::Waitlisted {
            place: Some(meeting.waitlist_place(ticket)),
        },
    }
}

/// The seat an earlier attempt of this registration stored, read from the item itself.
fn stored_seat(item: &Item, meeting: &MeetingRecord) -> Result<Seat, RegisterError> {
    match status_of(item) {
        Some(RegistrationStatus::Confirmed) => Ok(Seat::Confirmed),
        Some(RegistrationStatus::Waitlisted) => {
            let ticket = get_n(item, WAITLIST_TICKET).and_then(|t| u32::try_from(t).ok());
            Ok(Seat::Waitlisted {
                place: ticket.map(|t| meeting.waitlist_place(t)),
            })
        }
        // Stored and cancelled since: the person did that on their page, which they could only reach
        // through the link of this very registration.
        Some(RegistrationStatus::Cancelled) | None => Err(RegisterError::Duplicate),
    }
}

/// The meeting as this process's write left it, so the next registration's first guess is right.
fn after_write(meeting: &MeetingRecord, plan: &Plan) -> MeetingRecord {
    let mut next = meeting.clone();
    match plan.ticket {
        None => next.confirmed += 1,
        Some(ticket) => {
            next.waitlisted += 1;
            next.waitlist_seq = next.waitlist_seq.max(ticket);
        }
    }
    if plan.replaces_cancelled.is_some() {
        next.cancelled = next.cancelled.saturating_sub(1);
    }
    next
}
