//! Correcting a registration's details from its personal page ("Gegevens wijzigen"): name, organisation
//! and needs in place; a new address as one transaction that moves the registration to its new key (the
//! address is part of it), with its seat or waiting-list place, and leaves the counters as they are.

use crate::outcome::condition_failed;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use jiff::Timestamp;
use opp_model::RegistrationStatus;

use super::codec::{Item, PREVIOUS_TOKEN_HASHES, arrival_time, get_s, s, status_value};
use super::keys::{
    EMAIL_ATTRIBUTE, PARTITION_KEY, SORT_KEY, TOKEN_SK, registration_pk, registration_sk, token_pk,
};
use super::outcome::{Reasons, Slot, cancellation_reasons, is_definite, is_throttled};
use super::registration_marks::{EMAIL_STATUS, REMINDER_DUE};
use super::retry::{ATTEMPTS, Budget, OutOfTime};
use super::{RegistrationRecord, Store, Unavailable, build_error, unavailable};
use crate::mail_budget::{MAIL_WITHHELD, MailBudget};
use crate::moves::{MOVE_ATTRIBUTES, MOVE_ID};
use opp_model::registration::Details;

/// When the registration last moved to another address (RFC 3339, UTC): the mailer writes to the new
/// address once for each such moment.
pub const EMAIL_CHANGED_AT: &str = "email_changed_at";

