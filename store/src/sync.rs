//! Syncing a meeting's details from `meetings.json` (`opp-admin sync-meetings`, `cargo dev`): details
//! change, counters never reset, and a capacity below the confirmed count is refused. Then the meeting is
//! settled: new seats go to the waiting list in ticket order, and every item whose retention follows the
//! meeting gets the meeting's retention date.

use crate::outcome::condition_failed;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use jiff::Timestamp;

use super::codec::{arrival_time, get_n, get_s, n, s};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, REGISTRATION_SK_PREFIX, SORT_KEY, TTL_ATTRIBUTE, meeting_sk,
    registration_parts, registration_pk,
};
use super::outcome::{cancellation_reasons, is_definite, is_throttled};
use super::read::query_pages;
use super::retry::{ATTEMPTS, backoff};
use super::{Store, Unavailable, build_error, unavailable};
use opp_model::records::MeetingRecord;

/// Registration keys per page when rewriting retention dates.
const RETENTION_PAGE: i32 = 500;

/// What [`Store::remove_meeting`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingRemoval {
    Removed,
    /// Refused: it still has registration items (of any status), which keep the id until their retention.
    HasRegistrations,
    /// There was no such meeting item.
    Gone,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PutMeetingError {
    CapacityBelowConfirmed { capacity: u32, confirmed: u32 },
    Unavailable(Unavailable),
}

/// The meeting's change number after this sync: one higher when its date, time or venue really changed.
/// A value the item did not hold yet (times synced before they were stored) is no change: it would mail
/// everyone about nothing.
fn change_seq(before: Option<&MeetingRecord>, now: &MeetingRecord) -> u32 {
    let Some(before) = before else {
        return 0;
    };
    let differs = |old: &Option<String>, new: &Option<String>| old.is_some() && old != new;
    let differs_at = |old: Option<i64>, new: Option<i64>| old.is_some() && old != new;
    let moved = (!before.date.is_empty() && before.date != now.date)
        || differs_at(before.starts_at, now.starts_at)
        || differs_at(before.ends_at, now.ends_at)
        || (!before.venue_name.is_empty() && before.venue_name != now.venue_name)
        || differs(&before.venue_address, &now.venue_address)
        || differs(&before.venue_postcode, &now.venue_postcode)
        || (!before.city.is_empty() && before.city != now.city);
    before.change_seq + u32::from(moved)
}

