//! Statuses with one string mapping each: a registration's (stored in the table) and a meeting's (shown on
//! the site and written to `meetings.json`).

use serde::{Deserialize, Serialize};

use crate::messages::{self, Lang, Msg};
use std::fmt;
use std::str::FromStr;

/// Where a registration stands. The strings are the values of the table's `status` attribute and of
/// `--json` output: they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 3] = [
        RegistrationStatus::Confirmed,
        RegistrationStatus::Waitlisted,
        RegistrationStatus::Cancelled,
    ];

    /// The stored value.
    pub const fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Confirmed => "confirmed",
            RegistrationStatus::Waitlisted => "waitlisted",
            RegistrationStatus::Cancelled => "cancelled",
        }
    }

    /// The word people read, from the message catalogue.
    pub const fn label_msg(self) -> Msg {
        match self {
            RegistrationStatus::Confirmed => messages::status::CONFIRMED,
            RegistrationStatus::Waitlisted => messages::status::WAITLISTED,
            RegistrationStatus::Cancelled => messages::status::CANCELLED,
        }
    }

    /// The word in `lang`.
    pub const fn label_in(self, lang: Lang) -> &'static str {
        self.label_msg().in_lang(lang)
    }

    /// The Dutch word (exports and pages, which are Dutch whatever the tool's language).
    pub const fn label_nl(self) -> &'static str {
        self.label_in(Lang::Nl)
    }

    /// A status as a person types it: the stored value or the word in either language
    /// (`bevestigd` and `confirmed` alike), in any case.
    pub fn from_words(text: &str) -> Option<RegistrationStatus> {
        let text = text.trim().to_lowercase();
        RegistrationStatus::ALL.into_iter().find(|status| {
            text == status.as_str()
                || text == status.label_in(Lang::Nl)
                || text == status.label_in(Lang::En)
        })
    }

    /// Still holds a seat or a place on the waiting list.
    pub const fn is_live(self) -> bool {
        !matches!(self, RegistrationStatus::Cancelled)
    }
}

impl fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored value that is not a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a registration status (confirmed, waitlisted or cancelled)",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for RegistrationStatus {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RegistrationStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.to_string()))
    }
}

/// Where a meeting stands relative to a moment: the same states on static pages, handler pages and in
/// `meetings.json`. `CalledOff` (an editor's `meeting.called_off`) comes before the clock: a called-off
/// meeting stays "gaat niet door", also after its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    NotYetOpen,
    Open,
    Closed,
    Past,
    CalledOff,
}

impl MeetingStatus {
    /// The status of a meeting that may be called off: [`MeetingStatus::at`] unless it is.
    pub fn of(
        called_off: bool,
        now: i64,
        opens_at: Option<i64>,
        closes_at: i64,
        over_at: i64,
    ) -> Self {
        if called_off {
            MeetingStatus::CalledOff
        } else {
            MeetingStatus::at(now, opens_at, closes_at, over_at)
        }
    }

    /// The status at `now` (epoch seconds) of a meeting with this registration window.
    pub fn at(now: i64, opens_at: Option<i64>, closes_at: i64, over_at: i64) -> MeetingStatus {
        if now >= over_at {
            MeetingStatus::Past
        } else if opens_at.is_some_and(|opens| now < opens) {
            MeetingStatus::NotYetOpen
        } else if now >= closes_at {
            MeetingStatus::Closed
        } else {
            MeetingStatus::Open
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingStatus::NotYetOpen => "Aanmelden kan nog niet",
            MeetingStatus::Open => "Aanmelden kan",
            MeetingStatus::Closed => "Aanmelden is gesloten",
            MeetingStatus::Past => "Geweest",
            MeetingStatus::CalledOff => "Gaat niet door",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_status_strings_round_trip() {
        for status in RegistrationStatus::ALL {
            assert_eq!(status.as_str().parse::<RegistrationStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::String(status.as_str().into())
            );
        }
        assert!("bevestigd".parse::<RegistrationStatus>().is_err());
        for (typed, status) in [
            ("bevestigd", RegistrationStatus::Confirmed),
            ("Confirmed", RegistrationStatus::Confirmed),
            ("wachtlijst", RegistrationStatus::Waitlisted),
            ("waitlisted", RegistrationStatus::Waitlisted),
            (" AFGEMELD ", RegistrationStatus::Cancelled),
            ("cancelled", RegistrationStatus::Cancelled),
        ] {
            assert_eq!(
                RegistrationStatus::from_words(typed),
                Some(status),
                "{typed}"
            );
        }
        assert_eq!(RegistrationStatus::from_words("weg"), None);
    }

    #[test]
    fn meeting_status_follows_the_window() {
        let (closes, over) = (20, 30);
        for (now, opens, expected) in [
            (5, Some(10), MeetingStatus::NotYetOpen),
            (10, Some(10), MeetingStatus::Open),
            (20, Some(10), MeetingStatus::Closed),
            (30, Some(10), MeetingStatus::Past),
            (5, None, MeetingStatus::Open),
        ] {
            assert_eq!(
                MeetingStatus::of(true, now, opens, closes, over),
                MeetingStatus::CalledOff
            );
            assert_eq!(
                MeetingStatus::at(now, opens, closes, over),
                expected,
                "at {now}"
            );
        }
    }
}
