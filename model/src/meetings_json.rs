//! `meetings.json`: the contract between the generator (which writes it next to the site) and the handler
//! and `opp-admin` (which read it to sync the meeting items in the table). One definition, both directions.

use serde::{Deserialize, Serialize};

use crate::status::MeetingStatus;

/// Bumped when a field changes meaning or disappears; new fields may be added without a bump, and readers
/// ignore fields they do not know.
pub const VERSION: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingsFile {
    pub version: u32,
    /// When the site was built (RFC 3339, UTC).
    pub generated_at: String,
    pub base_url: String,
    /// Where the registration form posts to (root-relative, under `/api/`).
    pub registration_endpoint: String,
    /// Days registrations are kept after their meeting.
    pub retention_days: u32,
    pub meetings: Vec<MeetingEntry>,
}

/// One meeting. Times are RFC 3339 with the Amsterdam offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingEntry {
    pub id: String,
    pub title: String,
    /// The meeting page's full URL.
    pub url: String,
    /// The meeting page's root-relative URL, e.g. `/bijeenkomsten/zwolle/`.
    pub path: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub date_label: String,
    pub time_label: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// From this moment the meeting counts as held (its end, or the end of its day when the time is unknown).
    pub over_at: String,
    pub venue: Venue,
    pub capacity: u32,
    /// How many may wait for a seat (0: no waiting list). Absent in files of older builds, which
    /// readers take as [`default_waitlist_capacity`].
    #[serde(default)]
    pub waitlist_capacity: Option<u32>,
    /// An editor called the meeting off (`meeting.called_off`), and why. Absent in files of older builds.
    #[serde(default)]
    pub called_off: bool,
    #[serde(default)]
    pub called_off_reason: Option<String>,
    pub registration: Window,
    /// The status at build time (readers work it out again from the window).
    pub status: MeetingStatus,
    /// The meeting's calendar file, full URL.
    pub ics_url: String,
}

/// The waiting list's size when the content names none: twice the seats.
pub fn default_waitlist_capacity(capacity: u32) -> u32 {
    capacity.saturating_mul(2)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Venue {
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: String,
    #[serde(default)]
    pub route: Option<String>,
}

/// When registering is possible: from `opens_at` (or always, when absent) until `closes_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub opens_at: Option<String>,
    pub closes_at: String,
}

impl MeetingsFile {
    /// The file as the generator writes it: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("plain data serialises");
        json.push('\n');
        json
    }

    /// Reads the file, refusing another version with a message that says what to do.
    pub fn parse(text: &str) -> Result<MeetingsFile, String> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let versioned: Versioned = serde_json::from_str(text)
            .map_err(|err| format!("meetings.json is not what opp-site writes: {err}"))?;
        if versioned.version != VERSION {
            return Err(format!(
                "meetings.json has version {}, this tool reads version {VERSION}; rebuild the site with \
                 the same release of opp-site",
                versioned.version
            ));
        }
        serde_json::from_str(text)
            .map_err(|err| format!("meetings.json is not what opp-site writes: {err}"))
    }
}

impl MeetingEntry {
    /// The waiting list's size, with the default for files that do not name it.
    pub fn waitlist_capacity(&self) -> u32 {
        self.waitlist_capacity
            .unwrap_or_else(|| default_waitlist_capacity(self.capacity))
    }

    /// The root-relative path of the meeting's calendar file (`ics_url` without scheme and host).
    pub fn ics_path(&self) -> String {
        self.ics_url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .unwrap_or_else(|| self.ics_url.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MeetingsFile {
        MeetingsFile {
            version: VERSION,
            generated_at: "2030-01-01T00:00:00Z".into(),
            base_url: "https://opp.example".into(),
            registration_endpoint: "/api/registrations".into(),
            retention_days: 90,
            meetings: vec![MeetingEntry {
                id: "2030-05-zwolle".into(),
                title: "Zwolle".into(),
                url: "https://opp.example/bijeenkomsten/zwolle/".into(),
                path: "/bijeenkomsten/zwolle/".into(),
                date: "2030-05-14".into(),
                date_label: "dinsdag 14 mei 2030".into(),
                time_label: "13:00 - 16:00 uur".into(),
                starts_at: Some("2030-05-14T13:00:00+02:00".into()),
                ends_at: None,
                over_at: "2030-05-15T00:00:00+02:00".into(),
                venue: Venue {
                    name: "Stadshuis".into(),
                    address: None,
                    postcode: None,
                    city: "Zwolle".into(),
                    route: None,
                },
                capacity: 40,
                waitlist_capacity: Some(10),
                called_off: false,
                called_off_reason: None,
                registration: Window {
                    opens_at: None,
                    closes_at: "2030-05-13T12:00:00+02:00".into(),
                },
                status: MeetingStatus::Open,
                ics_url: "https://opp.example/bijeenkomsten/zwolle/2030-05-zwolle.ics".into(),
            }],
        }
    }

    #[test]
    fn round_trips() {
        let file = sample();
        assert_eq!(MeetingsFile::parse(&file.to_json()), Ok(file));
    }

    #[test]
    fn another_version_is_refused_with_advice() {
        let text = sample()
            .to_json()
            .replace("\"version\": 1", "\"version\": 2");
        let err = MeetingsFile::parse(&text).unwrap_err();
        assert!(
            err.contains("version 2") && err.contains("rebuild"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let text =
            sample()
                .to_json()
                .replacen("\"version\": 1", "\"version\": 1, \"later\": true", 1);
        assert!(MeetingsFile::parse(&text).is_ok());
    }

    #[test]
    fn a_file_without_waitlist_capacity_gets_twice_the_seats() {
        let text = sample().to_json().replace("\"waitlist_capacity\": 10,", "");
        let file = MeetingsFile::parse(&text).unwrap();
        assert_eq!(file.meetings[0].waitlist_capacity, None);
        assert_eq!(file.meetings[0].waitlist_capacity(), 80);
    }

    #[test]
    fn ics_path_drops_scheme_and_host() {
        let entry = &sample().meetings[0];
        assert_eq!(entry.ics_path(), "/bijeenkomsten/zwolle/2030-05-zwolle.ics");
    }
}