/// Attributes other writers may add to a registration item. A move copies the item as read, so it also
/// requires these to be still absent when they were (a promotion, cancellation or mark meanwhile makes it
/// read again).
const MARKS_ADDED_LATER: [&str; 9] = [
    "promoted_at",
    "cancelled_at",
    REMINDER_DUE,
    EMAIL_STATUS,
    PREVIOUS_TOKEN_HASHES,
    MOVE_ID,
    crate::notes::NOTES,
    crate::check_in::CHECKED_IN_AT,
    crate::messages::MESSAGE_DUE,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailsOutcome {
    /// Stored; `moved` when the address changed.
    Changed {
        record: Box<RegistrationRecord>,
        moved: bool,
    },
    /// The new address already has a registration for this meeting (also a cancelled one).
    EmailTaken,
    /// No live registration behind the link (unknown, or cancelled).
    Gone,
}

impl Store {
    /// Stores corrected details for the registration behind `token_hash`. The same address: one update.
    /// Another address: one transaction deletes the item, puts it under the new key (status, ticket,
    /// link, created and promoted times as they were; a bounce mark of the old address dropped) and
    /// points its link tokens at the new address. The meeting's counters are not touched.
    ///
    /// A lost answer needs no read-back of its own: the next attempt reads the registration through its
    /// link again and finds the details stored (or not).
    pub async fn change_details(
        &self,
        token_hash: &str,
        details: &Details,
        now: Timestamp,
    ) -> Result<DetailsOutcome, Unavailable> {
        self.change_details_with(token_hash, details, now, None, Budget::start(), false)
            .await
    }

    /// [`Store::change_details`] by the person themselves: a move's email to the new address takes a
    /// slot of that address's mail budget; with none left the move is stored with [`MAIL_WITHHELD`] and
    /// sends nothing. The time budget counts from `started`, when the request arrived.
    pub async fn change_details_as_visitor(
        &self,
        token_hash: &str,
        details: &Details,
        now: Timestamp,
        mail: &MailBudget,
        started: std::time::Instant,
    ) -> Result<DetailsOutcome, Unavailable> {
        self.change_details_with(
            token_hash,
            details,
            now,
            Some(mail),
            Budget::since(started),
            false,
        )
        .await
    }

    /// Corrects name, organisation and needs (the address as it is) and leaves a waiting address move
    /// alone: the visitor asked for a move in the same post, and that request decides about it.
    pub async fn correct_details_keeping_move(
        &self,
        token_hash: &str,
        details: &Details,
        now: Timestamp,
        started: std::time::Instant,
    ) -> Result<DetailsOutcome, Unavailable> {
        self.change_details_with(token_hash, details, now, None, Budget::since(started), true)
            .await
    }

    async fn change_details_with(
        &self,
        token_hash: &str,
        details: &Details,
        now: Timestamp,
        mail: Option<&MailBudget>,
        budget: Budget,
        keep_move: bool,
    ) -> Result<DetailsOutcome, Unavailable> {
        match budget
            .read(self.change_details_within(token_hash, details, now, &budget, mail, keep_move))
            .await
        {
            Ok(outcome) => outcome,
            Err(OutOfTime) => Err(Unavailable(
                "change details: no answer within the time budget".into(),
            )),
        }
    }

    async fn change_details_within(
        &self,
        token_hash: &str,
        details: &Details,
        now: Timestamp,
        budget: &Budget,
        mail: Option<&MailBudget>,
        keep_move: bool,
    ) -> Result<DetailsOutcome, Unavailable> {
        // The address as first read: whether this change moves the registration.
        let mut first_email = None;
        // Whether the move's email is withheld: decided once, before the first move attempt.
        let mut mail_withheld: Option<bool> = None;
        for attempt in 0..ATTEMPTS {
            let Some(record) = self.registration_by_token(token_hash).await? else {
                return Ok(DetailsOutcome::Gone);
            };
            if record.status == RegistrationStatus::Cancelled {
                return Ok(DetailsOutcome::Gone);
            }
            let first_email = first_email.get_or_insert_with(|| record.email.clone());
            // Nothing to write, unless a move waits: saving the details cancels it.
            if holds(&record, details) && (keep_move || record.pending_move.is_none()) {
                let moved = *first_email != details.email;
                return Ok(DetailsOutcome::Changed {
                    record: Box::new(record),
                    moved,
                });
            }
            let written = if record.email == details.email {
                self.update_details(&record, details, keep_move).await
            } else {
                if let (Some(mail), None) = (mail, mail_withheld) {
                    // When the budget cannot be read, the mail is withheld: the change matters more.
                    let slot = budget
                        .read(self.take_mail_slot(mail, &details.email, now))
                        .await;
                    mail_withheld = Some(!matches!(slot, Ok(Ok(true))));
                }
                let withheld = mail_withheld.unwrap_or(false);
                self.move_registration(&record, details, now, withheld, None)
                    .await
            };
            match written {
                Ok(Written::Done) => {
                    let moved = record.email != details.email;
                    let mut record = changed(record, details);
                    if moved {
                        record.mail_withheld = mail_withheld.unwrap_or(false);
                    }
                    return Ok(DetailsOutcome::Changed {
                        record: Box::new(record),
                        moved,
                    });
                }
                Ok(Written::EmailTaken) => {
                    // A move whose answer was lost and that was sent again finds the new key taken by this
                    // very registration (the SDK's idempotency token normally answers such a retry with
                    // success, but not after its ten minutes): the link then finds it there.
                    return Ok(match self.registration_by_token(token_hash).await? {
                        Some(now) if holds(&now, details) => DetailsOutcome::Changed {
                            record: Box::new(now),
                            moved: true,
                        },
                        _ => DetailsOutcome::EmailTaken,
                    });
                }
                Ok(Written::Again) => {}
                Err(err) => return Err(err),
            }
            budget.backoff(attempt).await;
        }
        Err(Unavailable(
            "change details: still conflicting after retries".into(),
        ))
    }

    async fn update_details(
        &self,
        record: &RegistrationRecord,
        details: &Details,
        keep_move: bool,
    ) -> Result<Written, Unavailable> {
        let mut set = vec!["#name = :name".to_string()];
        // A change of the details cancels a move that waits for its confirmation.
        let mut remove: Vec<&str> = if keep_move {
            Vec::new()
        } else {
            MOVE_ATTRIBUTES.to_vec()
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(&record.meeting)))
            .key(SORT_KEY, s(&registration_sk(&record.email)))
            .condition_expression("token_hash = :current AND #status <> :cancelled")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":name", s(&details.name))
            .expression_attribute_values(":current", s(&record.token_hash))
            .expression_attribute_values(":cancelled", status_value(RegistrationStatus::Cancelled));
        for (attribute, value) in [
            ("organisation", &details.organisation),
            ("needs", &details.needs),
        ] {
            match value {
                Some(text) => {
                    set.push(format!("{attribute} = :{attribute}"));
                    update = update.expression_attribute_values(format!(":{attribute}"), s(text));
                }
                None => remove.push(attribute),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        match update.update_expression(expression).send().await {
            Ok(_) => Ok(Written::Done),
            Err(err) if condition_failed(&err) => Ok(Written::Again),
            Err(err) if is_definite(&err) => Err(unavailable("UpdateItem details", err)),
            Err(err) => {
                tracing::warn!(reason = %unavailable("UpdateItem details", err).0, "details outcome unknown: reading again");
                Ok(Written::Again)
            }
        }
    }

    async fn move_registration(
        &self,
        record: &RegistrationRecord,
        details: &Details,
        now: Timestamp,
        mail_withheld: bool,
        pointer: Option<(&str, &str)>,
    ) -> Result<Written, Unavailable> {
        let pk = registration_pk(&record.meeting);
        let Some(old) = self
            .registration_item(&pk, &registration_sk(&record.email))
            .await?
        else {
            return Ok(Written::Again);
        };
        let mut tokens = Vec::new();
        for hash in record.token_hashes() {
            // A token item gone already (expired, revoked) is not pointed anywhere.
            if let Some(item) = self.registration_item(&token_pk(hash), TOKEN_SK).await?
                && get_s(&item, EMAIL_ATTRIBUTE).as_deref() == Some(record.email.as_str())
            {
                tokens.push(hash.to_string());
            }
        }

        let condition = unchanged(&old);
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&pk))
            .key(SORT_KEY, s(&registration_sk(&record.email)))
            .condition_expression(condition.expression);
        for (name, attribute) in condition.names {
            delete = delete.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in condition.values {
            delete = delete.expression_attribute_values(placeholder, value);
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(moved_item(old, details, now, mail_withheld)))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_error)?;
        let mut slots = vec![Slot::Moved, Slot::Registration];
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(
                TransactWriteItem::builder()
                    .delete(delete.build().map_err(build_error)?)
                    .build(),
            );
        if let Some((pointer_pk, pointer_sk)) = pointer {
            // The confirmed move's link: used once.
            let used = Delete::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(pointer_pk))
                .key(SORT_KEY, s(pointer_sk))
                .build()
                .map_err(build_error)?;
            request = request.transact_items(TransactWriteItem::builder().delete(used).build());
            slots.push(Slot::ReplacedLink);
        }
        for hash in &tokens {
            let point = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(&token_pk(hash)))
                .key(SORT_KEY, s(TOKEN_SK))
                .update_expression("SET #email = :new")
                .condition_expression("#email = :old")
                .expression_attribute_names("#email", EMAIL_ATTRIBUTE)
                .expression_attribute_values(":new", s(&details.email))
                .expression_attribute_values(":old", s(&record.email))
                .build()
                .map_err(build_error)?;
            request = request.transact_items(TransactWriteItem::builder().update(point).build());
            slots.push(Slot::Token);
        }
        match request.send().await {
            Ok(_) => Ok(Written::Done),
            Err(err) => match Reasons::of(&err, &slots) {
                Some(reasons) if reasons.failed(Slot::Moved) => Ok(Written::EmailTaken),
                Some(_) => Ok(Written::Again),
                None if cancellation_reasons(&err).is_some() || is_throttled(&err) => {
                    Ok(Written::Again)
                }
                None if is_definite(&err) => Err(unavailable("TransactWriteItems move", err)),
                None => {
                    tracing::warn!(reason = %unavailable("TransactWriteItems move", err).0, "move outcome unknown: reading again");
                    Ok(Written::Again)
                }
            },
        }
    }
}

