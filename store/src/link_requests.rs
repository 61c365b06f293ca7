//! "Link kwijt?": the request item the handler writes for every request, known address or not (so the
//! answer's timing tells nothing), and the mailer's rate item that allows one `link` email per address per
//! interval. The stream turns a request into the email.

use crate::outcome::condition_failed;
use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::codec::{arrival_time, n, s};
use super::keys::{
    EMAIL_ATTRIBUTE, LINK_RATE_SK, LINK_REQUEST_PK_PREFIX, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE,
    link_request_pk,
};
use super::{Store, Unavailable, unavailable};

/// How long a link request and its rate item are kept (seconds).
pub const LINK_REQUEST_LIFETIME: i64 = 86_400;

impl Store {
    /// Writes a link request for `email` (its key, as registrations store it).
    pub async fn request_link(
        &self,
        email: &str,
        address_hash: &str,
        request_id: &str,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&link_request_pk(address_hash)))
            .item(SORT_KEY, s(&format!("REQ#{request_id}")))
            .item("type", s("link_request"))
            .item("request_id", s(request_id))
            .item(EMAIL_ATTRIBUTE, s(email))
            .item("requested_at", s(&arrival_time(now)))
            .item(TTL_ATTRIBUTE, n(now.as_second() + LINK_REQUEST_LIFETIME))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(|err| unavailable("PutItem link request", err))?;
        Ok(())
    }

    /// Takes the address's `link` email slot for `request_id`: true when no other request's email was sent
    /// in the last `interval_seconds` (the same request may take it again: a retry after a failed send).
    pub async fn take_link_slot(
        &self,
        address_hash: &str,
        request_id: &str,
        now: Timestamp,
        interval_seconds: i64,
    ) -> Result<bool, Unavailable> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&link_request_pk(address_hash)))
            .key(SORT_KEY, s(LINK_RATE_SK))
            .update_expression(
                "SET last_sent_at = :now, request_id = :request, #type = :type, #ttl = :expires",
            )
            .condition_expression(
                "attribute_not_exists(last_sent_at) OR last_sent_at <= :before OR request_id = :request",
            )
            .expression_attribute_values(":request", s(request_id))
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", AttributeValue::N(now.as_second().to_string()))
            .expression_attribute_values(":before", n(now.as_second() - interval_seconds))
            .expression_attribute_values(":type", s("link_rate"))
            .expression_attribute_values(":expires", n(now.as_second() + LINK_REQUEST_LIFETIME))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if condition_failed(&err) => Ok(false),
            Err(err) => Err(unavailable("UpdateItem link rate", err)),
        }
    }

    /// The link requests of `email` (found through the email index), with each address's rate item:
    /// their keys. Erasure removes them with the registrations.
    pub async fn link_requests_of(
        &self,
        email: &str,
    ) -> Result<Vec<(String, String)>, Unavailable> {
        let mut found: Vec<(String, String)> = self
            .email_index_keys(email)
            .await?
            .into_iter()
            .filter(|(pk, _)| pk.starts_with(LINK_REQUEST_PK_PREFIX))
            .collect();
        let partitions: std::collections::BTreeSet<String> =
            found.iter().map(|(pk, _)| pk.clone()).collect();
        found.extend(
            partitions
                .into_iter()
                .map(|pk| (pk, LINK_RATE_SK.to_string())),
        );
        Ok(found)
    }

    /// Deletes items by key (link requests for erasure); deleting a missing item is no error.
    pub async fn delete_items(&self, keys: &[(String, String)]) -> Result<usize, Unavailable> {
        for (pk, sk) in keys {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(pk))
                .key(SORT_KEY, s(sk))
                .send()
                .await
                .map_err(|err| unavailable("DeleteItem link request", err))?;
        }
        Ok(keys.len())
    }
}
