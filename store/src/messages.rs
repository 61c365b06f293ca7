//! Organisers' messages to a meeting's registrants (the back office): the message item (the text, the
//! group it went to, who wrote it, and the mailer's progress), the limit of one message per group per hour,
//! and the mark on each recipient's registration (`message_due`) that the stream turns into one e-mail, the
//! way the reminder task's mark does. The mail ledger (kind `message`, version the message's id) keeps each
//! recipient's mail to once.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{Item, get_n, get_s, n, s, status_value};
use super::keys::{PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, registration_pk, registration_sk};
use super::read::query_all;
use super::{Store, Unavailable, unavailable};
use crate::outcome::condition_failed;

/// The mark on a recipient's registration: the id of the message to send it.
pub const MESSAGE_DUE: &str = "message_due";
/// At most one message per group of a meeting in this many seconds.
pub const MESSAGE_INTERVAL: i64 = 3600;
/// Failure reasons kept on a message item (the first ones; the count keeps counting).
const FAILURES_KEPT: usize = 20;

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Everyone with a seat.
    Seats,
    /// Everyone on the waiting list.
    Waitlist,
    /// Those who were checked in at the door (after the meeting).
    CheckedIn,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Seats, Group::Waitlist, Group::CheckedIn];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Seats => "plek",
            Group::Waitlist => "wachtlijst",
            Group::CheckedIn => "binnen",
        }
    }

    pub fn parse(text: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == text)
    }

    /// Whether a registration belongs to the group.
    pub fn includes(self, registration: &crate::RegistrationRecord) -> bool {
        match self {
            Group::Seats => registration.status == RegistrationStatus::Confirmed,
            Group::Waitlist => registration.status == RegistrationStatus::Waitlisted,
            Group::CheckedIn => {
                registration.status == RegistrationStatus::Confirmed
                    && registration.checked_in.is_some()
            }
        }
    }

    fn status(self) -> RegistrationStatus {
        match self {
            Group::Waitlist => RegistrationStatus::Waitlisted,
            Group::Seats | Group::CheckedIn => RegistrationStatus::Confirmed,
        }
    }
}

/// A message and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Sorts by time: `<yyyymmddThhmmssZ>-<random>`.
    pub id: String,
    pub meeting: String,
    pub group: Group,
    pub subject: String,
    pub body: String,
    /// The organiser (the provider's name) and when (RFC 3339).
    pub by: String,
    pub created_at: String,
    /// Registrations marked to get it, and those left out because their address bounced or complained.
    pub recipients: u32,
    pub skipped_bounced: u32,
    /// What the mailer did: sent, failed (with the first reasons), or nothing because the registration was
    /// gone (erased, cancelled or moved before its turn).
    pub sent: u32,
    pub failed: u32,
    pub skipped_gone: u32,
    pub failures: Vec<String>,
}

impl Message {
    /// A new message's id: the time it was made, and 32 random bits.
    pub fn new_id(now: Timestamp) -> Option<String> {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).ok()?;
        Some(format!(
            "{}-{}",
            now.strftime("%Y%m%dT%H%M%SZ"),
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ))
    }

    /// Recipients the mailer has not come to yet.
    pub fn waiting(&self) -> u32 {
        self.recipients
            .saturating_sub(self.sent + self.failed + self.skipped_gone)
    }
}

/// What the mailer reports for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    Failed(String),
    Gone,
}

fn messages_pk(meeting: &str) -> String {
    format!("MESSAGES#{meeting}")
}

fn message_sk(id: &str) -> String {
    format!("MESSAGE#{id}")
}

fn rate_sk(group: Group) -> String {
    format!("RATE#{}", group.as_str())
}

