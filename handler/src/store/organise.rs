//! What organisers do to the table (`opp-admin`): read a meeting's registrations page by page, find an address
//! through the email index, and remove registrations (erasure, retention) with the counters kept equal to the items.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use jiff::Timestamp;

use super::codec::{Item, counter_of, get_s, n, registration_from_item, s, status_value};
use super::keys::{
    EMAIL_ATTRIBUTE, EMAIL_INDEX, MEETINGS_PK, PARTITION_KEY, REGISTRATION_SK_PREFIX,
    RegistrationPart, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE, meeting_sk, registration_parts,
    registration_pk, registration_sk,
};
use super::outcome::{cancellation_reasons, is_throttled};
use super::read::{query_all, query_pages};
use super::retry::{ATTEMPTS, backoff};
use super::{RegistrationRecord, Store, Unavailable, build_error, unavailable};
use opp_model::RegistrationStatus;

/// Registrations per Query page when reading a whole meeting: small enough for a steady progress bar.
const REGISTRATION_PAGE: i32 = 1000;

/// What [`Store::remove_registration`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub registration: RegistrationRecord,
    /// The email address of the waitlisted registration that got the freed seat.
    pub promoted: Option<String>,
}

/// An item whose retention period has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expired {
    Registration {
        meeting: String,
        email: String,
    },
    /// A cancellation token whose registration is already gone.
    Token {
        key: String,
    },
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

    /// Deletes a registration and its token in one transaction with the meeting's counters. When it held a
    /// seat and `promote` is set, the first on the waiting list gets that seat in the same step.
    /// `None` when there is no such registration.
    pub async fn remove_registration(
        &self,
        meeting_id: &str,
        email: &str,
        promote: bool,
        now: Timestamp,
    ) -> Result<Option<Removed>, Unavailable> {
        let pk = registration_pk(meeting_id);
        let sk = registration_sk(email);
        for attempt in 0..ATTEMPTS {
            let Some(item) = self.registration_item(&pk, &sk).await? else {
                return Ok(None);
            };
            let Some(registration) = registration_from_item(&item) else {
                return Err(Unavailable(format!(
                    "registration item {pk} / REG#… lacks its meeting, email or status"
                )));
            };
            let meeting = self.meeting(meeting_id).await?;
            let held_seat = registration.status == RegistrationStatus::Confirmed;
            let waiting = match &meeting {
                Some(_) if held_seat && promote => self.waitlist(meeting_id).await?,
                _ => Vec::new(),
            };
            let promoted_sk = waiting.first().cloned();

            // Every item of the registration goes (keys::registration_parts); the registration itself only
            // while it is as read.
            let mut items = Vec::new();
            for (part, part_pk, part_sk) in
                registration_parts(meeting_id, email, &registration.token_hashes())
            {
                let mut delete = Delete::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(&part_pk))
                    .key(SORT_KEY, s(&part_sk));
                if part == RegistrationPart::Registration {
                    delete = delete
                        .condition_expression("#status = :was")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":was", status_value(registration.status));
                }
                items.push(
                    TransactWriteItem::builder()
                        .delete(delete.build().map_err(build_error)?)
                        .build(),
                );
            }
            if let Some(meeting) = &meeting {
                let counter = match (registration.status, promoted_sk.is_some()) {
                    // The promoted registration takes over the seat: one fewer waiting.
                    (RegistrationStatus::Confirmed, true) => {
                        counter_of(RegistrationStatus::Waitlisted)
                    }
                    (status, _) => counter_of(status),
                };
                let mut expression = format!("SET {counter} = {counter} - :one");
                let uses_zero =
                    promoted_sk.is_some() || registration.status == RegistrationStatus::Waitlisted;
                if promoted_sk.is_some() {
                    expression.push_str(
                        ", waitlist_served = if_not_exists(waitlist_served, :zero) + :one",
                    );
                } else if registration.status == RegistrationStatus::Waitlisted {
                    expression
                        .push_str(", waitlist_left = if_not_exists(waitlist_left, :zero) + :one");
                }
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(MEETINGS_PK))
                    .key(SORT_KEY, s(&meeting_sk(meeting_id)))
                    .update_expression(expression)
                    .condition_expression(format!("waitlisted = :seen AND {counter} >= :one"))
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":seen", n(meeting.waitlisted));
                if uses_zero {
                    update = update.expression_attribute_values(":zero", n(0));
                }
                items.push(
                    TransactWriteItem::builder()
                        .update(update.build().map_err(build_error)?)
                        .build(),
                );
            }
            if let Some(promoted) = &promoted_sk {
                items.push(self.promotion(&pk, promoted, now)?);
            }
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => {
                    return Ok(Some(Removed {
                        registration,
                        promoted: promoted_sk.and_then(|sk| {
                            sk.strip_prefix(REGISTRATION_SK_PREFIX).map(str::to_string)
                        }),
                    }));
                }
                // Someone registered, cancelled or was promoted meanwhile: read again.
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {
                    backoff(attempt).await
                }
                Err(err) => return Err(unavailable("TransactWriteItems remove", err)),
            }
        }
        Err(Unavailable(
            "TransactWriteItems remove: still conflicting after retries".into(),
        ))
    }

    /// Registrations and orphaned tokens whose `expires_at` lies before `now`. A Scan, because retention
    /// crosses every meeting; it reads keys and a few attributes only.
    pub async fn expired(&self, now: Timestamp) -> Result<Vec<Expired>, Unavailable> {
        let mut found = Vec::new();
        let mut tokens = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#ttl < :now")
                .projection_expression("#pk, #sk, #type, meeting, email")
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_names("#type", "type")
                .expression_attribute_values(":now", n(now.as_second()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| unavailable("Scan expired", err))?;
            for item in output.items() {
                match (
                    get_s(item, "type").as_deref(),
                    get_s(item, "meeting"),
                    get_s(item, "email"),
                ) {
                    (Some("registration"), Some(meeting), Some(email)) => {
                        found.push(Expired::Registration { meeting, email })
                    }
                    (Some("token"), meeting, email) => {
                        if let Some(key) = get_s(item, PARTITION_KEY) {
                            tokens.push((meeting, email, key));
                        }
                    }
                    _ => {}
                }
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        // Removing a registration removes its token too: list only the tokens left without one.
        for (meeting, email, key) in tokens {
            let owned = found.iter().any(|e| {
                matches!(e, Expired::Registration { meeting: m, email: a }
                    if Some(m) == meeting.as_ref() && Some(a) == email.as_ref())
            });
            if !owned {
                found.push(Expired::Token { key });
            }
        }
        Ok(found)
    }

    /// Deletes a token item (after its registration is gone).
    pub async fn delete_token(&self, key: &str) -> Result<(), Unavailable> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(key))
            .key(SORT_KEY, s(TOKEN_SK))
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem token", err))?;
        Ok(())
    }
}
