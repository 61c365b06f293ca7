//! `opp-store`: the registrations table of the Landelijk OPP Project. One table (layout in [`keys`]), and
//! every change that touches a seat is one TransactWriteItems, so counters always equal the items. Every
//! program that reads or writes the table (the function, the mailer, `opp-admin`, `cargo dev`, the back
//! office) goes through this crate; none of them depends on another.
//!
//! One module per concern:
//! - the table: [`keys`] (item layout), `codec` (attribute encoding), `schema` (creating and describing it),
//!   `cache` (meeting details reused when registering), `read`, `outcome` (a transaction's answer by named
//!   slot, and [`outcome::condition_failed`]), `retry` (the one retry policy and time budget);
//! - one module per change: `register`, `cancel` (with promotion), `details` (corrections from the personal
//!   page), [`meeting_moves`] (to another meeting, from the back office), [`moves`] (a move to another address, confirmed by that address), `sync` (meeting items from `meetings.json`), `rekey` (links to the current key), `erasure`,
//!   `retention`, `registration_marks` (reminder due, bounce or complaint);
//! - `meeting_lists` (whole meetings and one address's registrations, for organisers), `link_requests`
//!   ("link kwijt?" requests and their rate item), [`mail_budget`] (the mails a visitor can trigger per
//!   address), `sent_messages` (SES message ids and their address, for bounces), [`mail_ledger`] (each email sent once, and the failures);
//! - the back office: [`sessions`] (its sessions and sign-in attempts, kept on the server), [`audit`] (who
//!   saw or did what, only ever added to), [`notes`] (organisers' notes on a registration) and [`check_in`]
//!   (at the door);
//! - around the table: [`aws`] (every AWS client's settings and constructors), [`link_keys`] (where the link
//!   key ring comes from), [`origin_secret`] (CloudFront's header, checked by the function and the back office) and [`logging`] (JSON logs without personal data, for every Lambda function).
//!
//! Records are plain Rust from `opp_model::records`; nothing here knows HTTP.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;

pub use opp_model::records::RegistrationRecord;
use opp_model::records::{MeetingRecord, WaitlistPlace};

pub mod audit;
pub mod aws;
mod cache;
mod cancel;
pub mod check_in;
mod codec;
mod details;
mod erasure;
pub mod keys;
pub mod link_keys;
mod link_requests;
pub mod logging;
pub mod mail_budget;
pub mod mail_ledger;
mod meeting_lists;
pub mod meeting_moves;
pub mod messages;
pub mod moves;
pub mod notes;
pub mod origin_secret;
pub mod outcome;
mod read;
mod register;
mod registration_marks;
mod rekey;
mod retention;
mod retry;
mod schema;
mod sent_messages;
pub mod sessions;
mod sync;

use cache::MeetingCache;
pub use codec::arrival_time;
pub use details::{DetailsOutcome, EMAIL_CHANGED_AT};
pub use erasure::Removed;
pub use keys::{EMAIL_ATTRIBUTE, EMAIL_INDEX, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
pub use meeting_lists::MeetingActivity;
pub use read::RegistrationHistory;
pub use register::{Registered, VisitorLimits};
pub use registration_marks::{EMAIL_STATUS, REMINDER_DUE};
pub use retention::Expired;
pub use sync::{MeetingRemoval, PutMeetingError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Confirmed,
    /// On the waiting list; the place is unknown only for registrations from before tickets.
    Waitlisted {
        place: Option<WaitlistPlace>,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum RegisterError {
    Duplicate,
    /// This address cancelled and registered again for this meeting too often today; nothing stored.
    TooOften,
    UnknownMeeting,
    Closed,
    /// No seat left and the waiting list is at its limit.
    Full,
    /// Nothing was stored (the store failed or stayed busy); the message is for logs.
    Unavailable(String),
    /// A write's outcome is unknown and the table could not be read to tell: it may or may not be stored.
    Unknown,
}

/// The store could not be reached or answered with an error; the message is for logs (no personal data).
#[derive(Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl From<Unavailable> for RegisterError {
    fn from(err: Unavailable) -> Self {
        RegisterError::Unavailable(err.0)
    }
}

/// The link a registration is stored with. The token's hash keys its token item; a derived link also
/// carries its id and key version, so whoever holds the key can form the link again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLink {
    pub token_hash: String,
    pub link_id: Option<String>,
    pub key_version: Option<u32>,
}

impl IssuedLink {
    pub fn derived(link: &opp_model::links::DerivedLink) -> IssuedLink {
        IssuedLink {
            token_hash: opp_model::token::hash(&link.token),
            link_id: Some(link.link_id.clone()),
            key_version: Some(link.key_version),
        }
    }

    /// A random token's link (before link keys; tests of other parts): it cannot be formed again.
    pub fn random(token_hash: impl Into<String>) -> IssuedLink {
        IssuedLink {
            token_hash: token_hash.into(),
            link_id: None,
            key_version: None,
        }
    }
}

impl From<&str> for IssuedLink {
    fn from(token_hash: &str) -> Self {
        IssuedLink::random(token_hash)
    }
}

impl From<&String> for IssuedLink {
    fn from(token_hash: &String) -> Self {
        IssuedLink::random(token_hash.as_str())
    }
}

impl From<&IssuedLink> for IssuedLink {
    fn from(link: &IssuedLink) -> Self {
        link.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// `mail_withheld`: the cancellation email is not sent (over the address's mail budget).
    Cancelled {
        promoted: bool,
        mail_withheld: bool,
    },
    AlreadyCancelled,
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
    meeting_cache: MeetingCache,
    /// Days registrations are kept after a meeting whose item has no retention date of its own.
    fallback_retention_days: u32,
}

/// The privacy statement's default, used only for meeting items synced without a retention date.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

fn unavailable<E: std::fmt::Debug>(operation: &str, err: SdkError<E>) -> Unavailable {
    let kind = match &err {
        SdkError::DispatchFailure(_) => "the store could not be reached".to_string(),
        SdkError::TimeoutError(_) => "the store did not answer in time".to_string(),
        SdkError::ServiceError(service) => format!("the store refused: {:?}", service.err()),
        other => format!("{other:?}"),
    };
    Unavailable(format!("{operation}: {kind}"))
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> Unavailable {
    Unavailable(format!("request could not be built: {err}"))
}

/// A registration item as the table (or its stream) holds it; None when it is not one.
pub fn registration_from_item(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Option<RegistrationRecord> {
    codec::registration_from_item(item)
}

/// A meeting item as the table (or its stream) holds it; None when it is not one.
pub fn meeting_from_item(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> Option<MeetingRecord> {
    codec::meeting_from_item(item)
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Store {
            client,
            table: table.into(),
            meeting_cache: MeetingCache::default(),
            fallback_retention_days: DEFAULT_RETENTION_DAYS,
        }
    }

    /// Sets the retention for meeting items that lack `registration_expires_at` (the `RETENTION_DAYS`
    /// environment variable of the function; `opp-admin sync-meetings` normally sets the date per meeting).
    pub fn with_fallback_retention(mut self, days: u32) -> Self {
        self.fallback_retention_days = days;
        self
    }

    /// When a meeting's registrations are to be deleted (epoch seconds).
    fn retention_end(&self, meeting: &MeetingRecord) -> i64 {
        if meeting.expires_at > 0 {
            meeting.expires_at
        } else {
            meeting.over_at + i64::from(self.fallback_retention_days) * 86_400
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[cfg(feature = "testkit")]
pub mod testkit;