impl Store {
    /// Creates or updates a meeting's details. Counters are never reset; a capacity below the confirmed
    /// count is refused. Returns the item as it was before (None when new).
    pub async fn put_meeting_details(
        &self,
        meeting: &MeetingRecord,
    ) -> Result<Option<MeetingRecord>, PutMeetingError> {
        let before = self
            .meeting(&meeting.id)
            .await
            .map_err(PutMeetingError::Unavailable)?;
        let mut set = String::from(
            "SET #type = :type, meeting = :id, title = :title, #path = :path, #date = :date, date_label = :date_label, \
             time_label = :time_label, venue_name = :venue_name, city = :city, ics_path = :ics_path, #capacity = :capacity, \
             waitlist_capacity = :waitlist_capacity, closes_at = :closes_at, over_at = :over_at, \
             registration_expires_at = :expires_at, called_off = :called_off, change_seq = :change_seq, \
             confirmed = if_not_exists(confirmed, :zero), waitlisted = if_not_exists(waitlisted, :zero), \
             cancelled = if_not_exists(cancelled, :zero), created_at = if_not_exists(created_at, :now)",
        );
        let mut remove = Vec::new();
        let mut values: Vec<(&str, AttributeValue)> = Vec::new();
        let optional = [
            ("opens_at", meeting.opens_at.map(n)),
            ("starts_at", meeting.starts_at.map(n)),
            ("ends_at", meeting.ends_at.map(n)),
            ("venue_address", meeting.venue_address.as_deref().map(s)),
            ("venue_postcode", meeting.venue_postcode.as_deref().map(s)),
            ("venue_route", meeting.venue_route.as_deref().map(s)),
            (
                "called_off_reason",
                meeting.called_off_reason.as_deref().map(s),
            ),
        ];
        for (name, value) in optional {
            match value {
                Some(value) => {
                    set.push_str(&format!(", {name} = :{name}"));
                    values.push((name, value));
                }
                None => remove.push(name),
            }
        }
        if !remove.is_empty() {
            set.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(&meeting.id)))
            .update_expression(set)
            .condition_expression("attribute_not_exists(confirmed) OR confirmed <= :capacity")
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#path", "path")
            .expression_attribute_names("#date", "date")
            .expression_attribute_values(":type", s("meeting"))
            .expression_attribute_values(":id", s(&meeting.id))
            .expression_attribute_values(":title", s(&meeting.title))
            .expression_attribute_values(":path", s(&meeting.path))
            .expression_attribute_values(":date", s(&meeting.date))
            .expression_attribute_values(":date_label", s(&meeting.date_label))
            .expression_attribute_values(":time_label", s(&meeting.time_label))
            .expression_attribute_values(":venue_name", s(&meeting.venue_name))
            .expression_attribute_values(":city", s(&meeting.city))
            .expression_attribute_values(":ics_path", s(&meeting.ics_path))
            .expression_attribute_values(":capacity", n(meeting.capacity))
            .expression_attribute_values(":waitlist_capacity", n(meeting.waitlist_capacity))
            .expression_attribute_values(":closes_at", n(meeting.closes_at))
            .expression_attribute_values(":over_at", n(meeting.over_at))
            .expression_attribute_values(":expires_at", n(meeting.expires_at))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":called_off", AttributeValue::Bool(meeting.called_off))
            .expression_attribute_values(":change_seq", n(change_seq(before.as_ref(), meeting)))
            .expression_attribute_values(":now", s(&arrival_time(Timestamp::now())));
        for (name, value) in values {
            update = update.expression_attribute_values(format!(":{name}"), value);
        }
        match update.send().await {
            Ok(_) => Ok(before),
            Err(err) if condition_failed(&err) => {
                let confirmed = before.as_ref().map_or(0, |b| b.confirmed);
                Err(PutMeetingError::CapacityBelowConfirmed {
                    capacity: meeting.capacity,
                    confirmed,
                })
            }
            Err(err) => Err(PutMeetingError::Unavailable(unavailable(
                "UpdateItem meeting",
                err,
            ))),
        }
    }
}

