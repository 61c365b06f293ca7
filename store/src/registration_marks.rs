//! Marks the mailer sets on registrations: `reminder_due` (the daily task asks for a reminder; the
//! stream then sends it) and `email_status` (SES reported a bounce or complaint, so an organiser can
//! phone the person). Neither changes a seat, so neither touches a counter, and neither sends mail itself.

use crate::outcome::condition_failed;
use aws_sdk_dynamodb::types::AttributeValue;
use opp_model::RegistrationStatus;

use super::codec::{get_s, s, status_value};
use super::keys::{PARTITION_KEY, REGISTRATION_SK_PREFIX, SORT_KEY, registration_pk};
use super::read::query_all;
use super::{Store, Unavailable, unavailable};

/// The attribute the daily reminder task sets (the date it did).
pub const REMINDER_DUE: &str = "reminder_due";
/// The attribute that holds a bounce or complaint: `bounced` or `complained`.
pub const EMAIL_STATUS: &str = "email_status";

impl Store {
    /// Marks every confirmed registration of `meeting` that has no reminder yet; how many were marked.
    /// One Query of the meeting's partition, one conditional update per person.
    pub async fn mark_reminders_due(
        &self,
        meeting: &str,
        today: &str,
    ) -> Result<usize, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :reg)")
            .filter_expression("#status = :confirmed AND attribute_not_exists(#due)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#due", REMINDER_DUE)
            .expression_attribute_values(":pk", s(&registration_pk(meeting)))
            .expression_attribute_values(":reg", s(REGISTRATION_SK_PREFIX))
            .expression_attribute_values(":confirmed", status_value(RegistrationStatus::Confirmed))
            .projection_expression("#pk, #sk");
        let keys = query_all(query)
            .await
            .map_err(|err| unavailable("Query reminders", err))?;
        let mut marked = 0;
        for key in keys {
            let (Some(pk), Some(sk)) = (get_s(&key, PARTITION_KEY), get_s(&key, SORT_KEY)) else {
                continue;
            };
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&pk))
                .key(SORT_KEY, s(&sk))
                .update_expression("SET #due = :today")
                // Cancelled meanwhile, or marked by an overlapping run: nothing to do.
                .condition_expression("#status = :confirmed AND attribute_not_exists(#due)")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#due", REMINDER_DUE)
                .expression_attribute_values(
                    ":confirmed",
                    status_value(RegistrationStatus::Confirmed),
                )
                .expression_attribute_values(":today", s(today))
                .send()
                .await;
            match result {
                Ok(_) => marked += 1,
                Err(err) if condition_failed(&err) => {}
                Err(err) => return Err(unavailable("UpdateItem reminder", err)),
            }
        }
        Ok(marked)
    }

    /// Sets `email_status` on every registration of `email`; how many.
    pub async fn mark_email_status(&self, email: &str, status: &str) -> Result<usize, Unavailable> {
        let registrations = self.registrations_of(email).await?;
        let mut marked = 0;
        for registration in registrations {
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&registration_pk(&registration.meeting)))
                .key(
                    SORT_KEY,
                    s(&super::keys::registration_sk(&registration.email)),
                )
                .update_expression("SET #mail = :status")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#mail", EMAIL_STATUS)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":status", AttributeValue::S(status.into()))
                .send()
                .await;
            match result {
                Ok(_) => marked += 1,
                Err(err) if condition_failed(&err) => {}
                Err(err) => return Err(unavailable("UpdateItem email status", err)),
            }
        }
        Ok(marked)
    }
}
