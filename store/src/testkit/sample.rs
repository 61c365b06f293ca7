//! Sample records for tests and benchmarks, built in one place: `sample::meeting("zwolle").capacity(20)
//! .build()`, with only what a test is about written out.

use jiff::Timestamp;
use opp_model::records::MeetingRecord;

/// A meeting on Sunday 10 March 2030 in Zwolle, 13.00 to 16.30, registration open until it starts.
pub fn meeting(id: &str) -> MeetingBuilder {
    MeetingBuilder(MeetingRecord {
        id: id.to_string(),
        title: format!("Bijeenkomst {id}"),
        path: "/bijeenkomsten/zwolle/".into(),
        date: "2030-03-10".into(),
        date_label: "zondag 10 maart 2030".into(),
        time_label: "13.00 tot 16.30 uur".into(),
        starts_at: Some(at("2030-03-10T12:00:00Z")),
        ends_at: Some(at("2030-03-10T15:30:00Z")),
        venue_name: "Nieuwe Buitensociëteit".into(),
        venue_address: Some("Stationsweg 7".into()),
        venue_postcode: None,
        venue_route: Some("https://www.openstreetmap.org/directions?to=52.5125,6.0944".into()),
        city: "Zwolle".into(),
        ics_path: "/bijeenkomsten/zwolle/zwolle.ics".into(),
        capacity: 20,
        waitlist_capacity: 40,
        opens_at: None,
        closes_at: at("2030-03-10T12:00:00Z"),
        over_at: at("2030-03-10T15:30:00Z"),
        expires_at: at("2030-06-10T00:00:00Z"),
        confirmed: 0,
        waitlisted: 0,
        cancelled: 0,
        waitlist_seq: 0,
        waitlist_served: 0,
        waitlist_left: 0,
        called_off: false,
        called_off_reason: None,
        change_seq: 0,
    })
}

fn at(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<Timestamp>()
        .expect("a sample time is RFC 3339")
        .as_second()
}

/// A sample meeting with some fields changed.
#[derive(Debug, Clone)]
pub struct MeetingBuilder(MeetingRecord);

impl MeetingBuilder {
    /// Seats, and twice as many places on the waiting list.
    pub fn capacity(mut self, capacity: u32) -> Self {
        self.0.capacity = capacity;
        self.0.waitlist_capacity = capacity.saturating_mul(2);
        self
    }

    pub fn waitlist_capacity(mut self, places: u32) -> Self {
        self.0.waitlist_capacity = places;
        self
    }

    /// Without times (a meeting whose content gives a date only).
    pub fn untimed(mut self) -> Self {
        self.0.starts_at = None;
        self.0.ends_at = None;
        self
    }

    /// Open from now for a year, over a day later, kept 90 days after (benchmarks, which run today).
    pub fn open_from(mut self, now: Timestamp) -> Self {
        let now = now.as_second();
        self.0.opens_at = None;
        self.0.closes_at = now + 86_400 * 365;
        self.0.over_at = now + 86_400 * 366;
        self.0.expires_at = now + 86_400 * 456;
        self
    }

    /// Any other change, on the record itself.
    pub fn with(mut self, change: impl FnOnce(&mut MeetingRecord)) -> Self {
        change(&mut self.0);
        self
    }

    pub fn build(self) -> MeetingRecord {
        self.0
    }
}
