//! The table's key layout: one table, string keys `PK`/`SK`, the `email-index` for erasure requests, the
//! `check-in-index` for codes scanned at the door, TTL on `expires_at`. Every key of every item type is made here.
//!
//! | item         | PK                 | SK             |
//! |--------------|--------------------|----------------|
//! | meeting      | `MEETINGS`         | `MEETING#<id>` |
//! | registration | `MEETING#<id>`     | `REG#<email>`  |
//! | token        | `TOKEN#<sha256>`   | `TOKEN`        |
//! | link request | `LINKREQ#<hmac>`   | `REQ#<id>`     |
//! | link rate    | `LINKREQ#<hmac>`   | `RATE`         |
//! | mail budget  | `ADDRESS#<hmac>`   | `MAILBUDGET`   |
//! | sent message | `SESMSG#<message id>` | `SESMSG`    |
//! | move pointer | `MOVE#<sha256>`    | `MOVE`         |
//! | mail ledger  | `MAIL#<link_id>`   | `<kind>#<version>` |
//! | mail failure | `MAILFAIL`         | `<time>#<link_id>#<kind>#<version>` |
//! | console session | `SESSION#<sha256>` | `SESSION`   |
//! | sign-in attempt | `SIGNIN#<sha256>`  | `SIGNIN`    |
//! | audit entry  | `AUDIT#<yyyy-mm-dd>` | `<time>#<random>` |
//!
//! A link request ("Link kwijt?") is keyed by an HMAC of the address (`LinkKeys::address_hash`) and
//! carries the address in `email`, so the `email-index` finds it for erasure; it lives one day. The rate
//! item (the mailer's last `link` email to the address) holds no address, and neither does the mail
//! budget (`mail_budget`: the visitor-triggered mails to one address in the current window).
//!
//! [`registration_parts`] lists every item that belongs to one registration: retention and erasure go
//! through it, so an item type added later is kept and removed with the rest.

pub const PARTITION_KEY: &str = "PK";
pub const SORT_KEY: &str = "SK";
pub const EMAIL_INDEX: &str = "email-index";
pub const EMAIL_ATTRIBUTE: &str = "email";
/// Sparse: only registrations carry `check_in_code`, so a scanned code finds its meeting and person.
pub const CHECK_IN_INDEX: &str = "check-in-index";
pub const TTL_ATTRIBUTE: &str = "expires_at";
pub(super) const MEETINGS_PK: &str = "MEETINGS";
/// The sort key of every token item.
pub(super) const TOKEN_SK: &str = "TOKEN";
/// Registrations' sort keys start with this.
pub(super) const REGISTRATION_SK_PREFIX: &str = "REG#";

/// The mailer's ledger (one item per email: claimed, then sent) and its failure records; both hold no
/// address. The mailer (`opp_store::mail_ledger`) writes them, `opp-admin mail-failures` reads the failures.
pub const MAIL_FAILURES_PK: &str = "MAILFAIL";

pub fn mail_ledger_pk(subject: &str) -> String {
    format!("MAIL#{subject}")
}

pub fn mail_ledger_sk(kind: &str, version: &str) -> String {
    format!("{kind}#{version}")
}

pub fn mail_failure_sk(failed_at: &str, subject: &str, kind: &str, version: &str) -> String {
    format!("{failed_at}#{subject}#{kind}#{version}")
}

/// Link requests' partition keys start with this.
pub const LINK_REQUEST_PK_PREFIX: &str = "LINKREQ#";
pub(super) const LINK_RATE_SK: &str = "RATE";

pub(super) fn link_request_pk(address_hash: &str) -> String {
    format!("{LINK_REQUEST_PK_PREFIX}{address_hash}")
}

/// The address hash a link request's partition key holds; None for any other key.
pub fn link_request_address_hash(pk: &str) -> Option<&str> {
    pk.strip_prefix(LINK_REQUEST_PK_PREFIX)
}

/// A message SES accepted, by its message id, with the address it went to (`sent_messages`).
pub const SENT_MESSAGE_PK_PREFIX: &str = "SESMSG#";
pub(super) const SENT_MESSAGE_SK: &str = "SESMSG";

/// An address move's confirmation link: the SHA-256 of its token, pointing at the registration (`moves`).
pub const MOVE_POINTER_PK_PREFIX: &str = "MOVE#";
pub(super) const MOVE_POINTER_SK: &str = "MOVE";

/// The mail budget's item: per address (an HMAC, as link requests), one sort key.
pub(super) const MAIL_BUDGET_SK: &str = "MAILBUDGET";

pub(super) fn address_pk(address_hash: &str) -> String {
    format!("ADDRESS#{address_hash}")
}

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

/// The kinds of item that belong to one registration: they share its retention date (`expires_at`,
/// rewritten by sync when a meeting moves) and are removed with it (cancel-over, erasure, purge).
/// Work that adds an item per registration adds its kind here, and [`registration_parts`] gives its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RegistrationPart {
    /// The registration itself.
    Registration,
    /// A personal link's token item (a registration may hold more than one over its life).
    LinkToken,
}

/// The keys of every item of one registration: the registration first, then each link token.
pub(super) fn registration_parts(
    meeting: &str,
    email: &str,
    token_hashes: &[&str],
) -> Vec<(RegistrationPart, String, String)> {
    let mut parts = vec![(
        RegistrationPart::Registration,
        registration_pk(meeting),
        registration_sk(email),
    )];
    parts.extend(
        token_hashes
            .iter()
            .filter(|hash| !hash.is_empty())
            .map(|hash| {
                (
                    RegistrationPart::LinkToken,
                    token_pk(hash),
                    TOKEN_SK.to_string(),
                )
            }),
    );
    parts
}
