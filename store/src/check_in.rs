//! Checking in at the door (the back office): one conditional write on the registration item, so the same
//! person checked in twice (two doors, a double tap) counts once, and only a seat can be checked in. The
//! count "binnen" is counted from the items (`Store::meeting_activity`; no counter to keep equal). An undo removes only
//! the check-in it made. The mailer sends nothing for a check-in (the status stays as it was).

use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{arrival_time, get_s, registration_from_item, s, status_value};
use super::keys::{PARTITION_KEY, SORT_KEY, registration_pk, registration_sk};
use super::{Store, Unavailable, unavailable};
use crate::outcome::condition_failed;

/// When the person was checked in (RFC 3339), and by whom (the organiser's name).
pub const CHECKED_IN_AT: &str = "checked_in_at";
pub const CHECKED_IN_BY: &str = "checked_in_by";
/// The code the seat shows at the door (`opp_model::check_in_code`), given when registering; the key of the
/// sparse `check-in-index`, so a scanned code finds its registration in any meeting.
pub const CHECK_IN_CODE: &str = "check_in_code";

/// What a check-in came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckIn {
    /// Checked in now, at this moment (the undo names it).
    Welcome { at: String },
    /// In already, since then.
    AlreadyIn { at: String },
    /// On the waiting list: no seat to check in to.
    Waitlisted,
    /// Cancelled.
    Cancelled,
    /// Not there (erased, moved meanwhile).
    Gone,
}

impl Store {
    /// Checks in the registration of `email` for `meeting` (still the one with `registration_id`).
    pub async fn check_in(
        &self,
        meeting: &str,
        email: &str,
        registration_id: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<CheckIn, Unavailable> {
        let at = arrival_time(now);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(meeting)))
            .key(SORT_KEY, s(&registration_sk(email)))
            .update_expression("SET #at = :at, #by = :by")
            .condition_expression(
                "attribute_exists(PK) AND registration_id = :id AND #status = :confirmed AND attribute_not_exists(#at)",
            )
            .expression_attribute_names("#at", CHECKED_IN_AT)
            .expression_attribute_names("#by", CHECKED_IN_BY)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(":by", s(by))
            .expression_attribute_values(":id", s(registration_id))
            .expression_attribute_values(":confirmed", status_value(RegistrationStatus::Confirmed))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(CheckIn::Welcome { at }),
            Err(err) if condition_failed(&err) => {
                let old = err
                    .as_service_error()
                    .and_then(|e| match e {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item().cloned(),
                        _ => None,
                    });
                Ok(match old {
                    Some(item)
                        if get_s(&item, "registration_id").as_deref() == Some(registration_id) =>
                    {
                        match (
                            registration_from_item(&item).map(|r| r.status),
                            get_s(&item, CHECKED_IN_AT),
                        ) {
                            (_, Some(at)) => CheckIn::AlreadyIn { at },
                            (Some(RegistrationStatus::Waitlisted), None) => CheckIn::Waitlisted,
                            (Some(RegistrationStatus::Cancelled), None) => CheckIn::Cancelled,
                            _ => CheckIn::Gone,
                        }
                    }
                    _ => CheckIn::Gone,
                })
            }
            Err(err) => Err(unavailable("UpdateItem check-in", err)),
        }
    }

    /// Undoes the check-in made at `at` (and only that one). False when there is none to undo.
    pub async fn undo_check_in(
        &self,
        meeting: &str,
        email: &str,
        registration_id: &str,
        at: &str,
    ) -> Result<bool, Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(meeting)))
            .key(SORT_KEY, s(&registration_sk(email)))
            .update_expression("REMOVE #at, #by")
            .condition_expression("registration_id = :id AND #at = :at")
            .expression_attribute_names("#at", CHECKED_IN_AT)
            .expression_attribute_names("#by", CHECKED_IN_BY)
            .expression_attribute_values(":id", s(registration_id))
            .expression_attribute_values(":at", s(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem undo check-in", err)),
        }
    }
}

/// Where a scanned code points: the meeting and the address of its registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeOwner {
    pub meeting: String,
    pub email: String,
}

impl Store {
    /// The registration whose seat shows `code`, in any meeting (the sparse `check-in-index`); None for a
    /// code nobody has (erased, purged, mistyped).
    pub async fn code_owner(&self, code: &str) -> Result<Option<CodeOwner>, Unavailable> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(crate::keys::CHECK_IN_INDEX)
            .key_condition_expression("#code = :code")
            .expression_attribute_names("#code", CHECK_IN_CODE)
            .expression_attribute_values(":code", s(code))
            .limit(2)
            .send()
            .await
            .map_err(|err| unavailable("Query check-in-index", err))?;
        Ok(output.items().iter().find_map(|item| {
            let meeting = get_s(item, PARTITION_KEY)?
                .strip_prefix(&registration_pk(""))?
                .to_string();
            let email = get_s(item, SORT_KEY)?
                .strip_prefix(&registration_sk(""))?
                .to_string();
            Some(CodeOwner { meeting, email })
        }))
    }
}
