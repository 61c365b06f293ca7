//! The messages SES accepted, by its message id: which address each went to. SES's bounce and complaint
//! events reach the mailer with only the message id (the EventBridge rule leaves the addresses out, so
//! a failed event in the failure queue holds none), and the mailer finds the address here. The item holds
//! the address in `email`, so the `email-index` finds it for erasure; it lives 30 days (complaints can
//! come weeks after the mail).

use jiff::Timestamp;

use crate::codec::{get_s, n, s};
use crate::keys::{
    EMAIL_ATTRIBUTE, PARTITION_KEY, SENT_MESSAGE_PK_PREFIX, SENT_MESSAGE_SK, SORT_KEY,
    TTL_ATTRIBUTE,
};
use crate::{Store, Unavailable, unavailable};

/// How long the message id of a sent mail is kept (days).
pub const SENT_MESSAGE_DAYS: i64 = 30;

impl Store {
    /// Remembers that SES accepted `message_id` for `email`.
    pub async fn remember_sent_message(
        &self,
        message_id: &str,
        email: &str,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(
                PARTITION_KEY,
                s(&format!("{SENT_MESSAGE_PK_PREFIX}{message_id}")),
            )
            .item(SORT_KEY, s(SENT_MESSAGE_SK))
            .item("type", s("sent_message"))
            .item(EMAIL_ATTRIBUTE, s(email))
            .item(
                TTL_ATTRIBUTE,
                n(now.as_second() + SENT_MESSAGE_DAYS * 86_400),
            )
            .send()
            .await
            .map_err(|err| unavailable("PutItem sent message", err))?;
        Ok(())
    }

    /// The address SES message `message_id` went to; None when it is not known (older than 30 days,
    /// erased, or not ours).
    pub async fn recipient_of(&self, message_id: &str) -> Result<Option<String>, Unavailable> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(
                PARTITION_KEY,
                s(&format!("{SENT_MESSAGE_PK_PREFIX}{message_id}")),
            )
            .key(SORT_KEY, s(SENT_MESSAGE_SK))
            .send()
            .await
            .map_err(|err| unavailable("GetItem sent message", err))?;
        Ok(output.item().and_then(|item| get_s(item, EMAIL_ATTRIBUTE)))
    }

    /// The keys of the sent-message items of `email` (through the email index): erasure removes them.
    pub async fn sent_messages_of(
        &self,
        email: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        self.email_index_keys_under(email, SENT_MESSAGE_PK_PREFIX)
            .await
    }
}
