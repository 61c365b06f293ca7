//! One invocation of the function, whatever woke it: a stream batch (answered with `batchItemFailures`,
//! the event source mapping's `ReportBatchItemFailures`), an SES bounce or complaint from EventBridge (by
//! message id, or a whole SES event), or
//! the daily reminder task (`{"task": "reminders"}` from EventBridge Scheduler).

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::Mailer;
use crate::{feedback, record, reminders};

pub async fn handle_event(
    mailer: &Mailer,
    payload: &Value,
    now: Timestamp,
) -> Result<Value, String> {
    if let Some(records) = record::from_lambda_event(payload) {
        let mut readable = Vec::with_capacity(records.len());
        for record in records {
            match record {
                Ok(record) => readable.push(record),
                // Never seen from DynamoDB: logged and skipped, since a retry cannot make it readable.
                Err(unreadable) => {
                    tracing::error!(sequence = ?unreadable.sequence_number, reason = %unreadable.reason, "mail: unreadable stream record skipped");
                }
            }
        }
        let outcome = mailer.handle_batch(&readable).await;
        let failures: Vec<Value> = outcome
            .retry_from
            .into_iter()
            .map(|sequence| json!({ "itemIdentifier": sequence }))
            .collect();
        return Ok(json!({ "batchItemFailures": failures }));
    }
    if let Some(report) = feedback::from_message_event(payload) {
        let Some(status) = report.status else {
            return Ok(json!({ "registrations_marked": 0 }));
        };
        let marked = match mailer
            .store
            .recipient_of(&report.message_id)
            .await
            .map_err(|err| err.0)?
        {
            Some(address) => mailer
                .store
                .mark_email_status(&address, status)
                .await
                .map_err(|err| err.0)?,
            // Older than its record, erased since, or not ours: nothing to mark.
            None => 0,
        };
        tracing::info!(registrations = marked, "mail: SES feedback marked");
        return Ok(json!({ "registrations_marked": marked }));
    }
    if let Some(reports) = feedback::from_event(payload) {
        let mut marked = 0;
        for report in &reports {
            marked += mailer
                .store
                .mark_email_status(&report.address, report.status)
                .await
                .map_err(|err| err.0)?;
        }
        tracing::info!(
            reports = reports.len(),
            registrations = marked,
            "mail: SES feedback marked"
        );
        return Ok(json!({ "registrations_marked": marked }));
    }
    if payload.get("task").and_then(Value::as_str) == Some("reminders") {
        let today = now.to_zoned(opp_model::zone::amsterdam()).date();
        let marked = reminders::mark_due(&mailer.store, today, mailer.site.email.reminder_days)
            .await
            .map_err(|err| err.0)?;
        tracing::info!(
            meetings = marked.meetings,
            registrations = marked.registrations,
            "mail: reminders due"
        );
        return Ok(
            json!({ "meetings": marked.meetings, "registrations_marked": marked.registrations }),
        );
    }
    Err("not an event this function handles: a DynamoDB stream batch, an SES event (source aws.ses) or {\"task\": \"reminders\"}".into())
}
