//! Reading whole meetings and addresses for organisers: a meeting's registrations page by page, and every
//! registration of one address through the email index.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;

use super::codec::{get_s, registration_from_item, s, status_of};
use super::keys::{EMAIL_ATTRIBUTE, EMAIL_INDEX, PARTITION_KEY, REGISTRATION_SK_PREFIX, SORT_KEY};
use super::read::{query_all, query_pages};
use super::{RegistrationRecord, Store, Unavailable, unavailable};
use opp_model::RegistrationStatus;

/// Registrations per Query page when reading a whole meeting: small enough for a steady progress bar.
const REGISTRATION_PAGE: i32 = 1000;

/// One meeting's activity, as the back office's overview shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeetingActivity {
    pub registered_since: u32,
    /// Seats checked in at the door.
    pub checked_in: u32,
}

impl Store {
    /// Asks for the table's description: the cheapest call that tells "unreachable", "no credentials" and
    /// "no such table" apart (the raw error is for the caller to classify).
    pub async fn describe_table(&self) -> Result<(), SdkError<DescribeTableError>> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map(|_| ())
    }

    /// A meeting's registrations (every status) in order of arrival. `on_page` hears the running count.
    pub async fn registrations(
        &self,
        meeting: &str,
        on_page: &mut (dyn FnMut(usize) + Send),
    ) -> Result<Vec<RegistrationRecord>, Unavailable> {
        let query = self.registrations_query(meeting).limit(REGISTRATION_PAGE);
        let items = query_pages(query, on_page)
            .await
            .map_err(|err| unavailable("Query registrations", err))?;
        let mut registrations: Vec<RegistrationRecord> =
            items.iter().filter_map(registration_from_item).collect();
        registrations.sort_by(|a, b| (&a.created_at, &a.email).cmp(&(&b.created_at, &b.email)));
        Ok(registrations)
    }

    /// What the back office's overview counts of one meeting: the registrations that arrived at or after
    /// `since` (RFC 3339, as `created_at`) and the seats checked in at the door. One Query of three small
    /// attributes per registration, paged.
    pub async fn meeting_activity(
        &self,
        meeting: &str,
        since: &str,
    ) -> Result<MeetingActivity, Unavailable> {
        let query = self
            .registrations_query(meeting)
            .projection_expression("created_at, #status, #at")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#at", crate::check_in::CHECKED_IN_AT);
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query meeting activity", err))?;
        let mut activity = MeetingActivity::default();
        for item in &items {
            if get_s(item, "created_at").is_some_and(|at| at.as_str() >= since) {
                activity.registered_since += 1;
            }
            if item.contains_key(crate::check_in::CHECKED_IN_AT)
                && status_of(item) == Some(RegistrationStatus::Confirmed)
            {
                activity.checked_in += 1;
            }
        }
        Ok(activity)
    }

    /// Every registration of one email address, across meetings, found through the email index.
    pub async fn registrations_of(
        &self,
        email: &str,
    ) -> Result<Vec<RegistrationRecord>, Unavailable> {
        let mut found = Vec::new();
        for (pk, sk) in self.email_index_keys(email).await? {
            // Token items and link requests carry the address too; the registration item is the one to read.
            if !sk.starts_with(REGISTRATION_SK_PREFIX) {
                continue;
            }
            if let Some(item) = self.registration_item(&pk, &sk).await?
                && let Some(record) = registration_from_item(&item)
            {
                found.push(record);
            }
        }
        found.sort_by(|a, b| (&a.created_at, &a.meeting).cmp(&(&b.created_at, &b.meeting)));
        Ok(found)
    }

    /// The keys (`PK`, `SK`) of every item holding `email`, through the email index (keys only).
    pub(super) async fn email_index_keys(
        &self,
        email: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(EMAIL_INDEX)
            .key_condition_expression("#email = :email")
            .expression_attribute_names("#email", EMAIL_ATTRIBUTE)
            .expression_attribute_values(":email", s(email));
        let keys = query_all(query)
            .await
            .map_err(|err| unavailable("Query email index", err))?;
        Ok(keys
            .iter()
            .filter_map(|key| Some((get_s(key, PARTITION_KEY)?, get_s(key, SORT_KEY)?)))
            .collect())
    }

    /// [`Store::email_index_keys`] of one kind of item: those whose partition key starts with `prefix`.
    pub(super) async fn email_index_keys_under(
        &self,
        email: &str,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        Ok(self
            .email_index_keys(email)
            .await?
            .into_iter()
            .filter(|(pk, _)| pk.starts_with(prefix))
            .collect())
    }
}
