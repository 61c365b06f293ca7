//! The table's records as plain Rust, without AWS types: a meeting item (made from the generator's
//! `meetings.json`, whose types live in [`crate::meetings_json`]) and a registration item. `opp-store`
//! reads and writes them; the function, the mailer and the organisers' tools show them.

use jiff::Timestamp;
use serde::Serialize;

use crate::RegistrationStatus;

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
    /// How to get there (the venue's `route` in the content), for the emails.
    pub venue_route: Option<String>,
    pub city: String,
    pub ics_path: String,
    pub capacity: u32,
    /// How many may wait for a seat; a full waiting list closes registration (0: no waiting list).
    pub waitlist_capacity: u32,
    /// Epoch seconds.
    pub opens_at: Option<i64>,
    pub closes_at: i64,
    pub over_at: i64,
    /// When registrations for this meeting are to be deleted (epoch seconds): held + retention.
    pub expires_at: i64,
    pub confirmed: u32,
    pub waitlisted: u32,
    pub cancelled: u32,
    /// The last waiting-list ticket handed out (tickets count 1, 2, 3, … per meeting).
    pub waitlist_seq: u32,
    /// Tickets served: waiting people who got a seat, always in ticket order.
    pub waitlist_served: u32,
    /// Waiting people who cancelled (or were removed) before their turn: they make positions approximate.
    pub waitlist_left: u32,
    /// An editor called the meeting off (`meeting.called_off` in the content), and why.
    pub called_off: bool,
    pub called_off_reason: Option<String>,
    /// Raised by sync each time the date, time or venue really change (the mailer's `changed`, and the
    /// calendar files' SEQUENCE); 0 for a meeting never changed.
    pub change_seq: u32,
}

/// Where a waiting person stands: `ticket - served`, which cancellations ahead can only make smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitlistPlace {
    /// 1 for the first in line.
    pub number: u32,
    /// Someone on the waiting list cancelled: the real place may be lower than `number`.
    pub approximate: bool,
}

/// What a new registration should try for: a seat only while seats are free and nobody waits, so
/// nobody can overtake the waiting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Seat,
    WaitingList,
    /// No seat and the waiting list is at its limit: registration is closed for now.
    Nothing,
}

/// The same four states the site shows, so the handler's pages and the static pages agree.
pub use crate::MeetingStatus;
use crate::meetings_json::MeetingsFile;

impl MeetingRecord {
    pub fn status(&self, now: Timestamp) -> MeetingStatus {
        MeetingStatus::of(
            self.called_off,
            now.as_second(),
            self.opens_at,
            self.closes_at,
            self.over_at,
        )
    }

    pub fn places_left(&self) -> u32 {
        self.capacity.saturating_sub(self.confirmed)
    }

    pub fn wanted(&self) -> Wanted {
        if self.confirmed < self.capacity && self.waitlisted == 0 {
            Wanted::Seat
        } else if self.waitlisted < self.waitlist_capacity {
            Wanted::WaitingList
        } else {
            Wanted::Nothing
        }
    }

    /// Both seats and waiting list are taken.
    pub fn is_full(&self) -> bool {
        self.wanted() == Wanted::Nothing
    }

