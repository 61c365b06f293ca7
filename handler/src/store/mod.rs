//! The DynamoDB store: one table, keys `PK`/`SK`, and the `email-index` for erasure requests.
//! Every change that touches a seat is one TransactWriteItems, so counters always equal the items.
//!
//! | item         | PK                 | SK             |
//! |--------------|--------------------|----------------|
//! | meeting      | `MEETINGS`         | `MEETING#<id>` |
//! | registration | `MEETING#<id>`     | `REG#<email>`  |
//! | token        | `TOKEN#<sha256>`   | `TOKEN`        |

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::meetings::{MeetingRecord, MeetingStatus};
use crate::registration::Registration;
use opp_model::RegistrationStatus;

mod organise;
mod outcome;
pub use organise::{Expired, Removed};
use outcome::{Reasons, Slot, cancellation_reasons, is_throttled};

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
pub const EMAIL_INDEX: &str = "email-index";
pub const EMAIL_ATTRIBUTE: &str = "email";
pub const TTL_ATTRIBUTE: &str = "expires_at";
const MEETINGS_PK: &str = "MEETINGS";
const ATTEMPTS: u32 = 6;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Confirmed,
    Waitlisted { position: u32 },
}

#[derive(Debug, PartialEq, Eq)]
pub enum RegisterError {
    Duplicate,
    UnknownMeeting,
    Closed,
    Unavailable(String),
}

/// The store could not be reached or answered with an error; the message is for logs (no personal data).
#[derive(Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl From<Unavailable> for RegisterError {
    fn from(err: Unavailable) -> Self {
        RegisterError::Unavailable(err.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    pub meeting: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub sector: Option<String>,
    pub organisation: Option<String>,
    pub needs: Option<String>,
    pub status: RegistrationStatus,
    pub created_at: String,
    pub token_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled { promoted: bool },
    AlreadyCancelled,
}

/// How long a meeting's details are reused when registering (see [`Store::register`]).
const MEETING_CACHE_TTL: Duration = Duration::from_secs(30);

/// What a registration attempt writes: a seat or a waiting-list place, as a new item or over a cancelled one.
#[derive(Debug, Clone)]
struct Plan {
    confirmed: bool,
    /// The token hash of the cancelled registration this one replaces: its link is deleted with it.
    replaces_cancelled: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    meeting_cache: Arc<Mutex<HashMap<String, (MeetingRecord, Instant)>>>,
    /// Days registrations are kept after a meeting whose item has no retention date of its own.
    fallback_retention_days: u32,
}

/// The privacy statement's default, used only for meeting items synced without a retention date.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}
fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}
fn get_n(item: &Item, key: &str) -> Option<i64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// A status as the table stores it.
fn status_value(status: RegistrationStatus) -> AttributeValue {
    s(status.as_str())
}

/// A registration item's status (None when missing or not a status).
fn status_of(item: &Item) -> Option<RegistrationStatus> {
    get_s(item, "status")?.parse().ok()
}

/// The meeting item's counter of registrations with this status: named like the status itself.
fn counter_of(status: RegistrationStatus) -> &'static str {
    status.as_str()
}

fn meeting_sk(id: &str) -> String {
    format!("MEETING#{id}")
}
fn registration_pk(meeting: &str) -> String {
    format!("MEETING#{meeting}")
}
fn registration_sk(email: &str) -> String {
    format!("REG#{email}")
}
fn token_pk(hash: &str) -> String {
    format!("TOKEN#{hash}")
}

fn unavailable<E: std::fmt::Debug>(operation: &str, err: SdkError<E>) -> Unavailable {
    let kind = match &err {
        SdkError::DispatchFailure(_) => "the store could not be reached".to_string(),
        SdkError::TimeoutError(_) => "the store did not answer in time".to_string(),
        SdkError::ServiceError(service) => format!("the store refused: {:?}", service.err()),
        other => format!("{other:?}"),
    };
    Unavailable(format!("{operation}: {kind}"))
}