impl Store {
    /// The move of a confirmed address move (`moves`): Some(true) moved, Some(false) the new address is
    /// taken, None changed meanwhile (read again).
    pub(crate) async fn move_confirmed(
        &self,
        record: &RegistrationRecord,
        details: &Details,
        now: Timestamp,
        pointer: (&str, &str),
    ) -> Result<Option<bool>, Unavailable> {
        match self
            .move_registration(record, details, now, false, Some(pointer))
            .await?
        {
            Written::Done => Ok(Some(true)),
            Written::EmailTaken => Ok(Some(false)),
            Written::Again => Ok(None),
        }
    }
}

/// What one write attempt ended in.
enum Written {
    Done,
    EmailTaken,
    /// The item changed meanwhile, or the answer was lost: read and try again.
    Again,
}

/// Whether the registration already holds these details (an earlier attempt landed).
fn holds(record: &RegistrationRecord, details: &Details) -> bool {
    record.email == details.email
        && record.name == details.name
        && record.organisation == details.organisation
        && record.needs == details.needs
}

fn changed(mut record: RegistrationRecord, details: &Details) -> RegistrationRecord {
    if record.email != details.email {
        record.email_status = None;
    }
    record.email = details.email.clone();
    record.name = details.name.clone();
    record.organisation = details.organisation.clone();
    record.needs = details.needs.clone();
    record
}

