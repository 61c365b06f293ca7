//! The table's key layout: one table, string keys `PK`/`SK`, the `email-index` for erasure requests, TTL on
//! `expires_at`. Every key of every item type is made here.
//!
//! | item         | PK                 | SK             |
//! |--------------|--------------------|----------------|
//! | meeting      | `MEETINGS`         | `MEETING#<id>` |
//! | registration | `MEETING#<id>`     | `REG#<email>`  |
//! | token        | `TOKEN#<sha256>`   | `TOKEN`        |

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
pub const EMAIL_INDEX: &str = "email-index";
pub const EMAIL_ATTRIBUTE: &str = "email";
pub const TTL_ATTRIBUTE: &str = "expires_at";
pub(super) const MEETINGS_PK: &str = "MEETINGS";
/// The sort key of every token item.
pub(super) const TOKEN_SK: &str = "TOKEN";
/// Registrations' sort keys start with this.
pub(super) const REGISTRATION_SK_PREFIX: &str = "REG#";

pub(super) fn meeting_sk(id: &str) -> String {
    format!("MEETING#{id}")
}

pub(super) fn registration_pk(meeting: &str) -> String {
    format!("MEETING#{meeting}")
}

pub(super) fn registration_sk(email: &str) -> String {
    format!("{REGISTRATION_SK_PREFIX}{email}")
}

pub(super) fn token_pk(hash: &str) -> String {
    format!("TOKEN#{hash}")
}