/// RFC 3339 in UTC with microseconds, so arrival order sorts as text.
pub fn arrival_time(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
            meeting_cache: Arc::default(),
            fallback_retention_days: DEFAULT_RETENTION_DAYS,
        }
    }

    /// Sets the retention for meeting items that lack `registration_expires_at` (the `RETENTION_DAYS`
    /// environment variable of the function; `opp-admin sync-meetings` normally sets the date per meeting).
    pub fn with_fallback_retention(mut self, days: u32) -> Self {
        self.fallback_retention_days = days;
        self
    }

    /// When a meeting's registrations are to be deleted (epoch seconds).
    fn retention_end(&self, meeting: &MeetingRecord) -> i64 {
        if meeting.expires_at > 0 {
            meeting.expires_at
        } else {
            meeting.over_at + i64::from(self.fallback_retention_days) * 86_400
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the table with the same design as `infra/template.yaml` (for the local stack and tests).
    pub async fn create_table(&self) -> Result<(), Unavailable> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
            Projection, ProjectionType, ScalarAttributeType,
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("complete key element")
        };
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("complete attribute definition")
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(EMAIL_INDEX)
            .key_schema(key(EMAIL_ATTRIBUTE, KeyType::Hash))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .build()
            .expect("complete index");
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute(PARTITION_KEY))
            .attribute_definitions(attribute(SORT_KEY))
            .attribute_definitions(attribute(EMAIL_ATTRIBUTE))
            .key_schema(key(PARTITION_KEY, KeyType::Hash))
            .key_schema(key(SORT_KEY, KeyType::Range))
            .global_secondary_indexes(index)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|err| unavailable("CreateTable", err))?;
        Ok(())
    }

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

    /// Stores a registration: confirmed while there is room, else on the waiting list. One transaction:
    /// the registration (no second one for this meeting and email), its token, and the meeting's counter.
    ///
    /// The first attempt assumes the common case (a new registration, a free seat) and reads nothing
    /// first, so it costs one round trip. When a condition fails, the transaction returns the items as
    /// they were (`ALL_OLD`), which tell what to try next: the waiting list when full, a seat when one
    /// came free, replacing a cancelled registration, or a final answer (duplicate, closed, unknown).
    pub async fn register(
        &self,
        registration: &Registration,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Seat, RegisterError> {
        let mut meeting = self.cached_meeting(&registration.meeting).await?;
        // The cached counters guess seat or waiting list; the transaction's conditions correct a stale guess.
        let mut plan = Plan {
            confirmed: meeting.as_ref().is_none_or(|m| m.confirmed < m.capacity),
            replaces_cancelled: None,
        };
        for attempt in 0..ATTEMPTS {
            let Some(known) = &meeting else {
                return Err(RegisterError::UnknownMeeting);
            };
            if known.status(now) != MeetingStatus::Open {
                return Err(RegisterError::Closed);
            }
            let created_at = arrival_time(now);
            let expires_at = self.retention_end(known);
            let (request, slots) = self.registration_transaction(
                registration,
                token_hash,
                now,
                &created_at,
                expires_at,
                &plan,
            )?;
            let err = match request.send().await {
                Ok(_) if plan.confirmed => return Ok(Seat::Confirmed),
                Ok(_) => {
                    let position = self
                        .waitlist_position(&registration.meeting, &registration.email, &created_at)
                        .await?;
                    return Ok(Seat::Waitlisted { position });
                }
                Err(err) => err,
            };
            let Some(reasons) = Reasons::of(&err, &slots) else {
                if is_throttled(&err) {
                    backoff(attempt).await;
                    continue;
                }
                return Err(unavailable("TransactWriteItems register", err).into());
            };
            if reasons.failed(Slot::Meeting) {
                // The meeting as it is now decides: gone, closed, or the seat count changed.
                let current = reasons.item(Slot::Meeting).and_then(meeting_from_item);
                let Some(current) = current else {
                    self.forget_meeting(&registration.meeting);
                    return Err(RegisterError::UnknownMeeting);
                };
                if current.status(now) != MeetingStatus::Open {
                    self.forget_meeting(&registration.meeting);
                    return Err(RegisterError::Closed);
                }
                plan.confirmed = current.confirmed < current.capacity;
                self.remember_meeting(&current);
                meeting = Some(current);
            }
            if reasons.failed(Slot::Registration) {
                let previous = reasons.item(Slot::Registration);
                match previous.and_then(status_of) {
                    Some(RegistrationStatus::Cancelled) => {
                        plan.replaces_cancelled =
                            previous.and_then(|item| get_s(item, "token_hash"));
                    }
                    Some(_) => return Err(RegisterError::Duplicate),
                    // Replaced a cancelled registration meanwhile, or it vanished: look again.
                    None => plan.replaces_cancelled = None,
                }
            }
            if !reasons.failed(Slot::Registration) && !reasons.failed(Slot::Meeting) {
                // A conflict with another transaction (or a token collision): wait a little, try again.
                backoff(attempt).await;
            }
        }
        Err(RegisterError::Unavailable(
            "TransactWriteItems register: still conflicting after retries".into(),
        ))
    }

    /// The writes of one registration, conditioned so that nothing is oversold or written twice, with the
    /// slot of each item in order (the answer is read through them).
    fn registration_transaction(
        &self,
        registration: &Registration,
        token_hash: &str,
        now: Timestamp,
        created_at: &str,
        expires_at: i64,
        plan: &Plan,
    ) -> Result<
        (
            aws_sdk_dynamodb::operation::transact_write_items::builders::TransactWriteItemsFluentBuilder,
            Vec<Slot>,
        ),
        Unavailable,
    >{
        let pk = registration_pk(&registration.meeting);
        let sk = registration_sk(&registration.email);
        let status = if plan.confirmed {
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
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        put = if let Some(old_token) = &plan.replaces_cancelled {
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
            (SORT_KEY.to_string(), s("TOKEN")),
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
        let seat_condition = if plan.confirmed {
            "confirmed < #capacity"
        } else {
            "confirmed >= #capacity"
        };
        let mut expression = format!("SET {counter} = {counter} + :one");
        if plan.replaces_cancelled.is_some() {
            expression.push_str(", cancelled = cancelled - :one");
        }
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
        if let Some(old_token) = &plan.replaces_cancelled {
            // The replaced registration's link would otherwise keep its address until the retention date.
            let old_link = Delete::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&token_pk(old_token)))
                .key(SORT_KEY, s("TOKEN"))
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

    /// A meeting's details for registering, from a short-lived cache: they change only when organisers
    /// sync, and the transaction's conditions check the parts that matter (window, seats) anyway.
    async fn cached_meeting(&self, id: &str) -> Result<Option<MeetingRecord>, Unavailable> {
        if let Ok(cache) = self.meeting_cache.lock()
            && let Some((meeting, read_at)) = cache.get(id)
            && read_at.elapsed() < MEETING_CACHE_TTL
        {
            return Ok(Some(meeting.clone()));
        }
        let meeting = self.meeting(id).await?;
        if let Some(meeting) = &meeting {
            self.remember_meeting(meeting);
        }
        Ok(meeting)
    }

    fn remember_meeting(&self, meeting: &MeetingRecord) {
        if let Ok(mut cache) = self.meeting_cache.lock() {
            cache.insert(meeting.id.clone(), (meeting.clone(), Instant::now()));
        }
    }

    fn forget_meeting(&self, id: &str) {
        if let Ok(mut cache) = self.meeting_cache.lock() {
            cache.remove(id);
        }
    }

    async fn registration_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, Unavailable> {
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

    /// The waitlisted registrations of a meeting in order of arrival: (SK, created_at).
    async fn waitlist(&self, meeting: &str) -> Result<Vec<(String, String)>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :reg)")
            .filter_expression("#status = :waitlisted")
            .projection_expression("#sk, created_at")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pk", s(&registration_pk(meeting)))
            .expression_attribute_values(":reg", s("REG#"))
            .expression_attribute_values(
                ":waitlisted",
                status_value(RegistrationStatus::Waitlisted),
            )
            .consistent_read(true);
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query waitlist", err))?;
        let mut waiting: Vec<(String, String)> = items
            .iter()
            .filter_map(|item| Some((get_s(item, SORT_KEY)?, get_s(item, "created_at")?)))
            .collect();
        waiting.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        Ok(waiting)
    }

    /// 1 for the first in line.
    pub async fn waitlist_position(
        &self,
        meeting: &str,
        email: &str,
        created_at: &str,
    ) -> Result<u32, Unavailable> {
        let sk = registration_sk(email);
        let sk = sk.as_str();
        let waiting = self.waitlist(meeting).await?;
        let ahead = waiting
            .iter()
            .filter(|(other_sk, other_at)| {
                (other_at.as_str(), other_sk.as_str()) < (created_at, sk)
            })
            .count();
        Ok(u32::try_from(ahead + 1).unwrap_or(u32::MAX))
    }

    /// Finds a registration by its token's hash. A token that does not match the registration is not found.
    pub async fn registration_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RegistrationRecord>, Unavailable> {
        let Some(pointer) = self
            .registration_item(&token_pk(token_hash), "TOKEN")
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
        let record = registration_from_item(&item);
        Ok(record.filter(|r| r.token_hash == token_hash))
    }

    /// Cancels the registration behind a token. A freed seat goes to the first on the waiting list, in the
    /// same transaction; the transaction also checks that the waiting list did not change meanwhile.
    pub async fn cancel(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<CancelOutcome>, Unavailable> {
        for attempt in 0..ATTEMPTS {
            let Some(registration) = self.registration_by_token(token_hash).await? else {
                return Ok(None);
            };
            if registration.status == RegistrationStatus::Cancelled {
                return Ok(Some(CancelOutcome::AlreadyCancelled));
            }
            let Some(meeting) = self.meeting(&registration.meeting).await? else {
                return Ok(None);
            };
            let pk = registration_pk(&registration.meeting);
            let was_confirmed = registration.status == RegistrationStatus::Confirmed;
            let waiting = if was_confirmed {
                self.waitlist(&registration.meeting).await?
            } else {
                Vec::new()
            };
            let promote = waiting.first().map(|(sk, _)| sk.clone());

            let cancel_registration = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&pk))
                .key(SORT_KEY, s(&registration_sk(&registration.email)))
                .update_expression("SET #status = :cancelled, cancelled_at = :at")
                .condition_expression("#status = :was AND token_hash = :hash")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(
                    ":cancelled",
                    status_value(RegistrationStatus::Cancelled),
                )
                .expression_attribute_values(":at", s(&arrival_time(now)))
                .expression_attribute_values(":was", status_value(registration.status))
                .expression_attribute_values(":hash", s(token_hash));
            let counters = match (was_confirmed, promote.is_some()) {
                (true, true) | (false, _) => {
                    "SET waitlisted = waitlisted - :one, cancelled = cancelled + :one"
                }
                (true, false) => "SET confirmed = confirmed - :one, cancelled = cancelled + :one",
            };
            let meeting_update = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(MEETINGS_PK))
                .key(SORT_KEY, s(&meeting_sk(&registration.meeting)))
                .update_expression(counters)
                .condition_expression("waitlisted = :seen")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":seen", n(meeting.waitlisted));
            let mut request = self
                .client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .update(cancel_registration.build().map_err(build_error)?)
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .update(meeting_update.build().map_err(build_error)?)
                        .build(),
                );
            if let Some(sk) = &promote {
                request = request.transact_items(self.promotion(&pk, sk, now)?);
            }
            match request.send().await {
                Ok(_) => {
                    return Ok(Some(CancelOutcome::Cancelled {
                        promoted: promote.is_some(),
                    }));
                }
                Err(err) if cancellation_reasons(&err).is_some() || is_throttled(&err) => {
                    backoff(attempt).await
                }
                Err(err) => return Err(unavailable("TransactWriteItems cancel", err)),
            }
        }
        Err(Unavailable(
            "TransactWriteItems cancel: still conflicting after retries".into(),
        ))
    }
}