/// The item under its new key: everything as it was, with the new details and the moment of the move.
fn moved_item(mut item: Item, details: &Details, now: Timestamp, mail_withheld: bool) -> Item {
    item.insert(SORT_KEY.into(), s(&registration_sk(&details.email)));
    item.insert(EMAIL_ATTRIBUTE.into(), s(&details.email));
    item.insert("name".into(), s(&details.name));
    for (attribute, value) in [
        ("organisation", &details.organisation),
        ("needs", &details.needs),
    ] {
        match value {
            Some(text) => item.insert(attribute.into(), s(text)),
            None => item.remove(attribute),
        };
    }
    // SES's bounce or complaint was about the old address.
    item.remove(EMAIL_STATUS);
    item.insert(EMAIL_CHANGED_AT.into(), s(&arrival_time(now)));
    // Moved: no move waits any more.
    for attribute in MOVE_ATTRIBUTES {
        item.remove(attribute);
    }
    if mail_withheld {
        item.insert(MAIL_WITHHELD.into(), AttributeValue::Bool(true));
    } else {
        item.remove(MAIL_WITHHELD);
    }
    item
}

/// A condition expression with its placeholders' names and values.
pub(super) struct Condition {
    pub(super) expression: String,
    pub(super) names: Vec<(String, String)>,
    pub(super) values: Vec<(String, AttributeValue)>,
}

