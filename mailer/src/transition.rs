//! The transition table: which email a committed change means, decided from the stream record's old and
//! new image alone. Only the rows below send mail; every other change (retention rewrites, reminder or
//! bounce marks, detail edits, TTL deletes, erasure, purge) sends none.
//!
//! | record | old → new | kind |
//! |---|---|---|
//! | INSERT registration | – → confirmed / waitlisted, with `email_changed_at` (moved to a new address) | `address-changed` |
//! | INSERT registration | – → confirmed / waitlisted | `confirmed` / `waitlisted` |
//! | MODIFY registration | cancelled → confirmed / waitlisted (registering again) | `confirmed` / `waitlisted` |
//! | MODIFY registration | waitlisted → confirmed | `promoted` |
//! | MODIFY registration | confirmed / waitlisted → cancelled | `cancelled` |
//! | MODIFY registration | `reminder_due` set (confirmed) | `reminder` |
//! | MODIFY registration | a new `move_id` (a move asked for) | `address-confirm` to the new address, `move-notice` to the old |
//! | MODIFY registration | a new `message_due` (an organiser's message, the back office) | `message` |
//! | INSERT link request | – | `link` |
//! | MODIFY meeting | `change_seq` raised (date, time or venue changed) | `changed` to each live registration |
//! | MODIFY meeting | `called_off` false → true | `called-off` to each live registration |
//!
//! A visitor-triggered row (registering again, cancelling, a move) sends nothing when the new image carries
//! `mail_withheld`: the function found the address's mail budget used up (`opp_store::mail_budget`).
//! Promotion, reminder, change, called-off mails and organisers' messages are never withheld.

use opp_model::RegistrationStatus;

use crate::record::{ChangeRecord, EventName, Item};

/// The registration's mark, set by the daily reminder task, that asks for its reminder.
pub use opp_store::REMINDER_DUE;

/// When a registration moved to a new address: each move sends one `address-changed` email.
pub use opp_store::EMAIL_CHANGED_AT;
pub use opp_store::meeting_moves::MEETING_MOVED_AT;

/// A registration's pending address move.
pub use opp_store::moves::MOVE_ID;

/// The back office's mark: the id of an organiser's message to send this registration.
pub use opp_store::messages::MESSAGE_DUE;

/// The function's mark on a change whose email is over the address's budget.
pub use opp_store::mail_budget::MAIL_WITHHELD;

/// Every kind of email; the name is the template's (`theme/emails/<kind>.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Confirmed,
    Waitlisted,
    Promoted,
    Cancelled,
    Reminder,
    Link,
    Changed,
    CalledOff,
    /// To the new address after the person changed it on their personal page.
    AddressChanged,
    /// To a new address asked for on the personal page: the link that confirms the move.
    AddressConfirm,
    /// To the old address when a move is asked for: what happens, and how to undo it.
    MoveNotice,
    /// An organiser's message to a meeting's registrants (the back office).
    Message,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Confirmed => "confirmed",
            Kind::Waitlisted => "waitlisted",
            Kind::Promoted => "promoted",
            Kind::Cancelled => "cancelled",
            Kind::Reminder => "reminder",
            Kind::Link => "link",
            Kind::Changed => "changed",
            Kind::CalledOff => "called-off",
            Kind::AddressChanged => "address-changed",
            Kind::AddressConfirm => "address-confirm",
            Kind::MoveNotice => "move-notice",
            Kind::Message => "message",
        }
    }

    /// Whether the email carries the meeting as a calendar file (the person has a seat).
    pub fn has_calendar(self) -> bool {
        matches!(
            self,
            Kind::Confirmed
                | Kind::Promoted
                | Kind::Reminder
                | Kind::Changed
                | Kind::AddressChanged
        )
    }
}

/// What a change asks the mailer to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Nothing,
    /// One email to the registration in the new image.
    Registration {
        kind: Kind,
        registration: Item,
    },
    /// "Link kwijt?": one `link` email with every live registration of the request's address.
    LinkRequest {
        request: Item,
    },
    /// A move to another address was asked for: the confirmation to the new address and the notice to
    /// the old one (the registration in the new image holds the pending move).
    MoveRequested {
        registration: Item,
    },
    /// An organiser's message: one email to the registration in the new image.
    Message {
        registration: Item,
        message_id: String,
    },
    /// A meeting changed or was called off: one email to each of its live registrations.
    Meeting {
        kind: Kind,
        old: Item,
        new: Item,
    },
}

