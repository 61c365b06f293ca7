//! `opp-operations`: the organisers' operations on the registrations table, one module each, on
//! `opp_store::Store`: [`summary`], [`list`], [`export`], the [`attendance`] list, [`erase`], [`send_link`],
//! [`mail_failures`], [`sync`] (meetings from `meetings.json`), [`purge`] (the retention period) and
//! [`rekey`] (links to the current key). `opp-admin` runs them from the command line; the back office will
//! run the same ones. Errors carry a [`Failure`] kind with an exit code that scripts can rely on and a
//! message that says what to do.
//!
//! Each operation returns its result as data and writes what an organiser reads (a table, one line per
//! change, a count) to the `Write` it is given; [`progress`] shows a bar on a terminal only. The data parts
//! (`summary::summaries`, `export::rows`, `export::csv`, `export::xlsx`, `attendance::attendees`, ...) stand
//! on their own for callers that show them differently.
//!
//! A crate of its own so that what only organisers need (XLSX) never reaches the public function, and
//! without `aws-config`: credentials are the caller's business (`opp-admin` finds them the way the AWS CLI
//! does; a Lambda function has them in its environment). It may depend on `opp-store` and `opp-model`.
//!
//! What people read comes from the message catalogue (`opp_model::messages::admin`, through [`say!`]): Dutch,
//! or English with `OPP_LANG=en`. `--json` output keeps the stable English values.

/// A message of `opp_model::messages::admin`, filled in the process's language:
/// `say!(SYNC_UNCHANGED, meeting = id)`.
#[macro_export]
macro_rules! say {
    ($name:ident) => {
        opp_model::messages::admin::$name.text().to_string()
    };
    ($name:ident, $($args:tt)+) => {
        opp_model::text!(admin::$name, $($args)+).to_string()
    };
}

pub mod attendance;
pub mod erase;
pub mod export;
pub mod list;
pub mod mail_failures;
pub mod progress;
pub mod purge;
pub mod rekey;
pub mod send_link;
pub mod summary;
pub mod sync;
pub mod table;
pub mod terminal;

use std::fmt;

use jiff::Timestamp;

use opp_model::registration::{EmailProblem, email_key, is_email};
use opp_store::{RegistrationRecord, Store, Unavailable};

/// Why a command failed; each kind has its own exit code (documented in docs/organisatoren.md, "Voortgang en exitcodes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 1: the store answered with an error in the middle of the job.
    Store,
    /// 2: the command or its input is wrong (a file, a meeting id, an address).
    Input,
    /// 3: the store cannot be reached, or credentials or region are missing or refused.
    Unreachable,
    /// 4: the table does not exist.
    TableMissing,
    /// 5: a rule refused the change (a capacity below the confirmed count).
    Refused,
}

impl Failure {
    pub fn exit_code(self) -> u8 {
        match self {
            Failure::Store => 1,
            Failure::Input => 2,
            Failure::Unreachable => 3,
            Failure::TableMissing => 4,
            Failure::Refused => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationError {
    pub failure: Failure,
    pub message: String,
}

impl OperationError {
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        OperationError {
            failure,
            message: message.into(),
        }
    }

    pub fn input(message: impl Into<String>) -> Self {
        OperationError::new(Failure::Input, message)
    }
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OperationError {}

impl From<Unavailable> for OperationError {
    fn from(err: Unavailable) -> Self {
        OperationError::new(Failure::Store, say!(STORE_FAILED, err = err.0))
    }
}

/// Checks that a meeting exists and returns its registrations, for `list` and `export`.
pub async fn meeting_registrations(
    store: &Store,
    meeting: &str,
    on_page: &mut (dyn FnMut(usize) + Send),
) -> Result<Vec<RegistrationRecord>, OperationError> {
    if store.meeting(meeting).await?.is_none() {
        return Err(unknown_meeting(store, meeting).await);
    }
    Ok(store.registrations(meeting, on_page).await?)
}

/// "No meeting X" with the ids that do exist, so a typo is easy to fix.
pub async fn unknown_meeting(store: &Store, meeting: &str) -> OperationError {
    let known = match store.meetings().await {
        Ok(meetings) if !meetings.is_empty() => meetings
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        Ok(_) => say!(NO_MEETINGS_YET),
        Err(_) => say!(UNREADABLE),
    };
    OperationError::input(say!(
        UNKNOWN_MEETING,
        meeting = terminal::visible(meeting),
        table = store.table(),
        known = known
    ))
}

/// An arrival time (UTC, RFC 3339) as organisers read it: Amsterdam time to the second.
pub fn local_time(created_at: &str) -> String {
    created_at
        .parse::<Timestamp>()
        .map(|t| {
            t.to_zoned(opp_model::zone::amsterdam())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| created_at.to_string())
}

/// An address as the handler stores it ([`email_key`]: trimmed, lower-cased, an IDN domain in punycode),
/// after checking its shape. A local part outside ASCII, which the handler now refuses, is kept as it was
/// stored before: trimmed and lower-cased.
pub fn normalise_email(email: &str) -> Result<String, OperationError> {
    match email_key(email) {
        Ok(key) => Ok(key),
        Err(EmailProblem::LocalPart) if is_email(&legacy_email(email)) => Ok(legacy_email(email)),
        Err(_) => Err(OperationError::input(say!(
            NOT_AN_EMAIL,
            email = terminal::visible(&legacy_email(email))
        ))),
    }
}

/// An address as the handler stored it before IDN domains went into punycode: trimmed and lower-cased.
/// For an ASCII address the same as [`normalise_email`].
pub fn legacy_email(email: &str) -> String {
    opp_model::registration::normalise_email(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_times_are_shown_in_amsterdam_time() {
        assert_eq!(
            local_time("2030-01-15T11:00:00.000001Z"),
            "2030-01-15 12:00:00"
        );
        assert_eq!(local_time("2030-07-15T11:00:00.5Z"), "2030-07-15 13:00:00");
        assert_eq!(local_time("not a time"), "not a time");
    }

    #[test]
    fn addresses_are_normalised_like_the_handler_does() {
        assert_eq!(
            normalise_email(" Anna@School.NL ").unwrap(),
            "anna@school.nl"
        );
        let err = normalise_email("anna").unwrap_err();
        assert_eq!(err.failure, Failure::Input);
        assert_eq!(
            normalise_email(" Anna@Bücher.example").unwrap(),
            "anna@xn--bcher-kva.example",
            "the key the handler stores"
        );
        assert_eq!(
            normalise_email("Zoë@example.nl").unwrap(),
            "zoë@example.nl",
            "as rows from before the handler refused it were stored"
        );
        assert_eq!(legacy_email(" Anna@Bücher.example"), "anna@bücher.example");
    }
}
