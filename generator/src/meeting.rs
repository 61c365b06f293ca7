//! Meetings: the typed `meeting:` front-matter block, its checks, and the status at build time.

use jiff::civil::{Date, DateTime, Time};
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;

use crate::dates;
use opp_model::messages::{Text, site};
use opp_model::text;

/// The `meeting:` block as an editor writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingFront {
    pub id: String,
    pub date: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub venue: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: String,
    pub route: Option<String>,
    pub capacity: u32,
    /// How many may wait for a seat; absent means twice the capacity, 0 means no waiting list.
    pub waitlist_capacity: Option<u32>,
    pub registration_opens: Option<String>,
    pub registration_closes: Option<String>,
    /// The meeting does not go ahead: registration closes, the site says so with the reason, and the
    /// mailer tells everyone registered (`called-off`).
    #[serde(default)]
    pub called_off: bool,
    pub called_off_reason: Option<String>,
}

/// Where a meeting stands relative to the build time (one definition, shared with the handler).
pub use opp_model::MeetingStatus as Status;

/// A checked meeting.
#[derive(Debug, Clone)]
pub struct Meeting {
    pub id: String,
    pub date: Date,
    pub start: Option<Time>,
    pub end: Option<Time>,
    pub venue: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: String,
    pub route: Option<String>,
    pub capacity: u32,
    pub waitlist_capacity: u32,
    pub opens: Option<DateTime>,
    pub closes: DateTime,
    pub called_off: bool,
    pub called_off_reason: Option<String>,
}