pub fn decide(record: &ChangeRecord) -> Decision {
    match record.item_type() {
        Some("registration") => registration_change(record),
        Some("meeting") => meeting_change(record),
        Some("link_request") if record.event == EventName::Insert => match &record.new {
            Some(request) => Decision::LinkRequest {
                request: request.clone(),
            },
            None => Decision::Nothing,
        },
        _ => Decision::Nothing,
    }
}

fn registration_change(record: &ChangeRecord) -> Decision {
    let Some(new) = &record.new else {
        return Decision::Nothing;
    };
    let status = |item: &Item| -> Option<RegistrationStatus> {
        item.get("status")?.as_s().ok()?.parse().ok()
    };
    let Some(now) = status(new) else {
        return Decision::Nothing;
    };
    // A new pending move (its id differs from the old image's).
    let move_id =
        |item: Option<&Item>| item.and_then(|item| item.get(MOVE_ID)?.as_s().ok().cloned());
    if record.event == EventName::Modify
        && move_id(Some(new)).is_some()
        && move_id(Some(new)) != move_id(record.old.as_ref())
    {
        return Decision::MoveRequested {
            registration: new.clone(),
        };
    }
    // A new organiser's message (its id differs from the old image's).
    let message_due =
        |item: Option<&Item>| item.and_then(|item| item.get(MESSAGE_DUE)?.as_s().ok().cloned());
    if record.event == EventName::Modify
        && let Some(message_id) = message_due(Some(new))
        && Some(&message_id) != message_due(record.old.as_ref()).as_ref()
    {
        return Decision::Message {
            registration: new.clone(),
            message_id,
        };
    }
    use RegistrationStatus::{Cancelled, Confirmed, Waitlisted};
    // A registration moved to a new address arrives as an INSERT that carries when it moved; one moved to
    // another meeting (the back office) carries `meeting_moved_at` and gets that meeting's confirmation.
    // A registration that did both: the later move decides.
    let when = |key: &str| new.get(key).and_then(|v| v.as_s().ok()).cloned();
    let moved = match (when(EMAIL_CHANGED_AT), when(MEETING_MOVED_AT)) {
        (Some(address), Some(meeting)) => address > meeting,
        (address, _) => address.is_some(),
    };
    let kind = match (record.event, record.old.as_ref().and_then(status), now) {
        (EventName::Insert, _, Confirmed | Waitlisted) if moved => Some(Kind::AddressChanged),
        (EventName::Insert, _, Confirmed) => Some(Kind::Confirmed),
        (EventName::Insert, _, Waitlisted) => Some(Kind::Waitlisted),
        (EventName::Modify, Some(Cancelled), Confirmed) => Some(Kind::Confirmed),
        (EventName::Modify, Some(Cancelled), Waitlisted) => Some(Kind::Waitlisted),
        (EventName::Modify, Some(Waitlisted), Confirmed) => Some(Kind::Promoted),
        (EventName::Modify, Some(Confirmed | Waitlisted), Cancelled) => Some(Kind::Cancelled),
        (EventName::Modify, Some(Confirmed), Confirmed) if reminder_newly_due(record) => {
            Some(Kind::Reminder)
        }
        _ => None,
    };
    let visitor_triggered = matches!(
        (record.event, kind),
        (EventName::Modify, Some(Kind::Confirmed | Kind::Waitlisted))
            | (_, Some(Kind::Cancelled | Kind::AddressChanged))
    );
    if visitor_triggered && withheld(new) {
        return Decision::Nothing;
    }
    match kind {
        Some(kind) => Decision::Registration {
            kind,
            registration: new.clone(),
        },
        None => Decision::Nothing,
    }
}

