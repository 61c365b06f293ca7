//! The mail ledger: sent once, as far as SES allows. SES has no idempotency token, so each email has a key
//! (`link_id`, kind, version) and a ledger item in the table: claimed before sending, marked `sent` after.
//! A redelivered record finds `sent` and sends nothing. The one window left is a crash (or a lost answer)
//! between SES accepting a message and the mark: the next delivery sends it again, once.
//!
//! Their keys are in the table's one layout (`opp_store::keys`: `MAIL#<link_id>` / `<kind>#<version>`,
//! and `MAILFAIL` / `<time>#<link_id>#<kind>#<version>`). Neither holds an address. Ledger items live 7 days (stream records 24 hours); failures 30 days, for
//! `opp-admin mail-failures`.

use aws_sdk_dynamodb::types::ReturnValue;
use jiff::Timestamp;

use crate::codec::{get_s, n, s};
use crate::outcome::condition_failed;
use crate::read::query_all;
use crate::{PARTITION_KEY, SORT_KEY, Store, TTL_ATTRIBUTE, Unavailable, keys, unavailable};

/// How long a ledger item is kept (days).
pub const LEDGER_DAYS: i64 = 7;
/// How long a failure record is kept (days).
pub const FAILURE_DAYS: i64 = 30;

/// Which email: whose (the registration's `link_id`, or its id before link ids), which kind, which version
/// (a meeting's change number, a link request's id; `1` for the once-only kinds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailKey {
    pub subject: String,
    pub kind: &'static str,
    pub version: String,
}

impl MailKey {
    fn pk(&self) -> String {
        keys::mail_ledger_pk(&self.subject)
    }
    fn sk(&self) -> String {
        keys::mail_ledger_sk(self.kind, &self.version)
    }
}

/// What the ledger says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Send it: this is delivery attempt `attempt` (1 the first time).
    Send { attempt: u32 },
    /// Sent already, or given up on and recorded: send nothing.
    Done,
}

/// A message the mailer gave up on (`opp-admin mail-failures`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFailure {
    pub failed_at: String,
    pub link_id: String,
    pub kind: String,
    pub version: String,
    pub error: String,
}

pub async fn claim(store: &Store, key: &MailKey, now: Timestamp) -> Result<Claim, Unavailable> {
    let result = store
        .client()
        .update_item()
        .table_name(store.table())
        .key(PARTITION_KEY, s(&key.pk()))
        .key(SORT_KEY, s(&key.sk()))
        .update_expression(
            "SET #state = if_not_exists(#state, :sending), attempts = if_not_exists(attempts, :zero) + :one, \
             #type = :type, #ttl = if_not_exists(#ttl, :expires), attempted_at = :now",
        )
        .condition_expression("attribute_not_exists(PK) OR #state = :sending")
        .expression_attribute_names("#state", "state")
        .expression_attribute_names("#type", "type")
        .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
        .expression_attribute_values(":sending", s("sending"))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":type", s("mail"))
        .expression_attribute_values(":expires", n(now.as_second() + LEDGER_DAYS * 86_400))
        .expression_attribute_values(":now", s(&crate::arrival_time(now)))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match result {
        Ok(output) => {
            let attempt = output
                .attributes()
                .and_then(|item| item.get("attempts"))
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            Ok(Claim::Send { attempt })
        }
        Err(err) if condition_failed(&err) => Ok(Claim::Done),
        Err(err) => Err(unavailable("UpdateItem mail ledger", err)),
    }
}

/// One email of a registration as the ledger holds it (the last [`LEDGER_DAYS`] days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub kind: String,
    pub version: String,
    /// `sending`, `sent` or `failed`.
    pub state: String,
    /// The last delivery attempt (RFC 3339, UTC); empty for items from before it was kept.
    pub attempted_at: String,
}

/// The emails of one subject (a registration's `link_id`), oldest attempt first.
pub async fn history(store: &Store, subject: &str) -> Result<Vec<LedgerEntry>, Unavailable> {
    let query = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("#pk = :pk")
        .expression_attribute_names("#pk", PARTITION_KEY)
        .expression_attribute_values(":pk", s(&keys::mail_ledger_pk(subject)));
    let items = query_all(query)
        .await
        .map_err(|err| unavailable("Query mail ledger", err))?;
    let mut entries: Vec<LedgerEntry> = items
        .iter()
        .filter_map(|item| {
            let sk = get_s(item, SORT_KEY)?;
            let (kind, version) = sk.split_once('#')?;
            Some(LedgerEntry {
                kind: kind.to_string(),
                version: version.to_string(),
                state: get_s(item, "state").unwrap_or_default(),
                attempted_at: get_s(item, "attempted_at").unwrap_or_default(),
            })
        })
        .collect();
    entries.sort_by(|a, b| a.attempted_at.cmp(&b.attempted_at));
    Ok(entries)
}

/// Marks a claimed key `sent` (or `failed`).
pub async fn mark(store: &Store, key: &MailKey, state: &str) -> Result<(), Unavailable> {
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key(PARTITION_KEY, s(&key.pk()))
        .key(SORT_KEY, s(&key.sk()))
        .update_expression("SET #state = :state")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":state", s(state))
        .send()
        .await
        .map_err(|err| unavailable("UpdateItem mail ledger mark", err))?;
    Ok(())
}

/// Records that the mailer gave up on this message, and closes its ledger item.
pub async fn record_failure(
    store: &Store,
    key: &MailKey,
    error: &str,
    now: Timestamp,
) -> Result<(), Unavailable> {
    let failed_at = crate::arrival_time(now);
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item(PARTITION_KEY, s(keys::MAIL_FAILURES_PK))
        .item(
            SORT_KEY,
            s(&keys::mail_failure_sk(
                &failed_at,
                &key.subject,
                key.kind,
                &key.version,
            )),
        )
        .item("type", s("mail_failure"))
        .item("link_id", s(&key.subject))
        .item("kind", s(key.kind))
        .item("version", s(&key.version))
        .item("error", s(&without_addresses(error)))
        .item("failed_at", s(&failed_at))
        .item(TTL_ATTRIBUTE, n(now.as_second() + FAILURE_DAYS * 86_400))
        .send()
        .await
        .map_err(|err| unavailable("PutItem mail failure", err))?;
    mark(store, key, "failed").await
}

/// Every failure record still kept, oldest first.
pub async fn failures(store: &Store) -> Result<Vec<MailFailure>, Unavailable> {
    let query = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", s(keys::MAIL_FAILURES_PK))
        .consistent_read(true);
    let items = query_all(query)
        .await
        .map_err(|err| unavailable("Query mail failures", err))?;
    Ok(items
        .iter()
        .map(|item| {
            let get = |k: &str| get_s(item, k).unwrap_or_default();
            MailFailure {
                failed_at: get("failed_at"),
                link_id: get("link_id"),
                kind: get("kind"),
                version: get("version"),
                error: get("error"),
            }
        })
        .collect())
}

/// SES names the addresses it refuses in its messages; failure records and logs keep none.
pub fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains('@') { "<adres>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_no_address() {
        assert_eq!(
            without_addresses("MessageRejected: Email address is not verified: a@example.nl, ok"),
            "MessageRejected: Email address is not verified: <adres> ok"
        );
    }
}
