//! Organisers' notes on a registration (free text, never sent). They live on the registration item itself,
//! in the list attribute `notes`, so they go wherever the registration goes: erased with it, purged with it
//! at the end of the retention period, copied when it moves to a new address (a note added meanwhile makes
//! that move read the item again), and never mailed (the mailer sends nothing for a change that leaves the
//! status alone). Exports leave them out.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::codec::{Item, arrival_time, s};
use super::keys::{PARTITION_KEY, SORT_KEY, registration_pk, registration_sk};
use super::{Store, Unavailable, unavailable};
use crate::outcome::condition_failed;

/// The registration item's attribute with the notes.
pub const NOTES: &str = "notes";
/// The longest note, in characters.
pub const NOTE_MAX_CHARS: usize = 2000;

/// One note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// RFC 3339, UTC.
    pub at: String,
    /// The organiser who wrote it (the provider's name).
    pub author: String,
    pub text: String,
}

impl Store {
    /// Adds a note to the registration of `email` for `meeting`, if it is still the one with
    /// `registration_id`. False when it is not there (erased, moved to another address meanwhile).
    pub async fn add_note(
        &self,
        meeting: &str,
        email: &str,
        registration_id: &str,
        author: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<bool, Unavailable> {
        let note = AttributeValue::M(HashMap::from([
            ("at".to_string(), s(&arrival_time(now))),
            ("by".to_string(), s(author)),
            ("text".to_string(), s(text)),
        ]));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(meeting)))
            .key(SORT_KEY, s(&registration_sk(email)))
            .update_expression("SET #notes = list_append(if_not_exists(#notes, :empty), :note)")
            .condition_expression("attribute_exists(PK) AND registration_id = :id")
            .expression_attribute_names("#notes", NOTES)
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":note", AttributeValue::L(vec![note]))
            .expression_attribute_values(":id", s(registration_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem note", err)),
        }
    }
}

/// The notes a registration item holds, oldest first.
pub(crate) fn notes_of(item: &Item) -> Vec<Note> {
    item.get(NOTES)
        .and_then(|list| list.as_l().ok())
        .map(|list| {
            list.iter()
                .filter_map(|note| {
                    let note = note.as_m().ok()?;
                    let text = |key: &str| note.get(key)?.as_s().ok().cloned();
                    Some(Note {
                        at: text("at")?,
                        author: text("by").unwrap_or_default(),
                        text: text("text")?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