/// A condition that holds only while the item is exactly as read: every attribute equal (a set by its
/// size), and the marks other writers add still absent where they were.
pub(super) fn unchanged(item: &Item) -> Condition {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut attributes: Vec<(&String, &AttributeValue)> = item
        .iter()
        .filter(|(name, _)| *name != PARTITION_KEY && *name != SORT_KEY)
        .collect();
    attributes.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (attribute, value)) in attributes.into_iter().enumerate() {
        let (name, placeholder) = (format!("#a{i}"), format!(":v{i}"));
        match value {
            AttributeValue::Ss(set) => {
                parts.push(format!("size({name}) = {placeholder}"));
                values.push((placeholder, AttributeValue::N(set.len().to_string())));
            }
            // Organisers' notes only grow: a note added meanwhile changes the size.
            AttributeValue::L(list) => {
                parts.push(format!("size({name}) = {placeholder}"));
                values.push((placeholder, AttributeValue::N(list.len().to_string())));
            }
            AttributeValue::S(_)
            | AttributeValue::N(_)
            | AttributeValue::Bool(_)
            | AttributeValue::B(_) => {
                parts.push(format!("{name} = {placeholder}"));
                values.push((placeholder, value.clone()));
            }
            // Maps and nulls are not part of a registration; their presence is enough.
            _ => parts.push(format!("attribute_exists({name})")),
        }
        names.push((name, attribute.clone()));
    }
    for (i, mark) in MARKS_ADDED_LATER
        .iter()
        .filter(|mark| !item.contains_key(**mark))
        .enumerate()
    {
        let name = format!("#m{i}");
        parts.push(format!("attribute_not_exists({name})"));
        names.push((name, mark.to_string()));
    }
    Condition {
        expression: parts.join(" AND "),
        names,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_condition_names_every_attribute_and_every_absent_mark() {
        let item = Item::from([
            (PARTITION_KEY.to_string(), s("MEETING#m")),
            (SORT_KEY.to_string(), s("REG#a@example.nl")),
            ("status".to_string(), s("confirmed")),
            (
                PREVIOUS_TOKEN_HASHES.to_string(),
                AttributeValue::Ss(vec!["x".into(), "y".into()]),
            ),
        ]);
        let Condition {
            expression,
            names,
            values,
        } = unchanged(&item);
        assert_eq!(
            expression,
            "size(#a0) = :v0 AND #a1 = :v1 AND attribute_not_exists(#m0) AND attribute_not_exists(#m1) \
             AND attribute_not_exists(#m2) AND attribute_not_exists(#m3) AND attribute_not_exists(#m4) \
             AND attribute_not_exists(#m5) AND attribute_not_exists(#m6) AND attribute_not_exists(#m7)"
        );
        assert_eq!(names[0], ("#a0".into(), PREVIOUS_TOKEN_HASHES.into()));
        assert_eq!(names[1], ("#a1".into(), "status".into()));
        assert_eq!(values[0], (":v0".into(), AttributeValue::N("2".into())));
        assert!(
            names
                .iter()
                .all(|(_, attribute)| attribute != PARTITION_KEY)
        );
        assert_eq!(names.last().unwrap().1, crate::messages::MESSAGE_DUE);
    }

    #[test]
    fn a_note_added_meanwhile_changes_the_lists_size_and_so_the_condition() {
        let note = AttributeValue::M(Default::default());
        let item = Item::from([
            ("status".to_string(), s("confirmed")),
            (
                crate::notes::NOTES.to_string(),
                AttributeValue::L(vec![note]),
            ),
        ]);
        let Condition {
            expression,
            names,
            values,
        } = unchanged(&item);
        assert!(
            expression.starts_with("size(#a0) = :v0 AND #a1 = :v1"),
            "{expression}"
        );
        assert_eq!(names[0], ("#a0".into(), crate::notes::NOTES.into()));
        assert_eq!(values[0], (":v0".into(), AttributeValue::N("1".into())));
        assert!(
            !names.iter().skip(2).any(|(_, n)| n == crate::notes::NOTES),
            "present, so not also absent"
        );
    }

    #[test]
    fn a_moved_item_keeps_its_place_and_drops_the_old_addresses_bounce() {
        let item = Item::from([
            (SORT_KEY.to_string(), s("REG#old@example.nl")),
            (EMAIL_ATTRIBUTE.to_string(), s("old@example.nl")),
            ("status".to_string(), s("waitlisted")),
            ("waitlist_ticket".to_string(), AttributeValue::N("4".into())),
            ("organisation".to_string(), s("School")),
            (EMAIL_STATUS.to_string(), s("bounced")),
        ]);
        let details = Details {
            name: "Anna".into(),
            email: "new@example.nl".into(),
            organisation: None,
            needs: Some("Ringleiding".into()),
        };
        let at: Timestamp = "2030-01-01T10:00:00Z".parse().unwrap();
        let moved = moved_item(item, &details, at, false);
        assert_eq!(moved[SORT_KEY], s("REG#new@example.nl"));
        assert_eq!(moved[EMAIL_ATTRIBUTE], s("new@example.nl"));
        assert_eq!(moved["waitlist_ticket"], AttributeValue::N("4".into()));
        assert_eq!(moved["status"], s("waitlisted"));
        assert!(!moved.contains_key("organisation"));
        assert_eq!(moved["needs"], s("Ringleiding"));
        assert!(!moved.contains_key(EMAIL_STATUS));
        assert!(moved.contains_key(EMAIL_CHANGED_AT));
    }
}