impl Store {
    /// The update that gives a freed seat to a waitlisted registration (only if it is still waiting).
    fn promotion(
        &self,
        pk: &str,
        sk: &str,
        now: Timestamp,
    ) -> Result<TransactWriteItem, Unavailable> {
        let promotion = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .update_expression("SET #status = :confirmed, promoted_at = :at")
            .condition_expression("#status = :waitlisted")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":confirmed", status_value(RegistrationStatus::Confirmed))
            .expression_attribute_values(
                ":waitlisted",
                status_value(RegistrationStatus::Waitlisted),
            )
            .expression_attribute_values(":at", s(&arrival_time(now)));
        Ok(TransactWriteItem::builder()
            .update(promotion.build().map_err(build_error)?)
            .build())
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum PutMeetingError {
    CapacityBelowConfirmed { capacity: u32, confirmed: u32 },
    Unavailable(Unavailable),
}

/// Runs a query to the end, page by page.
async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, SdkError<aws_sdk_dynamodb::operation::query::QueryError>> {
    query_pages(query, &mut |_| {}).await
}

/// Like [`query_all`], telling `on_page` the number of items read so far after each page.
async fn query_pages(
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

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> Unavailable {
    Unavailable(format!("request could not be built: {err}"))
}

async fn backoff(attempt: u32) {
    // Full jitter on an exponential base keeps retries of concurrent writers apart.
    let base = 10u64 << attempt.min(6);
    let mut byte = [0u8; 1];
    let jitter = getrandom::fill(&mut byte)
        .map(|_| u64::from(byte[0]))
        .unwrap_or(128);
    tokio::time::sleep(Duration::from_millis(base * jitter / 255 + 1)).await;
}

fn meeting_from_item(item: &Item) -> Option<MeetingRecord> {
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
        venue_name: get_s(item, "venue_name").unwrap_or_default(),
        venue_address: get_s(item, "venue_address"),
        venue_postcode: get_s(item, "venue_postcode"),
        city: get_s(item, "city").unwrap_or_default(),
        ics_path: get_s(item, "ics_path").unwrap_or_default(),
        capacity: count("capacity"),
        opens_at: get_n(item, "opens_at"),
        closes_at: get_n(item, "closes_at")?,
        over_at: get_n(item, "over_at")?,
        expires_at: get_n(item, "registration_expires_at").unwrap_or(0),
        confirmed: count(counter_of(RegistrationStatus::Confirmed)),
        waitlisted: count(counter_of(RegistrationStatus::Waitlisted)),
        cancelled: count(counter_of(RegistrationStatus::Cancelled)),
    })
}

