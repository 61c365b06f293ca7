//! The daily reminder task (EventBridge Scheduler, 07:00 Europe/Amsterdam): marks `reminder_due` on the
//! confirmed registrations of meetings held within `email.reminder_days`. It sends nothing itself: each
//! mark is a change on the stream, and the stream sends the reminder through the ledger, so reminders
//! have the same once-only guarantee as every other email. Meetings are found with a Query of the meeting
//! partition and people with a Query of each due meeting's partition, never a Scan.

use jiff::civil::Date;
use opp_store::{Store, Unavailable};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Marked {
    pub meetings: usize,
    pub registrations: usize,
}

/// Marks the meetings held after `today` and at most `days` days from it (a missed run is made up the
/// next day; a mark is set once).
pub async fn mark_due(store: &Store, today: Date, days: u32) -> Result<Marked, Unavailable> {
    let mut marked = Marked::default();
    if days == 0 {
        return Ok(marked);
    }
    let last = today
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(today);
    for meeting in store.meetings().await? {
        let Ok(date) = meeting.date.parse::<Date>() else {
            continue;
        };
        if date <= today || date > last {
            continue;
        }
        marked.meetings += 1;
        marked.registrations += store
            .mark_reminders_due(&meeting.id, &today.to_string())
            .await?;
    }
    Ok(marked)
}
