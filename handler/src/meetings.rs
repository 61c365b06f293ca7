//! Meetings as the handler knows them: the meeting items in the table, made from the generator's
//! `meetings.json` (whose types live in `opp_model::meetings_json`).

use jiff::Timestamp;
use serde::Serialize;

/// A meeting item: what registrations need (capacity, window, counters) and what the pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingRecord {
    pub id: String,
    pub title: String,
    /// Root-relative URL of the meeting page, e.g. `/bijeenkomsten/zwolle/`.
    pub path: String,
    pub date: String,
    pub date_label: String,
    pub time_label: String,
    /// Start and end (epoch seconds), when the meeting has times.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub venue_name: String,
    pub venue_address: Option<String>,
    pub venue_postcode: Option<String>,
    pub city: String,
    pub ics_path: String,
    pub capacity: u32,
    /// Epoch seconds.
    pub opens_at: Option<i64>,
    pub closes_at: i64,
    pub over_at: i64,
    /// When registrations for this meeting are to be deleted (epoch seconds): held + retention.
    pub expires_at: i64,
    pub confirmed: u32,
    pub waitlisted: u32,
    pub cancelled: u32,
}

/// The same four states the site shows, so the handler's pages and the static pages agree.
pub use opp_model::MeetingStatus;
use opp_model::meetings_json::MeetingsFile;

impl MeetingRecord {
    pub fn status(&self, now: Timestamp) -> MeetingStatus {
        MeetingStatus::at(now.as_second(), self.opens_at, self.closes_at, self.over_at)
    }

    pub fn places_left(&self) -> u32 {
        self.capacity.saturating_sub(self.confirmed)
    }
}

/// Reads `meetings.json` into meeting records (counters zero: syncing never touches counters).
pub fn from_meetings_json(text: &str) -> Result<Vec<MeetingRecord>, String> {
    let file = MeetingsFile::parse(text)?;
    let seconds = |text: &str, what: &str, id: &str| {
        text.parse::<Timestamp>()
            .map(|t| t.as_second())
            .map_err(|err| format!("meeting {id}: {what} `{text}` is not an RFC 3339 time: {err}"))
    };
    file.meetings
        .into_iter()
        .map(|m| {
            let over_at = seconds(&m.over_at, "over_at", &m.id)?;
            let optional = |time: &Option<String>, what: &str| {
                time.as_deref().map(|t| seconds(t, what, &m.id)).transpose()
            };
            let starts_at = optional(&m.starts_at, "starts_at")?;
            let ends_at = optional(&m.ends_at, "ends_at")?;
            Ok(MeetingRecord {
                opens_at: m
                    .registration
                    .opens_at
                    .as_deref()
                    .map(|t| seconds(t, "opens_at", &m.id))
                    .transpose()?,
                closes_at: seconds(&m.registration.closes_at, "closes_at", &m.id)?,
                over_at,
                expires_at: over_at + i64::from(file.retention_days) * 86_400,
                ics_path: m.ics_path(),
                id: m.id,
                title: m.title,
                path: m.path,
                date: m.date,
                date_label: m.date_label,
                time_label: m.time_label,
                starts_at,
                ends_at,
                venue_name: m.venue.name,
                venue_address: m.venue.address,
                venue_postcode: m.venue.postcode,
                city: m.venue.city,
                capacity: m.capacity,
                confirmed: 0,
                waitlisted: 0,
                cancelled: 0,
            })
        })
        .collect()
}
