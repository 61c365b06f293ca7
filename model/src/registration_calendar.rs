//! A registration's own calendar file (`…/<token>/agenda.ics`): the meeting as on the site, with the UID
//! of `crate::calendar::registration_uid`, the same UID later emails use, so a change can update the
//! same calendar entry. Its description names the meeting page, never the personal link: calendars are
//! shared and synced, and the link is a key.

use crate::calendar::{self, Event};
use jiff::Timestamp;
use jiff::civil::{Date, Time};

use crate::records::MeetingRecord;
use crate::records::RegistrationRecord;

/// The `.ics` text for a confirmed registration of `meeting`.
pub fn registration_calendar(
    meeting: &MeetingRecord,
    registration: &RegistrationRecord,
    host: &str,
    base_url: &str,
    now: Timestamp,
) -> String {
    let zone = crate::zone::amsterdam();
    let local = |seconds: Option<i64>| -> Option<Time> {
        let at = Timestamp::from_second(seconds?).ok()?;
        Some(at.to_zoned(zone.clone()).time())
    };
    let date = meeting
        .date
        .parse::<Date>()
        .unwrap_or_else(|_| now.to_zoned(zone.clone()).date());
    let url = format!("{}{}", base_url.trim_end_matches('/'), meeting.path);
    let mut location: Vec<&str> = vec![meeting.venue_name.as_str()];
    location.extend(meeting.venue_address.as_deref());
    location.extend(meeting.venue_postcode.as_deref());
    location.push(meeting.city.as_str());
    let event = Event {
        uid: calendar::registration_uid(&meeting.id, &registration.registration_id, host),
        // Each real change of date, time or venue raises it, so calendar apps replace the entry they have.
        sequence: (meeting.change_seq > 0).then_some(meeting.change_seq),
        summary: &meeting.title,
        date,
        start: local(meeting.starts_at),
        end: local(meeting.ends_at),
        location: location
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect(),
        description: format!("Je bent aangemeld. Meer over de bijeenkomst: {url}"),
        url,
    };
    calendar::calendar(&event, now)
}
