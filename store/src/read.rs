//! Reading the table: meetings, a registration by its link, the waiting list, and paginated queries.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use super::codec::{
    Item, WAITLIST_TICKET, get_n, get_s, meeting_from_item, registration_from_item, s, status_value,
};
use super::keys::{
    MEETINGS_PK, PARTITION_KEY, REGISTRATION_SK_PREFIX, SORT_KEY, TOKEN_SK, meeting_sk,
    registration_pk, registration_sk, token_pk,
};
use super::{RegistrationRecord, Store, Unavailable, unavailable};
use opp_model::RegistrationStatus;
use opp_model::records::MeetingRecord;

/// What the back office shows of a registration beyond its record: moments of its life and the
/// organisers' notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationHistory {
    pub cancelled_at: Option<String>,
    pub email_changed_at: Option<String>,
    /// Oldest first.
    pub notes: Vec<crate::notes::Note>,
}

impl Store {
    pub async fn meeting(&self, id: &str) -> Result<Option<MeetingRecord>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(MEETINGS_PK))
            .key(SORT_KEY, s(&meeting_sk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem meeting", err))?;
        Ok(output.item().and_then(meeting_from_item))
    }

    /// Every meeting item, sorted by date.
    pub async fn meetings(&self) -> Result<Vec<MeetingRecord>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":pk", s(MEETINGS_PK));
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query meetings", err))?;
        let mut meetings: Vec<MeetingRecord> = items.iter().filter_map(meeting_from_item).collect();
        meetings.sort_by(|a, b| (&a.date, a.closes_at, &a.id).cmp(&(&b.date, b.closes_at, &b.id)));
        Ok(meetings)
    }

    pub(super) async fn registration_item(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<Item>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem registration", err))?;
        Ok(output.item().cloned())
    }

    /// The Query for a meeting's registration items (its partition holds nothing else but them).
    pub(super) fn registrations_query(&self, meeting: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :reg)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":pk", s(&registration_pk(meeting)))
            .expression_attribute_values(":reg", s(REGISTRATION_SK_PREFIX))
    }

    /// The waitlisted registrations of a meeting in ticket order: their sort keys. Registrations from
    /// before tickets have none and come first, in order of arrival.
    pub(super) async fn waitlist(&self, meeting: &str) -> Result<Vec<String>, Unavailable> {
        let query = self
            .registrations_query(meeting)
            .filter_expression("#status = :waitlisted")
            .projection_expression("#sk, created_at, waitlist_ticket")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":waitlisted",
                status_value(RegistrationStatus::Waitlisted),
            )
            .consistent_read(true);
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query waitlist", err))?;
        let mut waiting: Vec<(i64, String, String)> = items
            .iter()
            .filter_map(|item| {
                Some((
                    get_n(item, WAITLIST_TICKET).unwrap_or(0),
                    get_s(item, "created_at")?,
                    get_s(item, SORT_KEY)?,
                ))
            })
            .collect();
        waiting.sort();
        Ok(waiting.into_iter().map(|(_, _, sk)| sk).collect())
    }

    /// The registration of `email` for `meeting` as the table holds it now (a consistent read); None when
    /// there is none (erased, purged, moved to another address).
    pub async fn registration_of(
        &self,
        meeting: &str,
        email: &str,
    ) -> Result<Option<RegistrationRecord>, Unavailable> {
        Ok(self
            .registration_item(&registration_pk(meeting), &registration_sk(email))
            .await?
            .as_ref()
            .and_then(registration_from_item))
    }

    /// When the registration of `email` for `meeting` was last cancelled and last moved to its address
    /// (RFC 3339; None when never), and its notes: one read.
    pub async fn registration_history(
        &self,
        meeting: &str,
        email: &str,
    ) -> Result<RegistrationHistory, Unavailable> {
        let Some(item) = self
            .registration_item(&registration_pk(meeting), &registration_sk(email))
            .await?
        else {
            return Ok(RegistrationHistory::default());
        };
        Ok(RegistrationHistory {
            cancelled_at: get_s(&item, "cancelled_at"),
            email_changed_at: get_s(&item, crate::EMAIL_CHANGED_AT),
            notes: crate::notes::notes_of(&item),
        })
    }

    /// Finds a registration by its token's hash. A token that is none of the registration's (a replaced
    /// registration's, a revoked one) is not found.
    pub async fn registration_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RegistrationRecord>, Unavailable> {
        Ok(self
            .registration_by_token_with_item(token_hash)
            .await?
            .map(|(record, _)| record))
    }

    /// [`Store::registration_by_token`], with the item as read (for a change that needs attributes the
    /// record does not carry).
    pub(super) async fn registration_by_token_with_item(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RegistrationRecord, Item)>, Unavailable> {
        let Some(pointer) = self
            .registration_item(&token_pk(token_hash), TOKEN_SK)
            .await?
        else {
            return Ok(None);
        };
        let (Some(meeting), Some(email)) = (get_s(&pointer, "meeting"), get_s(&pointer, "email"))
        else {
            return Ok(None);
        };
        let Some(item) = self
            .registration_item(&registration_pk(&meeting), &registration_sk(&email))
            .await?
        else {
            return Ok(None);
        };
        Ok(registration_from_item(&item)
            .filter(|r| r.has_token(token_hash))
            .map(|record| (record, item)))
    }
}

/// Runs a query to the end, page by page.
pub(super) async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, SdkError<aws_sdk_dynamodb::operation::query::QueryError>> {
    query_pages(query, &mut |_| {}).await
}

/// Like [`query_all`], telling `on_page` the number of items read so far after each page.
pub(super) async fn query_pages(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    on_page: &mut (dyn FnMut(usize) + Send),
) -> Result<Vec<Item>, SdkError<aws_sdk_dynamodb::operation::query::QueryError>> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let output = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await?;
        items.extend(output.items().iter().cloned());
        on_page(items.len());
        match output.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return Ok(items),
        }
    }
}
