//! Bounces and complaints: SES's configuration set sends its events to EventBridge, a rule routes them to
//! the mailer, and the mailer marks each registration of that address (`email_status`), so `opp-admin`
//! shows whom to phone. The rule passes only the message id, the kind and the bounce type
//! ([`from_message_event`]): an event that fails and lands in the failure queue then holds no address, and
//! the mailer finds the address in the table (`opp_store`'s sent messages). A whole SES event (the rule
//! before this change, or one sent by hand) is still read ([`from_event`]). Complained addresses are also on SES's suppression list (the configuration set's
//! `SuppressionOptions`), so the project keeps no list of its own. A transient bounce (a full mailbox)
//! marks nothing.

use serde_json::Value;

/// What an SES event reports, per address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub address: String,
    /// `bounced` or `complained`.
    pub status: &'static str,
}

/// A bounce or complaint as the EventBridge rule passes it: SES's message id and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFeedback {
    pub message_id: String,
    /// `bounced` or `complained`; None for what marks nothing (a transient bounce).
    pub status: Option<&'static str>,
}

/// `{"ses_feedback": {"message_id", "detail_type", "bounce_type"}}` (the rule's input transformer in
/// infra/template.yaml); None when the event is not one.
pub fn from_message_event(event: &Value) -> Option<MessageFeedback> {
    let feedback = event.get("ses_feedback")?;
    let field = |name: &str| feedback.get(name).and_then(Value::as_str).unwrap_or("");
    let message_id = field("message_id").trim();
    if message_id.is_empty() {
        return None;
    }
    let status = match (field("detail_type"), field("bounce_type")) {
        ("Email Bounced", "Permanent") => Some("bounced"),
        ("Email Complaint Received", _) => Some("complained"),
        _ => None,
    };
    Some(MessageFeedback {
        message_id: message_id.to_string(),
        status,
    })
}

/// The addresses of an EventBridge SES event (`source: aws.ses`); None when the event is not one.
pub fn from_event(event: &Value) -> Option<Vec<Feedback>> {
    if event.get("source").and_then(Value::as_str) != Some("aws.ses") {
        return None;
    }
    let detail = event.get("detail")?;
    let addresses = |list: Option<&Value>, status: &'static str| -> Vec<Feedback> {
        list.and_then(Value::as_array)
            .map(|recipients| {
                recipients
                    .iter()
                    .filter_map(|r| r.get("emailAddress").and_then(Value::as_str))
                    .map(|address| Feedback {
                        address: address.trim().to_string(),
                        status,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let found = if let Some(bounce) = detail.get("bounce") {
        if bounce.get("bounceType").and_then(Value::as_str) == Some("Permanent") {
            addresses(bounce.get("bouncedRecipients"), "bounced")
        } else {
            Vec::new()
        }
    } else if let Some(complaint) = detail.get("complaint") {
        addresses(complaint.get("complainedRecipients"), "complained")
    } else {
        Vec::new()
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shapes AWS documents for SES events through EventBridge (detail = the SES event record).
    #[test]
    fn reads_bounces_and_complaints() {
        let bounce = json!({"source": "aws.ses", "detail-type": "Email Bounced", "detail": {
            "eventType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "bouncedRecipients": [{"emailAddress": "a@example.nl", "action": "failed"}]},
            "mail": {"destination": ["a@example.nl"]}}});
        assert_eq!(
            from_event(&bounce).unwrap(),
            vec![Feedback {
                address: "a@example.nl".into(),
                status: "bounced"
            }]
        );
        let transient = json!({"source": "aws.ses", "detail": {"bounce": {"bounceType": "Transient",
            "bouncedRecipients": [{"emailAddress": "a@example.nl"}]}}});
        assert_eq!(from_event(&transient).unwrap(), vec![]);
        let complaint = json!({"source": "aws.ses", "detail-type": "Email Complaint Received",
            "detail": {"eventType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "b@example.nl"}]}}});
        assert_eq!(from_event(&complaint).unwrap()[0].status, "complained");
        assert_eq!(from_event(&json!({"Records": []})), None);
    }

    /// What the rule's input transformer makes of SES's events: no address in it.
    #[test]
    fn reads_the_rules_message_events() {
        let bounce = json!({"ses_feedback": {"message_id": "0100-abc", "detail_type": "Email Bounced", "bounce_type": "Permanent"}});
        assert_eq!(
            from_message_event(&bounce).unwrap(),
            MessageFeedback {
                message_id: "0100-abc".into(),
                status: Some("bounced")
            }
        );
        let transient = json!({"ses_feedback": {"message_id": "m", "detail_type": "Email Bounced", "bounce_type": "Transient"}});
        assert_eq!(from_message_event(&transient).unwrap().status, None);
        // A complaint has no bounce type: the transformer leaves it empty (or null).
        for bounce_type in [json!(""), json!(null)] {
            let complaint = json!({"ses_feedback": {"message_id": "m", "detail_type": "Email Complaint Received", "bounce_type": bounce_type}});
            assert_eq!(
                from_message_event(&complaint).unwrap().status,
                Some("complained")
            );
        }
        assert_eq!(
            from_message_event(&json!({"ses_feedback": {"message_id": ""}})),
            None
        );
        assert_eq!(from_message_event(&json!({"source": "aws.ses"})), None);
    }

    /// The EventBridge rule's input template (infra/template.yaml), filled in as EventBridge does, is
    /// what this module reads.
    #[test]
    fn the_rules_input_template_is_read() {
        let template = include_str!("../../infra/template.yaml");
        let line = template
            .lines()
            .find_map(|l| l.trim().strip_prefix("InputTemplate: "))
            .expect("the rule's InputTemplate");
        let filled = line
            .trim_matches('\'')
            .replace("<messageId>", "0100-abc")
            .replace("<detailType>", "Email Bounced")
            .replace("<bounceType>", "Permanent");
        let event: Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(
            from_message_event(&event).unwrap(),
            MessageFeedback {
                message_id: "0100-abc".into(),
                status: Some("bounced")
            }
        );
    }
}
