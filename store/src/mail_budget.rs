//! The budget on the mails a visitor can trigger, per address: one counter item (`ADDRESS#<hmac>` /
//! `MAILBUDGET`, no address in it) that allows `limit` mails in a window. The function takes a slot
//! before it re-registers, cancels or moves a registration, and marks the change `mail_withheld` when
//! none is left; the mailer takes one before a "link kwijt?" email. The change itself always goes ahead.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use crate::codec::{n, s};
use crate::keys::{MAIL_BUDGET_SK, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, address_pk};
use crate::outcome::condition_failed;
use crate::{Store, Unavailable, unavailable};

/// The mark on a registration whose visitor-triggered email was not sent: over the address's budget.
/// The mailer sends nothing for that change; the personal page says so.
pub const MAIL_WITHHELD: &str = "mail_withheld";

/// The budget's size and window (config.yaml's `limits:`), and the key ring its key is derived from.
#[derive(Clone, Debug)]
pub struct MailBudget {
    pub keys: std::sync::Arc<opp_model::links::LinkKeys>,
    pub per_address: u32,
    pub window_seconds: i64,
}

impl MailBudget {
    pub fn new(
        keys: std::sync::Arc<opp_model::links::LinkKeys>,
        limits: &opp_model::config::Limits,
    ) -> MailBudget {
        MailBudget {
            keys,
            per_address: limits.mails_per_address,
            window_seconds: limits.mail_window_seconds(),
        }
    }

    fn address_hash(&self, email: &str) -> String {
        self.keys.address_hash(email)
    }
}

impl Store {
    /// Takes one mail slot of `email`'s budget: true when the mail may be sent. A slot taken for a change
    /// that then fails is not handed back (the budget errs on the side of less mail).
    pub async fn take_mail_slot(
        &self,
        budget: &MailBudget,
        email: &str,
        now: Timestamp,
    ) -> Result<bool, Unavailable> {
        self.take_mail_slot_by_hash(budget, &budget.address_hash(email), now)
            .await
    }

    /// As [`Store::take_mail_slot`], for an address known only by its hash (a link request's key).
    pub async fn take_mail_slot_by_hash(
        &self,
        budget: &MailBudget,
        address_hash: &str,
        now: Timestamp,
    ) -> Result<bool, Unavailable> {
        if budget.per_address == 0 {
            return Ok(false);
        }
        let pk = address_pk(address_hash);
        let window_start = now.as_second() - budget.window_seconds;
        let expires = n(now.as_second() + budget.window_seconds + 86_400);
        // Within the current window: one more, while slots are left.
        let within = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&pk))
            .key(SORT_KEY, s(MAIL_BUDGET_SK))
            .update_expression("SET mails = mails + :one, #ttl = :expires")
            .condition_expression("window_start > :window_start AND mails < :limit")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", expires.clone())
            .expression_attribute_values(":window_start", n(window_start))
            .expression_attribute_values(":limit", n(budget.per_address))
            .send()
            .await;
        match within {
            Ok(_) => return Ok(true),
            Err(err) if condition_failed(&err) => {}
            Err(err) => return Err(unavailable("UpdateItem mail budget", err)),
        }
        // No item yet, or its window is over: a new window with this mail as its first.
        let fresh = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&pk))
            .key(SORT_KEY, s(MAIL_BUDGET_SK))
            .update_expression(
                "SET mails = :one, window_start = :now, #type = :type, #ttl = :expires",
            )
            .condition_expression(
                "attribute_not_exists(window_start) OR window_start <= :window_start",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", AttributeValue::N(now.as_second().to_string()))
            .expression_attribute_values(":type", s("mail_budget"))
            .expression_attribute_values(":expires", expires)
            .expression_attribute_values(":window_start", n(window_start))
            .send()
            .await;
        match fresh {
            Ok(_) => Ok(true),
            // The window is current and full.
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem mail budget", err)),
        }
    }

    /// The mails counted in `email`'s current window (tests and the abuse check).
    pub async fn mails_counted(
        &self,
        budget: &MailBudget,
        email: &str,
        now: Timestamp,
    ) -> Result<u32, Unavailable> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&address_pk(&budget.address_hash(email))))
            .key(SORT_KEY, s(MAIL_BUDGET_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem mail budget", err))?;
        let number =
            |name: &str| -> Option<i64> { item.item()?.get(name)?.as_n().ok()?.parse().ok() };
        match (number("window_start"), number("mails")) {
            (Some(start), Some(mails)) if start > now.as_second() - budget.window_seconds => {
                Ok(u32::try_from(mails).unwrap_or(u32::MAX))
            }
            _ => Ok(0),
        }
    }
}
