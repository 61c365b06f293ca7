//! The attribute encoding: Rust values to DynamoDB attributes and back, and items to records.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use opp_model::RegistrationStatus;
use std::collections::HashMap;

use super::RegistrationRecord;
use opp_model::records::MeetingRecord;

/// The meeting item's waiting-list attributes: its limit, the last ticket handed out, the tickets served
/// (promotions) and the waiting people who left; and the ticket on a registration item.
pub(super) const WAITLIST_CAPACITY: &str = "waitlist_capacity";
pub(super) const WAITLIST_SEQ: &str = "waitlist_seq";
pub(super) const WAITLIST_SERVED: &str = "waitlist_served";
pub(super) const WAITLIST_LEFT: &str = "waitlist_left";
pub(super) const WAITLIST_TICKET: &str = "waitlist_ticket";

/// The meeting item's call-off flag and reason, and its change number (what the mailer reads).
pub(super) const CALLED_OFF: &str = "called_off";
pub(super) const CALLED_OFF_REASON: &str = "called_off_reason";
pub(super) const CHANGE_SEQ: &str = "change_seq";

/// A registration's opaque, stable id (calendar UIDs, and later emails): never the address or the link.
pub(super) const REGISTRATION_ID: &str = "registration_id";

/// The hashes of a registration's earlier tokens that still open it (after `opp-admin rekey-links`), a
/// string set; `token_hash` is its current one.
pub(super) const PREVIOUS_TOKEN_HASHES: &str = "previous_token_hashes";

/// A derived link's id and the version of the link key it was made with (`opp_model::links`).
pub(super) const LINK_ID: &str = "link_id";
pub(super) const KEY_VERSION: &str = "key_version";

/// 128 random bits, hex.
pub(super) fn new_registration_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness (never seen on Lambda) the id falls back to the token hash below.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The id of a registration stored before ids existed: derived from its token hash, so stable, and not
/// the hash itself (which keys the link's token item).
fn legacy_registration_id(token_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("registration:{token_hash}").as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One item as the SDK hands it over.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}
pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
pub(super) fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}
pub(super) fn get_n(item: &Item, key: &str) -> Option<i64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// A status as the table stores it.
pub(super) fn status_value(status: RegistrationStatus) -> AttributeValue {
    s(status.as_str())
}

/// A registration item's status (None when missing or not a status).
pub(super) fn status_of(item: &Item) -> Option<RegistrationStatus> {
    get_s(item, "status")?.parse().ok()
}

/// The meeting item's counter of registrations with this status: named like the status itself.
pub(super) fn counter_of(status: RegistrationStatus) -> &'static str {
    status.as_str()
}

/// RFC 3339 in UTC with microseconds, so arrival order sorts as text.
pub fn arrival_time(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(super) fn meeting_from_item(item: &Item) -> Option<MeetingRecord> {
    let count = |key: &str| {
        get_n(item, key)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    Some(MeetingRecord {
        id: get_s(item, "meeting")?,
        title: get_s(item, "title").unwrap_or_default(),
        path: get_s(item, "path").unwrap_or_else(|| "/".into()),
        date: get_s(item, "date").unwrap_or_default(),
        date_label: get_s(item, "date_label").unwrap_or_default(),
        time_label: get_s(item, "time_label").unwrap_or_default(),
        starts_at: get_n(item, "starts_at"),
        ends_at: get_n(item, "ends_at"),
        venue_name: get_s(item, "venue_name").unwrap_or_default(),
        venue_address: get_s(item, "venue_address"),
        venue_postcode: get_s(item, "venue_postcode"),
        venue_route: get_s(item, "venue_route"),
        city: get_s(item, "city").unwrap_or_default(),
        ics_path: get_s(item, "ics_path").unwrap_or_default(),
        capacity: count("capacity"),
        waitlist_capacity: get_n(item, WAITLIST_CAPACITY)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or_else(|| {
                opp_model::meetings_json::default_waitlist_capacity(count("capacity"))
            }),
        opens_at: get_n(item, "opens_at"),
        closes_at: get_n(item, "closes_at")?,
        over_at: get_n(item, "over_at")?,
        expires_at: get_n(item, "registration_expires_at").unwrap_or(0),
        confirmed: count(counter_of(RegistrationStatus::Confirmed)),
        waitlisted: count(counter_of(RegistrationStatus::Waitlisted)),
        cancelled: count(counter_of(RegistrationStatus::Cancelled)),
        waitlist_seq: count(WAITLIST_SEQ),
        waitlist_served: count(WAITLIST_SERVED),
        waitlist_left: count(WAITLIST_LEFT),
        called_off: item
            .get(CALLED_OFF)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        called_off_reason: get_s(item, CALLED_OFF_REASON),
        change_seq: count(CHANGE_SEQ),
    })
}

pub(super) fn registration_from_item(item: &Item) -> Option<RegistrationRecord> {
    let token_hash = get_s(item, "token_hash").unwrap_or_default();
    let registration_id = get_s(item, REGISTRATION_ID)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| legacy_registration_id(&token_hash));
    Some(RegistrationRecord {
        registration_id,
        meeting: get_s(item, "meeting")?,
        email: get_s(item, "email")?,
        name: get_s(item, "name").unwrap_or_default(),
        role: get_s(item, "role").unwrap_or_default(),
        sector: get_s(item, "sector"),
        organisation: get_s(item, "organisation"),
        needs: get_s(item, "needs"),
        status: status_of(item)?,
        created_at: get_s(item, "created_at").unwrap_or_default(),
        promoted_at: get_s(item, "promoted_at"),
        waitlist_ticket: get_n(item, WAITLIST_TICKET).and_then(|v| u32::try_from(v).ok()),
        link_id: get_s(item, LINK_ID),
        key_version: get_n(item, KEY_VERSION).and_then(|v| u32::try_from(v).ok()),
        email_status: get_s(item, super::registration_marks::EMAIL_STATUS),
        previous_token_hashes: item
            .get(PREVIOUS_TOKEN_HASHES)
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default(),
        mail_withheld: item
            .get(crate::mail_budget::MAIL_WITHHELD)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
        pending_move: crate::moves::pending_move_of(item),
        checked_in: get_s(item, crate::check_in::CHECKED_IN_AT).map(|at| {
            opp_model::records::CheckedIn {
                at,
                by: get_s(item, crate::check_in::CHECKED_IN_BY).unwrap_or_default(),
            }
        }),
        check_in_code: get_s(item, crate::check_in::CHECK_IN_CODE),
        token_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_times_sort_as_text() {
        let a = arrival_time("2030-01-15T11:00:00.000009Z".parse().unwrap());
        let b = arrival_time("2030-01-15T11:00:00.00001Z".parse().unwrap());
        assert!(a < b, "{a} < {b}");
    }

    #[test]
    fn statuses_and_counters_round_trip() {
        for status in RegistrationStatus::ALL {
            let item = Item::from([("status".to_string(), status_value(status))]);
            assert_eq!(status_of(&item), Some(status));
        }
        assert_eq!(counter_of(RegistrationStatus::Waitlisted), "waitlisted");
    }
}
