//! Stream records as the mailer reads them: one committed change of one item, with its image before and
//! after. Lambda's event and `GetRecords` carry the same DynamoDB JSON (`{"S": "…"}`), read here into the
//! SDK's attribute values, so the store's own item decoding applies.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

/// One change of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// The shard's order: what the event source mapping retries from (`itemIdentifier`).
    pub sequence_number: String,
    pub event: EventName,
    pub old: Option<Item>,
    pub new: Option<Item>,
}

impl ChangeRecord {
    /// The item's `type` (meeting, registration, token, …), from the new image or else the old one.
    pub fn item_type(&self) -> Option<&str> {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .and_then(|item| item.get("type"))
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    }
}

/// The records of a Lambda stream event (`{"Records": [...]}`); a record that cannot be read is an error
/// with its sequence number when it has one.
pub fn from_lambda_event(event: &Value) -> Option<Vec<Result<ChangeRecord, Unreadable>>> {
    let records = event.get("Records")?.as_array()?;
    Some(records.iter().map(from_json).collect())
}

/// A record the mailer cannot read (never seen from DynamoDB; a bug or a foreign event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub sequence_number: Option<String>,
    pub reason: String,
}

/// One record in DynamoDB JSON (`eventName`, `dynamodb.{NewImage, OldImage, SequenceNumber}`).
pub fn from_json(record: &Value) -> Result<ChangeRecord, Unreadable> {
    let data = record.get("dynamodb");
    let sequence_number = data
        .and_then(|d| d.get("SequenceNumber"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let unreadable = |reason: &str| Unreadable {
        sequence_number: sequence_number.clone(),
        reason: reason.to_string(),
    };
    let event = match record.get("eventName").and_then(Value::as_str) {
        Some("INSERT") => EventName::Insert,
        Some("MODIFY") => EventName::Modify,
        Some("REMOVE") => EventName::Remove,
        _ => return Err(unreadable("eventName is not INSERT, MODIFY or REMOVE")),
    };
    let data = data.ok_or_else(|| unreadable("no dynamodb part"))?;
    Ok(ChangeRecord {
        sequence_number: sequence_number
            .clone()
            .ok_or_else(|| unreadable("no SequenceNumber"))?,
        event,
        old: data.get("OldImage").map(item),
        new: data.get("NewImage").map(item),
    })
}

/// An item in DynamoDB JSON; attributes of kinds the mailer never reads (binary) are left out.
pub fn item(value: &Value) -> Item {
    value
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), attribute(value)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn attribute(value: &Value) -> Option<AttributeValue> {
    let (tag, inner) = value.as_object()?.iter().next()?;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    Some(match tag.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_string()),
        "N" => AttributeValue::N(inner.as_str()?.to_string()),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        "L" => AttributeValue::L(inner.as_array()?.iter().filter_map(attribute).collect()),
        "M" => AttributeValue::M(item(inner)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_lambda_stream_event() {
        let event = serde_json::json!({"Records": [{
            "eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"PK": {"S": "MEETING#x"}, "SK": {"S": "REG#a@example.nl"}},
                "OldImage": {"type": {"S": "registration"}, "status": {"S": "waitlisted"}},
                "NewImage": {"type": {"S": "registration"}, "status": {"S": "confirmed"},
                             "waitlist_ticket": {"N": "3"}, "flags": {"M": {"x": {"BOOL": true}}},
                             "blob": {"B": "AAEC"}},
                "SequenceNumber": "111", "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        }, {"eventName": "SOMETHING", "dynamodb": {"SequenceNumber": "112"}}]});
        let records = from_lambda_event(&event).unwrap();
        let first = records[0].as_ref().unwrap();
        assert_eq!(first.event, EventName::Modify);
        assert_eq!(first.sequence_number, "111");
        assert_eq!(first.item_type(), Some("registration"));
        let new = first.new.as_ref().unwrap();
        assert_eq!(new["waitlist_ticket"], AttributeValue::N("3".into()));
        assert!(!new.contains_key("blob"));
        let second = records[1].as_ref().unwrap_err();
        assert_eq!(second.sequence_number.as_deref(), Some("112"));
        assert!(from_lambda_event(&serde_json::json!({"source": "aws.ses"})).is_none());
    }
}