fn registration_from_item(item: &Item) -> Option<RegistrationRecord> {
    Some(RegistrationRecord {
        meeting: get_s(item, "meeting")?,
        email: get_s(item, "email")?,
        name: get_s(item, "name").unwrap_or_default(),
        role: get_s(item, "role").unwrap_or_default(),
        sector: get_s(item, "sector"),
        organisation: get_s(item, "organisation"),
        needs: get_s(item, "needs"),
        status: status_of(item)?,
        created_at: get_s(item, "created_at").unwrap_or_default(),
        token_hash: get_s(item, "token_hash").unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The infrastructure template is checked against the same file, so the table has one design.
    #[test]
    fn matches_the_shared_table_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../table-schema.json")).unwrap();
        assert_eq!(schema["partition_key"], PARTITION_KEY);
        assert_eq!(schema["sort_key"], SORT_KEY);
        assert_eq!(schema["email_index"]["name"], EMAIL_INDEX);
        assert_eq!(schema["email_index"]["partition_key"], EMAIL_ATTRIBUTE);
        assert_eq!(schema["ttl_attribute"], TTL_ATTRIBUTE);
    }

    #[test]
    fn arrival_times_sort_as_text() {
        let a = arrival_time("2030-01-15T11:00:00.000009Z".parse().unwrap());
        let b = arrival_time("2030-01-15T11:00:00.00001Z".parse().unwrap());
        assert!(a < b, "{a} < {b}");
    }
}