fn meeting_change(record: &ChangeRecord) -> Decision {
    let (EventName::Modify, Some(old), Some(new)) = (record.event, &record.old, &record.new) else {
        return Decision::Nothing;
    };
    let called_off = |item: &Item| {
        item.get("called_off")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false)
    };
    let change_seq = |item: &Item| -> u64 {
        item.get("change_seq")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let kind = if !called_off(old) && called_off(new) {
        Kind::CalledOff
    } else if !called_off(new) && change_seq(new) > change_seq(old) {
        Kind::Changed
    } else {
        return Decision::Nothing;
    };
    Decision::Meeting {
        kind,
        old: old.clone(),
        new: new.clone(),
    }
}

fn withheld(item: &Item) -> bool {
    item.get(MAIL_WITHHELD)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .unwrap_or(false)
}

fn reminder_newly_due(record: &ChangeRecord) -> bool {
    let due = |item: Option<&Item>| item.is_some_and(|item| item.contains_key(REMINDER_DUE));
    !due(record.old.as_ref()) && due(record.new.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn registration(status: &str, extra: &[(&str, &str)]) -> Item {
        let mut item = Item::from([
            ("type".to_string(), AttributeValue::S("registration".into())),
            ("status".to_string(), AttributeValue::S(status.into())),
            ("link_id".to_string(), AttributeValue::S("abc".into())),
        ]);
        for (k, v) in extra {
            item.insert(k.to_string(), AttributeValue::S(v.to_string()));
        }
        item
    }

    fn record(event: EventName, old: Option<Item>, new: Option<Item>) -> ChangeRecord {
        ChangeRecord {
            sequence_number: "1".into(),
            event,
            old,
            new,
        }
    }

    fn kind(record: &ChangeRecord) -> Option<Kind> {
        match decide(record) {
            Decision::Registration { kind, .. } => Some(kind),
            Decision::LinkRequest { .. } => Some(Kind::Link),
            Decision::Meeting { kind, .. } => Some(kind),
            Decision::MoveRequested { .. } => Some(Kind::AddressConfirm),
            Decision::Message { .. } => Some(Kind::Message),
            Decision::Nothing => None,
        }
    }

    #[test]
    fn a_new_message_mark_sends_that_message_once() {
        let marked = |id: &str| Some(registration("confirmed", &[(MESSAGE_DUE, id)]));
        let first = record(
            EventName::Modify,
            Some(registration("confirmed", &[])),
            marked("m1"),
        );
        assert!(
            matches!(decide(&first), Decision::Message { message_id, .. } if message_id == "m1")
        );
        // The same mark again (another change to the item) sends nothing; a second message does.
        assert_eq!(
            kind(&record(EventName::Modify, marked("m1"), marked("m1"))),
            None
        );
        assert_eq!(
            kind(&record(EventName::Modify, marked("m1"), marked("m2"))),
            Some(Kind::Message)
        );
        // A waiting person gets it too (a message to the waiting list); an INSERT never does.
        let waiting = Some(registration("waitlisted", &[(MESSAGE_DUE, "m3")]));
        assert_eq!(
            kind(&record(
                EventName::Modify,
                Some(registration("waitlisted", &[])),
                waiting.clone()
            )),
            Some(Kind::Message)
        );
        assert_eq!(
            kind(&record(EventName::Insert, None, waiting)),
            Some(Kind::Waitlisted)
        );
    }

    #[test]
    fn a_new_pending_move_asks_for_both_move_mails_once() {
        let pending = |id: &str| Some(registration("confirmed", &[(MOVE_ID, id)]));
        let r = |s: &str| Some(registration(s, &[]));
        assert_eq!(
            kind(&record(Modify, r("confirmed"), pending("m1"))),
            Some(Kind::AddressConfirm)
        );
        assert_eq!(
            kind(&record(Modify, pending("m1"), pending("m2"))),
            Some(Kind::AddressConfirm),
            "a later request"
        );
        assert_eq!(
            kind(&record(Modify, pending("m1"), pending("m1"))),
            None,
            "another change while the same move waits"
        );
        assert_eq!(
            kind(&record(Modify, pending("m1"), r("confirmed"))),
            None,
            "a move cancelled by a details change"
        );
    }

    use EventName::{Insert, Modify, Remove};

    #[test]
    fn a_move_to_another_meeting_is_that_meetings_confirmation_and_the_later_move_decides() {
        let at = |pairs: &[(&str, &str)], status: &str| Some(registration(status, pairs));
        let meeting = [(MEETING_MOVED_AT, "2030-02-01T00:00:00Z")];
        assert_eq!(
            kind(&record(Insert, None, at(&meeting, "confirmed"))),
            Some(Kind::Confirmed)
        );
        assert_eq!(
            kind(&record(Insert, None, at(&meeting, "waitlisted"))),
            Some(Kind::Waitlisted)
        );
        let address_then_meeting = [
            (EMAIL_CHANGED_AT, "2030-01-01T00:00:00Z"),
            (MEETING_MOVED_AT, "2030-02-01T00:00:00Z"),
        ];
        assert_eq!(
            kind(&record(
                Insert,
                None,
                at(&address_then_meeting, "confirmed")
            )),
            Some(Kind::Confirmed)
        );
        let meeting_then_address = [
            (EMAIL_CHANGED_AT, "2030-03-01T00:00:00Z"),
            (MEETING_MOVED_AT, "2030-02-01T00:00:00Z"),
        ];
        assert_eq!(
            kind(&record(
                Insert,
                None,
                at(&meeting_then_address, "confirmed")
            )),
            Some(Kind::AddressChanged)
        );
    }

    #[test]
    fn each_row_of_the_table() {
        let r = |s: &str| Some(registration(s, &[]));
        assert_eq!(
            kind(&record(Insert, None, r("confirmed"))),
            Some(Kind::Confirmed)
        );
        assert_eq!(
            kind(&record(Insert, None, r("waitlisted"))),
            Some(Kind::Waitlisted)
        );
        let moved = |s: &str| {
            Some(registration(
                s,
                &[(EMAIL_CHANGED_AT, "2030-01-01T00:00:00Z")],
            ))
        };
        assert_eq!(
            kind(&record(Insert, None, moved("confirmed"))),
            Some(Kind::AddressChanged)
        );
        assert_eq!(
            kind(&record(Insert, None, moved("waitlisted"))),
            Some(Kind::AddressChanged)
        );
        assert_eq!(
            kind(&record(Modify, moved("confirmed"), moved("confirmed"))),
            None,
            "a detail edit after a move sends nothing"
        );
        assert_eq!(
            kind(&record(Modify, r("cancelled"), r("confirmed"))),
            Some(Kind::Confirmed)
        );
        assert_eq!(
            kind(&record(Modify, r("cancelled"), r("waitlisted"))),
            Some(Kind::Waitlisted)
        );
        assert_eq!(
            kind(&record(Modify, r("waitlisted"), r("confirmed"))),
            Some(Kind::Promoted)
        );
        assert_eq!(
            kind(&record(Modify, r("confirmed"), r("cancelled"))),
            Some(Kind::Cancelled)
        );
        assert_eq!(
            kind(&record(Modify, r("waitlisted"), r("cancelled"))),
            Some(Kind::Cancelled)
        );
        assert_eq!(
            kind(&record(
                Modify,
                r("confirmed"),
                Some(registration("confirmed", &[(REMINDER_DUE, "2030-03-08")]))
            )),
            Some(Kind::Reminder)
        );
    }

    #[test]
    fn a_withheld_visitor_mail_is_not_sent_and_nothing_else_is_withheld() {
        let w = |s: &str| {
            let mut item = registration(s, &[]);
            item.insert(MAIL_WITHHELD.to_string(), AttributeValue::Bool(true));
            Some(item)
        };
        let r = |s: &str| Some(registration(s, &[]));
        for (old, new) in [
            ("cancelled", "confirmed"),
            ("cancelled", "waitlisted"),
            ("confirmed", "cancelled"),
            ("waitlisted", "cancelled"),
        ] {
            assert_eq!(
                kind(&record(Modify, r(old), w(new))),
                None,
                "{old} -> {new}"
            );
        }
        let mut moved = w("confirmed").unwrap();
        moved.insert(
            EMAIL_CHANGED_AT.to_string(),
            AttributeValue::S("2030-01-01T00:00:00Z".into()),
        );
        assert_eq!(kind(&record(Insert, None, Some(moved))), None);
        // The first confirmation, a promotion and a reminder go out whatever the mark says.
        assert_eq!(
            kind(&record(Insert, None, w("confirmed"))),
            Some(Kind::Confirmed)
        );
        assert_eq!(
            kind(&record(Modify, w("waitlisted"), w("confirmed"))),
            Some(Kind::Promoted)
        );
        let mut due = w("confirmed").unwrap();
        due.insert(
            REMINDER_DUE.to_string(),
            AttributeValue::S("2030-03-08".into()),
        );
        assert_eq!(
            kind(&record(Modify, w("confirmed"), Some(due))),
            Some(Kind::Reminder)
        );
    }

    fn meeting(seq: u64, called_off: bool) -> Item {
        Item::from([
            ("type".to_string(), AttributeValue::S("meeting".into())),
            ("change_seq".to_string(), AttributeValue::N(seq.to_string())),
            ("called_off".to_string(), AttributeValue::Bool(called_off)),
        ])
    }

    #[test]
    fn the_meeting_rows() {
        let m = |seq, off| Some(meeting(seq, off));
        assert_eq!(
            kind(&record(Modify, m(0, false), m(1, false))),
            Some(Kind::Changed)
        );
        assert_eq!(
            kind(&record(Modify, m(3, false), m(4, false))),
            Some(Kind::Changed)
        );
        assert_eq!(
            kind(&record(Modify, m(0, false), m(0, true))),
            Some(Kind::CalledOff)
        );
        assert_eq!(
            kind(&record(Modify, m(0, false), m(1, true))),
            Some(Kind::CalledOff),
            "called off and moved at once: only the call-off"
        );
        assert_eq!(
            kind(&record(Modify, m(1, false), m(1, false))),
            None,
            "counters"
        );
        assert_eq!(
            kind(&record(Modify, m(1, true), m(2, true))),
            None,
            "a called-off meeting moved"
        );
        assert_eq!(
            kind(&record(Modify, m(0, true), m(0, false))),
            None,
            "called on again"
        );
        assert_eq!(
            kind(&record(Insert, None, m(0, true))),
            None,
            "a new meeting"
        );
        assert_eq!(
            kind(&record(Remove, m(0, false), None)),
            None,
            "a pruned meeting"
        );
    }

    #[test]
    fn every_other_change_sends_nothing() {
        let r = |s: &str| Some(registration(s, &[]));
        let due = || Some(registration("confirmed", &[(REMINDER_DUE, "2030-03-08")]));
        for (what, change) in [
            (
                "a retention rewrite or detail edit",
                record(Modify, r("confirmed"), r("confirmed")),
            ),
            ("a reminder already due", record(Modify, due(), due())),
            (
                "a reminder mark on a waiting person",
                record(
                    Modify,
                    r("waitlisted"),
                    Some(registration("waitlisted", &[(REMINDER_DUE, "x")])),
                ),
            ),
            (
                "a bounce mark",
                record(
                    Modify,
                    r("confirmed"),
                    Some(registration("confirmed", &[("email_status", "bounced")])),
                ),
            ),
            (
                "a TTL delete or erasure",
                record(Remove, r("confirmed"), None),
            ),
            (
                "a cancelled one inserted (never happens)",
                record(Insert, None, r("cancelled")),
            ),
            (
                "a cancelled one touched again",
                record(Modify, r("cancelled"), r("cancelled")),
            ),
        ] {
            assert_eq!(kind(&change), None, "{what}");
        }
        let request = Item::from([("type".to_string(), AttributeValue::S("link_request".into()))]);
        assert_eq!(
            kind(&record(Insert, None, Some(request.clone()))),
            Some(Kind::Link)
        );
        assert_eq!(
            kind(&record(Remove, Some(request), None)),
            None,
            "a request's TTL delete"
        );
        let rate = Item::from([("type".to_string(), AttributeValue::S("link_rate".into()))]);
        assert_eq!(kind(&record(Insert, None, Some(rate))), None);
        let token = Item::from([("type".to_string(), AttributeValue::S("token".into()))]);
        assert_eq!(
            decide(&record(Insert, None, Some(token))),
            Decision::Nothing
        );
        let meeting = Item::from([("type".to_string(), AttributeValue::S("meeting".into()))]);
        assert_eq!(
            decide(&record(Modify, Some(meeting.clone()), Some(meeting))),
            Decision::Nothing
        );
    }
}