    /// The place of the waiting person holding `ticket`.
    pub fn waitlist_place(&self, ticket: u32) -> WaitlistPlace {
        WaitlistPlace {
            number: ticket.saturating_sub(self.waitlist_served).max(1),
            approximate: self.waitlist_left > 0,
        }
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
            let waitlist_capacity = m.waitlist_capacity();
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
                venue_route: m.venue.route,
                city: m.venue.city,
                capacity: m.capacity,
                waitlist_capacity,
                confirmed: 0,
                waitlisted: 0,
                cancelled: 0,
                waitlist_seq: 0,
                waitlist_served: 0,
                waitlist_left: 0,
                called_off: m.called_off,
                called_off_reason: m.called_off_reason,
                change_seq: 0,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// Opaque and stable for the registration's life: the calendar UID is made from it.
    pub registration_id: String,
    pub meeting: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub sector: Option<String>,
    pub organisation: Option<String>,
    pub needs: Option<String>,
    pub status: RegistrationStatus,
    pub created_at: String,
    /// When it got a seat from the waiting list (RFC 3339, UTC); None when it never waited or still waits.
    pub promoted_at: Option<String>,
    /// The waiting-list ticket it got when it joined the list (None before tickets existed).
    pub waitlist_ticket: Option<u32>,
    /// The id its link is derived from, and the key version (None for links from before link keys).
    pub link_id: Option<String>,
    pub key_version: Option<u32>,
    /// `bounced` or `complained` when SES reported so for this address (None: nothing reported).
    pub email_status: Option<String>,
    pub token_hash: String,
    /// Earlier tokens that still open the registration (a legacy random one after re-keying, or one of an
    /// older key version until `rekey-links --revoke-old`).
    pub previous_token_hashes: Vec<String>,
    /// Its last visitor-triggered email (confirmation after registering again, cancellation, move) was
    /// not sent: the address's mail budget was used up. The personal page says so.
    pub mail_withheld: bool,
    /// A move to another address that waits for that address to confirm it (until `expires_at`, epoch s).
    pub pending_move: Option<PendingMove>,
    /// Checked in at the door (the back office): when, and by whom.
    pub checked_in: Option<CheckedIn>,
    /// The code its seat shows at the door ([`crate::check_in_code`]); None for registrations from before codes.
    pub check_in_code: Option<String>,
}

impl RegistrationRecord {
    /// The check-in code to show: only for a seat at a meeting that goes on (a waiting-list place, a
    /// cancelled registration and a called-off meeting have no valid code).
    pub fn valid_check_in_code(&self, meeting: &MeetingRecord) -> Option<&str> {
        (self.status == crate::RegistrationStatus::Confirmed && !meeting.called_off)
            .then_some(self.check_in_code.as_deref())
            .flatten()
    }
}

/// A check-in at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIn {
    /// RFC 3339, UTC.
    pub at: String,
    /// The organiser who checked the person in (the provider's name).
    pub by: String,
}

/// An address move asked for on the personal page: it takes effect only when the new address opens the
/// link mailed to it, within a day. Until then the registration stays with its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMove {
    /// The new address.
    pub to: String,
    /// Random; the confirmation link is derived from it (`LinkKeys::move_token`).
    pub id: String,
    /// The link key version the confirmation link is derived with.
    pub key_version: u32,
    pub expires_at: i64,
}

impl RegistrationRecord {
    /// Every token hash that opens this registration: the current one first.
    pub fn token_hashes(&self) -> Vec<&str> {
        std::iter::once(self.token_hash.as_str())
            .chain(self.previous_token_hashes.iter().map(String::as_str))
            .collect()
    }

    /// Whether `hash` is one of this registration's live tokens.
    pub fn has_token(&self, hash: &str) -> bool {
        self.token_hashes().contains(&hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting(capacity: u32, confirmed: u32, waitlisted: u32) -> MeetingRecord {
        MeetingRecord {
            id: "m".into(),
            title: String::new(),
            path: "/".into(),
            date: "2030-03-10".into(),
            date_label: String::new(),
            time_label: String::new(),
            starts_at: None,
            ends_at: None,
            venue_name: String::new(),
            venue_address: None,
            venue_postcode: None,
            venue_route: None,
            city: String::new(),
            ics_path: String::new(),
            capacity,
            waitlist_capacity: 2,
            opens_at: None,
            closes_at: 0,
            over_at: 0,
            expires_at: 0,
            confirmed,
            waitlisted,
            cancelled: 0,
            waitlist_seq: 0,
            waitlist_served: 0,
            waitlist_left: 0,
            called_off: false,
            called_off_reason: None,
            change_seq: 0,
        }
    }

    #[test]
    fn a_free_seat_goes_to_a_newcomer_only_when_nobody_waits() {
        assert_eq!(meeting(2, 1, 0).wanted(), Wanted::Seat);
        // Capacity was raised while people wait: they go first (sync promotes them).
        assert_eq!(meeting(3, 2, 1).wanted(), Wanted::WaitingList);
        assert_eq!(meeting(2, 2, 1).wanted(), Wanted::WaitingList);
        assert_eq!(meeting(2, 2, 2).wanted(), Wanted::Nothing);
        assert!(meeting(2, 2, 2).is_full());
    }

    #[test]
    fn a_place_is_the_ticket_minus_those_served_and_approximate_after_a_cancellation() {
        let mut m = meeting(2, 2, 3);
        m.waitlist_seq = 5;
        m.waitlist_served = 2;
        assert_eq!(
            m.waitlist_place(5),
            WaitlistPlace {
                number: 3,
                approximate: false
            }
        );
        m.waitlist_left = 1;
        assert!(m.waitlist_place(5).approximate);
        // A ticket already served (a stale read) never shows as 0 or below.
        assert_eq!(m.waitlist_place(1).number, 1);
    }
}