impl Store {
    /// Gives free seats to the waiting list, first ticket first, one transaction per person like a
    /// cancellation's promotion: the person is still waiting, and a seat is still free. Returns the sort
    /// keys of those promoted. Free seats with people waiting arise when the content raises capacity.
    pub async fn promote_into_free_seats(
        &self,
        meeting_id: &str,
        now: Timestamp,
    ) -> Result<Vec<String>, Unavailable> {
        let pk = registration_pk(meeting_id);
        let mut promoted = Vec::new();
        // Failures in a row; any promotion is progress (it is committed) and starts the count again.
        let mut failures = 0;
        let mut last_failure = String::new();
        loop {
            if failures >= ATTEMPTS {
                return Err(Unavailable(format!(
                    "promote: {last_failure} ({} promoted before that; run sync again to go on)",
                    promoted.len()
                )));
            }
            if failures > 0 {
                backoff(failures).await;
            }
            let meeting = match self.meeting(meeting_id).await {
                Ok(Some(meeting)) => meeting,
                Ok(None) => return Ok(promoted),
                Err(err) => {
                    (failures, last_failure) = (failures + 1, err.0);
                    continue;
                }
            };
            if meeting.confirmed >= meeting.capacity || meeting.waitlisted == 0 {
                return Ok(promoted);
            }
            let free = (meeting.capacity - meeting.confirmed) as usize;
            let waiting = match self.waitlist(meeting_id).await {
                Ok(waiting) => waiting,
                Err(err) => {
                    (failures, last_failure) = (failures + 1, err.0);
                    continue;
                }
            };
            if waiting.is_empty() {
                // The counter says people wait but no item does: `opp-admin summary` reports it.
                return Ok(promoted);
            }
            for sk in waiting.iter().take(free) {
                let seat = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(MEETINGS_PK))
                    .key(SORT_KEY, s(&meeting_sk(meeting_id)))
                    .update_expression(
                        "SET confirmed = confirmed + :one, waitlisted = waitlisted - :one, waitlist_served = if_not_exists(waitlist_served, :zero) + :one",
                    )
                    .condition_expression("confirmed < #capacity AND waitlisted > :zero")
                    .expression_attribute_names("#capacity", "capacity")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":zero", n(0))
                    .build()
                    .map_err(build_error)?;
                let result = self
                    .client
                    .transact_write_items()
                    .transact_items(self.promotion(&pk, sk, now)?)
                    .transact_items(TransactWriteItem::builder().update(seat).build())
                    .send()
                    .await;
                match result {
                    Ok(_) => {
                        promoted.push(sk.clone());
                        failures = 0;
                    }
                    Err(err)
                        if is_definite(&err)
                            && !is_throttled(&err)
                            && cancellation_reasons(&err).is_none() =>
                    {
                        return Err(unavailable("TransactWriteItems promote", err));
                    }
                    // Someone cancelled or registered meanwhile, or the answer was lost (then the
                    // promotion may have happened): read the meeting and the list again.
                    Err(err) => {
                        (failures, last_failure) = (
                            failures + 1,
                            unavailable("TransactWriteItems promote", err).0,
                        );
                        break;
                    }
                }
            }
        }
    }

    /// Gives every item whose retention follows this meeting (keys::registration_parts) the meeting's
    /// retention date, so a postponed meeting or a longer retention never lets TTL delete a registration
    /// or its link early. Idempotent and resumable: only items with another date are written, page by
    /// page, and a registration's own date is written last, after its other parts, so a run that stops
    /// halfway is finished by the next. Returns how many registrations were rewritten.
    pub async fn follow_retention(&self, meeting: &MeetingRecord) -> Result<usize, Unavailable> {
        let expires_at = self.retention_end(meeting);
        let query = self
            .registrations_query(&meeting.id)
            .projection_expression("#sk, #ttl, token_hash, previous_token_hashes")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .limit(RETENTION_PAGE);
        let items = query_pages(query, &mut |_| {})
            .await
            .map_err(|err| unavailable("Query retention", err))?;
        let mut rewritten = 0;
        for item in items {
            if get_n(&item, TTL_ATTRIBUTE) == Some(expires_at) {
                continue;
            }
            let Some(email) = get_s(&item, SORT_KEY)
                .and_then(|sk| sk.strip_prefix(REGISTRATION_SK_PREFIX).map(str::to_string))
            else {
                continue;
            };
            let mut tokens = vec![get_s(&item, "token_hash").unwrap_or_default()];
            if let Some(previous) = item
                .get("previous_token_hashes")
                .and_then(|v| v.as_ss().ok())
            {
                tokens.extend(previous.iter().cloned());
            }
            let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
            let mut parts = registration_parts(&meeting.id, &email, &tokens);
            parts.reverse();
            for (_, pk, sk) in parts {
                let result = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(&pk))
                    .key(SORT_KEY, s(&sk))
                    .update_expression("SET #ttl = :expires_at")
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                    .expression_attribute_names("#pk", PARTITION_KEY)
                    .expression_attribute_values(":expires_at", n(expires_at))
                    .send()
                    .await;
                match result {
                    Ok(_) => {}
                    // A part that is gone (a replaced link, an erased registration) needs no date.
                    Err(err) if condition_failed(&err) => {}
                    Err(err) => return Err(unavailable("UpdateItem retention", err)),
                }
            }
            rewritten += 1;
        }
        Ok(rewritten)
    }

    /// Deletes a meeting item that no registration refers to: none stored (of any status, counted by a
    /// Query) and its counters at zero (the delete's condition, so a registration that arrives meanwhile
    /// wins and the meeting stays).
    pub async fn remove_meeting(&self, id: &str) -> Result<MeetingRemoval, Unavailable> {
        let any = self
            .registrations_query(id)
            .projection_expression("#sk")
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("Query registrations", err))?;
        if any.count() > 0 {
            return Ok(MeetingRemoval::HasRegistrations);
        }
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(id)))
            .condition_expression(
                "attribute_exists(#pk) AND confirmed = :zero AND waitlisted = :zero AND cancelled = :zero",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(MeetingRemoval::Removed),
            Err(err) if condition_failed(&err) => match self.meeting(id).await? {
                Some(_) => Ok(MeetingRemoval::HasRegistrations),
                None => Ok(MeetingRemoval::Gone),
            },
            Err(err) => Err(unavailable("DeleteItem meeting", err)),
        }
    }
}