/// Field-level failure: (front-matter key, message).
pub type FieldError = (&'static str, Text);

impl Meeting {
    pub fn from_front(front: MeetingFront) -> Result<Meeting, FieldError> {
        // An optional field left empty (`start: ""`, as the editing screen may save it) is a field not given.
        let blank = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
        let front = MeetingFront {
            start: blank(front.start),
            end: blank(front.end),
            address: blank(front.address),
            postcode: blank(front.postcode),
            route: blank(front.route),
            registration_opens: blank(front.registration_opens),
            registration_closes: blank(front.registration_closes),
            called_off_reason: blank(front.called_off_reason),
            ..front
        };
        let id = front.id.trim().to_string();
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(("id", text!(site::MEETING_ID, id = id)));
        }
        let date = dates::parse_date(&front.date).map_err(|e| ("date", e))?;
        let start = front
            .start
            .as_deref()
            .map(dates::parse_time)
            .transpose()
            .map_err(|e| ("start", e))?;
        let end = front
            .end
            .as_deref()
            .map(dates::parse_time)
            .transpose()
            .map_err(|e| ("end", e))?;
        match (start, end) {
            (None, Some(_)) => {
                return Err(("end", site::END_WITHOUT_START.into()));
            }
            (Some(s), Some(e)) if e <= s => {
                return Err(("end", text!(site::END_BEFORE_START, end = e, start = s)));
            }
            _ => {}
        }
        if front.capacity == 0 {
            return Err(("capacity", site::CAPACITY_ZERO.into()));
        }
        if let Some(route) = &front.route
            && !(route.starts_with("https://") || route.starts_with("http://"))
        {
            return Err(("route", text!(site::ROUTE_NOT_URL, route = route)));
        }
        let non_empty = |value: String, key: &'static str| {
            if value.trim().is_empty() {
                Err((key, text!(site::MUST_NOT_BE_EMPTY, key = key)))
            } else {
                Ok(value)
            }
        };
        let venue = non_empty(front.venue, "venue")?;
        let city = non_empty(front.city, "city")?;
        let opens = front
            .registration_opens
            .as_deref()
            .map(dates::parse_date_time)
            .transpose()
            .map_err(|e| ("registration_opens", e))?;
        let starts = date.to_datetime(start.unwrap_or(Time::midnight()));
        let closes = match front.registration_closes.as_deref() {
            Some(text) => dates::parse_date_time(text).map_err(|e| ("registration_closes", e))?,
            None => starts,
        };
        if closes > starts {
            return Err(("registration_closes", site::CLOSES_AFTER_START.into()));
        }
        if let Some(opens) = opens
            && opens >= closes
        {
            return Err(("registration_opens", site::OPENS_AFTER_CLOSE.into()));
        }
        let tidy = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let called_off_reason = tidy(front.called_off_reason);
        match (front.called_off, &called_off_reason) {
            (true, None) => {
                return Err(("called_off_reason", site::CALLED_OFF_NO_REASON.into()));
            }
            (false, Some(_)) => {
                return Err(("called_off_reason", site::REASON_WITHOUT_CALLED_OFF.into()));
            }
            _ => {}
        }
        Ok(Meeting {
            id,
            date,
            start,
            end,
            venue: venue.trim().to_string(),
            address: tidy(front.address),
            postcode: tidy(front.postcode),
            city: city.trim().to_string(),
            route: tidy(front.route),
            capacity: front.capacity,
            waitlist_capacity: front.waitlist_capacity.unwrap_or_else(|| {
                opp_model::meetings_json::default_waitlist_capacity(front.capacity)
            }),
            opens,
            closes,
            called_off: front.called_off,
            called_off_reason,
        })
    }

    /// The moment after which the meeting counts as held: its end, else the end of its day.
    pub fn over_at(&self) -> Timestamp {
        let end = match self.end {
            Some(end) => self.date.to_datetime(end),
            None => self.date.to_datetime(Time::midnight()) + 1.day(),
        };
        dates::zoned(end).timestamp()
    }

    pub fn status(&self, now: Timestamp) -> Status {
        if self.called_off {
            Status::CalledOff
        } else if now >= self.over_at() {
            Status::Past
        } else if self
            .opens
            .is_some_and(|opens| now < dates::zoned(opens).timestamp())
        {
            Status::NotYetOpen
        } else if now >= dates::zoned(self.closes).timestamp() {
            Status::Closed
        } else {
            Status::Open
        }
    }

    pub fn starts_at(&self) -> Option<String> {
        self.start
            .map(|t| dates::rfc3339(&dates::zoned(self.date.to_datetime(t))))
    }

    pub fn ends_at(&self) -> Option<String> {
        self.end
            .map(|t| dates::rfc3339(&dates::zoned(self.date.to_datetime(t))))
    }

    pub fn opens_at(&self) -> Option<String> {
        self.opens.map(|dt| dates::rfc3339(&dates::zoned(dt)))
    }

    pub fn closes_at(&self) -> String {
        dates::rfc3339(&dates::zoned(self.closes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front() -> MeetingFront {
        MeetingFront {
            id: "2030-05-zwolle".into(),
            date: "2030-05-14".into(),
            start: Some("13:00".into()),
            end: Some("16:00".into()),
            venue: "Nieuwe Buitensociëteit".into(),
            address: None,
            postcode: None,
            city: "Zwolle".into(),
            route: None,
            capacity: 20,
            waitlist_capacity: None,
            registration_opens: Some("2030-03-01".into()),
            registration_closes: None,
            called_off: false,
            called_off_reason: None,
        }
    }

    #[test]
    fn a_called_off_meeting_says_so_and_needs_a_reason() {
        let off = MeetingFront {
            called_off: true,
            called_off_reason: Some("De spreker is ziek.".into()),
            ..front()
        };
        let meeting = Meeting::from_front(off).unwrap();
        assert_eq!(meeting.status(at("2030-04-01 12:00")), Status::CalledOff);
        assert_eq!(
            meeting.status(at("2030-06-01 12:00")),
            Status::CalledOff,
            "also afterwards"
        );
        let no_reason = MeetingFront {
            called_off: true,
            ..front()
        };
        assert_eq!(
            Meeting::from_front(no_reason).unwrap_err().0,
            "called_off_reason"
        );
        let only_reason = MeetingFront {
            called_off_reason: Some("x".into()),
            ..front()
        };
        assert!(
            Meeting::from_front(only_reason)
                .unwrap_err()
                .1
                .render(opp_model::messages::Lang::En)
                .contains("called_off: true")
        );
    }

    fn at(text: &str) -> Timestamp {
        dates::zoned(dates::parse_date_time(text).unwrap()).timestamp()
    }

    #[test]
    fn the_waiting_list_holds_twice_the_seats_unless_the_content_says_otherwise() {
        assert_eq!(Meeting::from_front(front()).unwrap().waitlist_capacity, 40);
        let none = MeetingFront {
            waitlist_capacity: Some(0),
            ..front()
        };
        assert_eq!(Meeting::from_front(none).unwrap().waitlist_capacity, 0);
    }

    #[test]
    fn status_follows_the_clock() {
        let m = Meeting::from_front(front()).unwrap();
        assert_eq!(m.status(at("2030-02-01")), Status::NotYetOpen);
        assert_eq!(m.status(at("2030-03-01")), Status::Open);
        assert_eq!(m.status(at("2030-05-14 12:59")), Status::Open);
        assert_eq!(m.status(at("2030-05-14 13:00")), Status::Closed);
        assert_eq!(m.status(at("2030-05-14 16:00")), Status::Past);
        assert_eq!(m.starts_at().unwrap(), "2030-05-14T13:00:00+02:00");
        assert_eq!(m.closes_at(), "2030-05-14T13:00:00+02:00");
    }

    #[test]
    fn unknown_time_closes_at_midnight_and_is_past_next_day() {
        let mut f = front();
        f.start = None;
        f.end = None;
        let m = Meeting::from_front(f).unwrap();
        assert_eq!(m.starts_at(), None);
        assert_eq!(m.status(at("2030-05-13 23:59")), Status::Open);
        assert_eq!(m.status(at("2030-05-14 10:00")), Status::Closed);
        assert_eq!(m.status(at("2030-05-15")), Status::Past);
    }

    #[test]
    fn rejects_bad_fields() {
        type Change = fn(&mut MeetingFront);
        let cases: Vec<(Change, &str)> = vec![
            (|f| f.id = "Zwolle 2030".into(), "id"),
            (|f| f.date = "14-05-2030".into(), "date"),
            (|f| f.end = Some("12:00".into()), "end"),
            (|f| f.capacity = 0, "capacity"),
            (|f| f.route = Some("osm.org/x".into()), "route"),
            (
                |f| f.registration_closes = Some("2030-05-15".into()),
                "registration_closes",
            ),
            (
                |f| f.registration_opens = Some("2030-06-01".into()),
                "registration_opens",
            ),
        ];
        for (change, key) in cases {
            let mut f = front();
            change(&mut f);
            assert_eq!(Meeting::from_front(f).unwrap_err().0, key);
        }
    }
}
