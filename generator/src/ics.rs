//! Calendar files (RFC 5545) for meetings, in Europe/Amsterdam time, with a stable UID per meeting.

use jiff::Timestamp;

use crate::config::Config;
use crate::meeting::Meeting;
use crate::site::Page;

const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19810329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19961027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// The calendar file for one meeting page.
pub fn calendar(config: &Config, page: &Page, meeting: &Meeting, now: Timestamp) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Landelijk OPP Project//opp-site//NL\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
    out.push_str(VTIMEZONE);
    out.push_str("BEGIN:VEVENT\r\n");
    line(&mut out, &format!("UID:{}@{}", meeting.id, config.host()));
    line(
        &mut out,
        &format!("DTSTAMP:{}", now.strftime("%Y%m%dT%H%M%SZ")),
    );
    let day = meeting.date.strftime("%Y%m%d");
    match meeting.start {
        Some(start) => {
            line(
                &mut out,
                &format!(
                    "DTSTART;TZID=Europe/Amsterdam:{day}T{}",
                    start.strftime("%H%M%S")
                ),
            );
            if let Some(end) = meeting.end {
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
            let next = meeting.date.tomorrow().unwrap_or(meeting.date);
            line(
                &mut out,
                &format!("DTEND;VALUE=DATE:{}", next.strftime("%Y%m%d")),
            );
        }
    }
    line(&mut out, &format!("SUMMARY:{}", escape_text(&page.title)));
    let location: Vec<&str> = [
        Some(meeting.venue.as_str()),
        meeting.address.as_deref(),
        meeting.postcode.as_deref(),
        Some(meeting.city.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    line(
        &mut out,
        &format!("LOCATION:{}", escape_text(&location.join(", "))),
    );
    let url = format!("{}{}", config.base_url, page.url);
    let description = match &page.description {
        Some(description) => format!("{description}\n\nMeer informatie: {url}"),
        None => format!("Meer informatie: {url}"),
    };
    line(
        &mut out,
        &format!("DESCRIPTION:{}", escape_text(&description)),
    );
    line(&mut out, &format!("URL:{url}"));
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
}
