//! Bounces and complaints: SES's configuration set sends its events to EventBridge, a rule routes them to
//! the mailer, and the mailer marks each registration of that address (`email_status`), so `opp-admin`
//! shows whom to phone. Complained addresses are also on SES's suppression list (the configuration set's
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
}
