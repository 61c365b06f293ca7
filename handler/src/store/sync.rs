//! Syncing a meeting's details from `meetings.json` (`opp-admin sync-meetings`, `cargo dev`): details
//! change, counters never reset, and a capacity below the confirmed count is refused.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::codec::{arrival_time, n, s};
use super::keys::{MEETINGS_PK, PARTITION_KEY, SORT_KEY, meeting_sk};
use super::{Store, Unavailable, unavailable};
use crate::meetings::MeetingRecord;

#[derive(Debug, PartialEq, Eq)]
pub enum PutMeetingError {
    CapacityBelowConfirmed { capacity: u32, confirmed: u32 },
    Unavailable(Unavailable),
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
             closes_at = :closes_at, over_at = :over_at, registration_expires_at = :expires_at, \
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
            .expression_attribute_values(":closes_at", n(meeting.closes_at))
            .expression_attribute_values(":over_at", n(meeting.over_at))
            .expression_attribute_values(":expires_at", n(meeting.expires_at))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", s(&arrival_time(Timestamp::now())));
        for (name, value) in values {
            update = update.expression_attribute_values(format!(":{name}"), value);
        }
        match update.send().await {
            Ok(_) => Ok(before),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
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
