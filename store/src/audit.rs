//! The back office's audit log: who (the provider's subject and name) did or saw what (an action, a
//! meeting id, a registration id; never a registrant's name or address), and when. One partition per day
//! (`AUDIT#<yyyy-mm-dd>`), sort key the time and a random suffix, kept `keep_days` (TTL). Entries are only
//! ever added: the write is conditional on the key being new, and the console's IAM role may not update
//! or delete them (infra/template.yaml).

use jiff::Timestamp;

use super::codec::{Item, arrival_time, get_s, n, new_registration_id, s};
use super::keys::{PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE};
use super::read::query_all;
use super::{Store, Unavailable, unavailable};

pub const AUDIT_PK_PREFIX: &str = "AUDIT#";

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEntry {
    /// When (RFC 3339, UTC); set by [`Store::add_audit_entry`].
    pub at: String,
    /// The organiser: the provider's `sub`, and the name it gave.
    pub actor: String,
    pub actor_name: String,
    /// What happened, a fixed word (`sign-in`, `view-list`, `download-csv`, ...).
    pub action: String,
    pub meeting: Option<String>,
    pub registration_id: Option<String>,
    /// A short fixed remark without personal data (a download's format, a refused role).
    pub detail: Option<String>,
}

/// The day partition of a moment (UTC date).
fn audit_pk(at: Timestamp) -> String {
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    format!("{AUDIT_PK_PREFIX}{date}")
}

impl Store {
    /// Adds `entry` at `now`, kept `keep_days` days.
    pub async fn add_audit_entry(
        &self,
        entry: &AuditEntry,
        now: Timestamp,
        keep_days: u32,
    ) -> Result<(), Unavailable> {
        let at = arrival_time(now);
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&audit_pk(now)))
            .item(SORT_KEY, s(&format!("{at}#{}", new_registration_id())))
            .item("type", s("audit"))
            .item("at", s(&at))
            .item("actor", s(&entry.actor))
            .item("actor_name", s(&entry.actor_name))
            .item("action", s(&entry.action))
            .item(
                TTL_ATTRIBUTE,
                n(now.as_second() + i64::from(keep_days) * 86_400),
            )
            .condition_expression("attribute_not_exists(PK)");
        for (name, value) in [
            ("meeting", &entry.meeting),
            ("registration_id", &entry.registration_id),
            ("detail", &entry.detail),
        ] {
            if let Some(value) = value {
                put = put.item(name, s(value));
            }
        }
        put.send()
            .await
            .map_err(|err| unavailable("PutItem audit entry", err))?;
        Ok(())
    }

    /// The entries of one day (UTC, `day` as `yyyy-mm-dd`), newest first.
    pub async fn audit_entries(
        &self,
        day: jiff::civil::Date,
    ) -> Result<Vec<AuditEntry>, Unavailable> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":pk", s(&format!("{AUDIT_PK_PREFIX}{day}")))
            .scan_index_forward(false);
        let items = query_all(query)
            .await
            .map_err(|err| unavailable("Query audit entries", err))?;
        Ok(items.iter().filter_map(audit_from_item).collect())
    }
}

fn audit_from_item(item: &Item) -> Option<AuditEntry> {
    Some(AuditEntry {
        at: get_s(item, "at")?,
        actor: get_s(item, "actor")?,
        actor_name: get_s(item, "actor_name").unwrap_or_default(),
        action: get_s(item, "action")?,
        meeting: get_s(item, "meeting"),
        registration_id: get_s(item, "registration_id"),
        detail: get_s(item, "detail"),
    })
}
