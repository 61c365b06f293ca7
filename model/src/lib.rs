//! `opp-model`: what more than one binary of the Landelijk OPP Project must agree on.
//!
//! - [`check_in_code`]: the code a seat shows at the door, its short form and how typed codes are read;
//! - [`config`]: the site configuration (`config.yaml`) and its rules;
//! - [`meetings_json`]: the `meetings.json` contract, written by the generator and read by the handler and
//!   `opp-admin`;
//! - [`status`]: a registration's status and a meeting's status, each with one string mapping;
//! - [`urls`]: the site's URL rules (`url_for` and `asset` paths, page URLs from content paths);
//! - [`zone`]: Amsterdam time, the one time zone the project publishes in;
//! - [`messages`]: the message catalogue, Dutch by default and English with `OPP_LANG=en`;
//! - [`links`]: personal links, `HMAC(link key, link_id)`, and the key ring;
//! - [`calendar`]: calendar files (RFC 5545), and [`calendar::registration_uid`], the one calendar UID of a
//!   registration; [`registration_calendar`]: a registration's own `.ics`;
//! - [`registration`]: the registration rules (what a form may hold, normalised addresses and names);
//! - [`records`]: the table's meeting and registration records as plain Rust;
//! - [`token`]: link tokens (the random kind, and the hash the table keeps);
//! - [`routes`]: every path the registration function answers, from `registration_endpoint`.
//!
//! This crate holds plain data and rules: no AWS, no Tera, no I/O.

pub mod calendar;
pub mod cdn;
pub mod check_in_code;
pub mod config;
pub mod links;
pub mod meetings_json;
pub mod messages;
pub mod records;
pub mod registration;
pub mod registration_calendar;
pub mod routes;
pub mod status;
pub mod token;
pub mod urls;
pub mod zone;

pub use status::{MeetingStatus, RegistrationStatus};
