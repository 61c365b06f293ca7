//! Calendar files (RFC 5545) in Europe/Amsterdam time: the meeting pages' `.ics` today, personal calendars
//! and email attachments later. Also the calendar UIDs, so every file that describes one event names it
//! the same way and a later change updates the entry instead of adding one.

use jiff::Timestamp;
use jiff::civil::{Date, Time};

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19810329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19961027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// One event: a meeting, as one calendar file describes it.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// From [`meeting_uid`] or [`registration_uid`].
    pub uid: String,
    /// Raised when the event changes (RFC 5545 `SEQUENCE`); `None` writes no SEQUENCE (it then counts as 0).
    pub sequence: Option<u32>,
    pub summary: &'a str,
    pub date: Date,
    /// Without a start time the event lasts the whole day.
    pub start: Option<Time>,
    pub end: Option<Time>,
    /// Venue, address, postcode, city: the parts present, joined with commas.
    pub location: Vec<&'a str>,
    pub description: String,
    /// The meeting page (never a personal link: calendars are shared and synced).
    pub url: String,
}

/// The UID of a meeting's public calendar entry: `<meeting id>@<host>`.
pub fn meeting_uid(meeting_id: &str, host: &str) -> String {
    format!("{meeting_id}@{host}")
}

/// The one calendar UID of a registration, used by its personal calendar file and by every email about
/// it. `registration_id` must be opaque and stable for the registration's life (never the address or the
/// link token: a UID is shared with every calendar the entry is synced to).
pub fn registration_uid(meeting_id: &str, registration_id: &str, host: &str) -> String {
    format!("{meeting_id}-{registration_id}@{host}")
}

/// A whole calendar file with one event (`METHOD:PUBLISH`: a file to add, not an invitation to answer).
pub fn calendar(event: &Event<'_>, now: Timestamp) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Landelijk OPP Project//opp-site//NL\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
    out.push_str(VTIMEZONE);
    out.push_str("BEGIN:VEVENT\r\n");
    line(&mut out, &format!("UID:{}", event.uid));
    line(
        &mut out,
        &format!("DTSTAMP:{}", now.strftime("%Y%m%dT%H%M%SZ")),
    );
    if let Some(sequence) = event.sequence {
        line(&mut out, &format!("SEQUENCE:{sequence}"));
    }
    let day = event.date.strftime("%Y%m%d");
    match event.start {
        Some(start) => {
            line(
                &mut out,
                &format!(
                    "DTSTART;TZID=Europe/Amsterdam:{day}T{}",
                    start.strftime("%H%M%S")
                ),
            );
            if let Some(end) = event.end {
                line(
                    &mut out,
                    &format!(
                        "DTEND;TZID=Europe/Amsterdam:{day}T{}",
                        end.strftime("%H%M%S")
                    ),
                );
            }
        }
        None => {
            line(&mut out, &format!("DTSTART;VALUE=DATE:{day}"));
            let next = event.date.tomorrow().unwrap_or(event.date);
            line(
                &mut out,
                &format!("DTEND;VALUE=DATE:{}", next.strftime("%Y%m%d")),
            );
        }
    }
    line(&mut out, &format!("SUMMARY:{}", escape_text(event.summary)));
    line(
        &mut out,
        &format!("LOCATION:{}", escape_text(&event.location.join(", "))),
    );
    line(
        &mut out,
        &format!("DESCRIPTION:{}", escape_text(&event.description)),
    );
    line(&mut out, &format!("URL:{}", event.url));
    out.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    out
}

/// Escapes TEXT values (RFC 5545 section 3.3.11).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a content line folded at 75 octets (never inside a UTF-8 character), ending in CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_long_lines_on_character_boundaries() {
        let mut out = String::new();
        line(&mut out, &format!("DESCRIPTION:{}", "ë".repeat(60)));
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        assert_eq!(
            out.replace("\r\n ", ""),
            format!("DESCRIPTION:{}\r\n", "ë".repeat(60))
        );
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape_text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }

    fn event(start: Option<Time>, sequence: Option<u32>) -> Event<'static> {
        Event {
            uid: registration_uid("2030-05-zwolle", "r1", "opp.example"),
            sequence,
            summary: "Zwolle; regio",
            date: jiff::civil::date(2030, 5, 14),
            start,
            end: Some(jiff::civil::time(16, 0, 0, 0)),
            location: vec!["Stadshuis", "Zwolle"],
            description: "Meer informatie: https://opp.example/".into(),
            url: "https://opp.example/bijeenkomsten/zwolle/".into(),
        }
    }

    #[test]
    fn timed_event_in_amsterdam_time_with_its_sequence() {
        let text = calendar(
            &event(Some(jiff::civil::time(13, 0, 0, 0)), Some(2)),
            Timestamp::UNIX_EPOCH,
        );
        for expected in [
            "UID:2030-05-zwolle-r1@opp.example\r\n",
            "SEQUENCE:2\r\n",
            "DTSTART;TZID=Europe/Amsterdam:20300514T130000\r\n",
            "DTEND;TZID=Europe/Amsterdam:20300514T160000\r\n",
            "SUMMARY:Zwolle\\; regio\r\n",
            "LOCATION:Stadshuis\\, Zwolle\r\n",
            "DTSTAMP:19700101T000000Z\r\n",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn untimed_event_lasts_the_day_and_has_no_sequence_unless_given() {
        let text = calendar(&event(None, None), Timestamp::UNIX_EPOCH);
        assert!(text.contains("DTSTART;VALUE=DATE:20300514\r\n"));
        assert!(text.contains("DTEND;VALUE=DATE:20300515\r\n"));
        assert!(!text.contains("SEQUENCE"));
    }

    #[test]
    fn uids_hold_no_more_than_they_are_given() {
        assert_eq!(
            meeting_uid("2030-05-zwolle", "opp.example"),
            "2030-05-zwolle@opp.example"
        );
        assert_ne!(
            registration_uid("m", "a", "h"),
            registration_uid("m", "b", "h")
        );
    }
}
