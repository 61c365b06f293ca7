//! The meeting pages' calendar files: each meeting as an [`opp_model::calendar::Event`], in the format and
//! with the UID that `opp-model` defines for every calendar file of the project.

use jiff::Timestamp;
use opp_model::calendar::{self, Event};

use crate::config::Config;
use crate::meeting::Meeting;
use crate::site::Page;

/// The calendar file for one meeting page.
pub fn calendar(config: &Config, page: &Page, meeting: &Meeting, now: Timestamp) -> String {
    let url = format!("{}{}", config.base_url, page.url);
    let description = match &page.description {
        Some(description) => format!("{description}\n\nMeer informatie: {url}"),
        None => format!("Meer informatie: {url}"),
    };
    let location = [
        Some(meeting.venue.as_str()),
        meeting.address.as_deref(),
        meeting.postcode.as_deref(),
        Some(meeting.city.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let event = Event {
        uid: calendar::meeting_uid(&meeting.id, config.host()),
        sequence: None,
        summary: &page.title,
        date: meeting.date,
        start: meeting.start,
        end: meeting.end,
        location,
        description,
        url,
    };
    calendar::calendar(&event, now)
}