impl Store {
    /// Takes the hour's slot of `group` for `meeting`: false when a message went to that group less than
    /// [`MESSAGE_INTERVAL`] ago. One conditional write, so two organisers at once send one message.
    pub async fn take_message_slot(
        &self,
        meeting: &str,
        group: Group,
        now: Timestamp,
        expires_at: i64,
    ) -> Result<bool, Unavailable> {
        let now = now.as_second();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&messages_pk(meeting)))
            .item(SORT_KEY, s(&rate_sk(group)))
            .item("type", s("message_rate"))
            .item("last_sent_at", n(now))
            .item(TTL_ATTRIBUTE, n(expires_at))
            .condition_expression("attribute_not_exists(PK) OR last_sent_at <= :earlier")
            .expression_attribute_values(":earlier", n(now - MESSAGE_INTERVAL))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("PutItem message slot", err)),
        }
    }

    /// Stores a new message (before any recipient is marked, so the mailer always finds its text).
    pub async fn put_message(&self, message: &Message, expires_at: i64) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&messages_pk(&message.meeting)))
            .item(SORT_KEY, s(&message_sk(&message.id)))
            .item("type", s("message"))
            .item("id", s(&message.id))
            .item("meeting", s(&message.meeting))
            .item("group", s(message.group.as_str()))
            .item("subject", s(&message.subject))
            .item("body", s(&message.body))
            .item("by", s(&message.by))
            .item("created_at", s(&message.created_at))
            .item("recipients", n(message.recipients))
            .item("skipped_bounced", n(message.skipped_bounced))
            .item("sent", n(0))
            .item("failed", n(0))
            .item("skipped_gone", n(0))
            .item(TTL_ATTRIBUTE, n(expires_at))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(|err| unavailable("PutItem message", err))?;
        Ok(())
    }

    /// Sets how many recipients were marked and how many left out (after marking them).
    pub async fn set_message_recipients(
        &self,
        meeting: &str,
        id: &str,
        recipients: u32,
        skipped_bounced: u32,
    ) -> Result<(), Unavailable> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&messages_pk(meeting)))
            .key(SORT_KEY, s(&message_sk(id)))
            .update_expression("SET recipients = :r, skipped_bounced = :b")
            .expression_attribute_values(":r", n(recipients))
            .expression_attribute_values(":b", n(skipped_bounced))
            .send()
            .await
            .map_err(|err| unavailable("UpdateItem message recipients", err))?;
        Ok(())
    }

    /// Marks one recipient: its registration (still the one read, still in the group) gets `message_due`.
    /// False when it changed meanwhile (cancelled, moved, erased): then it gets nothing.
    pub async fn mark_message_due(
        &self,
        registration: &crate::RegistrationRecord,
        group: Group,
        message_id: &str,
    ) -> Result<bool, Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(&registration.meeting)))
            .key(SORT_KEY, s(&registration_sk(&registration.email)))
            .update_expression("SET #due = :message")
            .condition_expression("registration_id = :id AND #status = :status")
            .expression_attribute_names("#due", MESSAGE_DUE)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":message", s(message_id))
            .expression_attribute_values(":id", s(&registration.registration_id))
            .expression_attribute_values(":status", status_value(group.status()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem message due", err)),
        }
    }

    /// One message of a meeting (a consistent read).
    pub async fn message(&self, meeting: &str, id: &str) -> Result<Option<Message>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&messages_pk(meeting)))
            .key(SORT_KEY, s(&message_sk(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem message", err))?;
        Ok(output.item().and_then(message_from_item))
    }

    /// A meeting's messages, newest first.
    pub async fn messages_of(&self, meeting: &str) -> Result<Vec<Message>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :message)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":pk", s(&messages_pk(meeting)))
            .expression_attribute_values(":message", s("MESSAGE#"))
            .scan_index_forward(false);
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query messages", err))?;
        Ok(items.iter().filter_map(message_from_item).collect())
    }

    /// The mailer's report for one recipient, counted on the message (a failure's reason kept while
    /// there are few).
    pub async fn count_delivery(
        &self,
        meeting: &str,
        id: &str,
        delivery: &Delivery,
    ) -> Result<(), Unavailable> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&messages_pk(meeting)))
            .key(SORT_KEY, s(&message_sk(id)))
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":one", n(1));
        let update = match delivery {
            Delivery::Sent => update.update_expression("ADD sent :one"),
            Delivery::Gone => update.update_expression("ADD skipped_gone :one"),
            Delivery::Failed(reason) => update
                .update_expression("ADD failed :one SET failures = list_append(if_not_exists(failures, :none), :reason)")
                .condition_expression("attribute_exists(PK) AND (attribute_not_exists(failures) OR size(failures) < :kept)")
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(":reason", AttributeValue::L(vec![s(reason)]))
                .expression_attribute_values(":kept", n(FAILURES_KEPT as i64)),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if condition_failed(&err) => {
                if matches!(delivery, Delivery::Failed(_)) {
                    // Enough reasons kept: count only.
                    self.client
                        .update_item()
                        .table_name(&self.table)
                        .key(PARTITION_KEY, s(&messages_pk(meeting)))
                        .key(SORT_KEY, s(&message_sk(id)))
                        .update_expression("ADD failed :one")
                        .condition_expression("attribute_exists(PK)")
                        .expression_attribute_values(":one", n(1))
                        .send()
                        .await
                        .map(|_| ())
                        .or_else(|err| {
                            if condition_failed(&err) {
                                Ok(())
                            } else {
                                Err(unavailable("UpdateItem message failed", err))
                            }
                        })
                } else {
                    // The message is gone (purged with its meeting): nothing to count on.
                    Ok(())
                }
            }
            Err(err) => Err(unavailable("UpdateItem message delivery", err)),
        }
    }
}

fn message_from_item(item: &Item) -> Option<Message> {
    let count = |name: &str| {
        get_n(item, name)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    Some(Message {
        id: get_s(item, "id")?,
        meeting: get_s(item, "meeting")?,
        group: Group::parse(&get_s(item, "group")?)?,
        subject: get_s(item, "subject").unwrap_or_default(),
        body: get_s(item, "body").unwrap_or_default(),
        by: get_s(item, "by").unwrap_or_default(),
        created_at: get_s(item, "created_at").unwrap_or_default(),
        recipients: count("recipients"),
        skipped_bounced: count("skipped_bounced"),
        sent: count("sent"),
        failed: count("failed"),
        skipped_gone: count("skipped_gone"),
        failures: item
            .get("failures")
            .and_then(|v| v.as_l().ok())
            .map(|list| list.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_have_one_name_each() {
        for group in Group::ALL {
            assert_eq!(Group::parse(group.as_str()), Some(group));
        }
        assert_eq!(Group::parse("iedereen"), None);
    }

    #[test]
    fn ids_sort_by_time() {
        let a = Message::new_id("2030-03-10T12:00:00Z".parse().unwrap()).unwrap();
        let b = Message::new_id("2030-03-10T12:00:01Z".parse().unwrap()).unwrap();
        assert!(a < b && a.starts_with("20300310T120000Z-"), "{a} {b}");
    }
}
