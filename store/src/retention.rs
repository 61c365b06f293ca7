//! The retention period: which registrations and tokens are past their `expires_at` (DynamoDB's TTL may
//! delete days late), so `opp-admin purge` can remove them with the counters kept equal.

use jiff::Timestamp;

use super::codec::{Item, get_s, n, s};
use super::keys::{PARTITION_KEY, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE};
use super::{Store, Unavailable, unavailable};

/// An item whose retention period has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expired {
    Registration {
        meeting: String,
        email: String,
    },
    /// A cancellation token whose registration is already gone.
    Token {
        key: String,
    },
}

impl Store {
    /// Registrations and orphaned tokens whose `expires_at` lies before `now`. A Scan, because retention
    /// crosses every meeting; it reads keys and a few attributes only.
    pub async fn expired(&self, now: Timestamp) -> Result<Vec<Expired>, Unavailable> {
        let mut found = Vec::new();
        let mut tokens = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#ttl < :now")
                .projection_expression("#pk, #sk, #type, meeting, email")
                .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_names("#type", "type")
                .expression_attribute_values(":now", n(now.as_second()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| unavailable("Scan expired", err))?;
            for item in output.items() {
                match (
                    get_s(item, "type").as_deref(),
                    get_s(item, "meeting"),
                    get_s(item, "email"),
                ) {
                    (Some("registration"), Some(meeting), Some(email)) => {
                        found.push(Expired::Registration { meeting, email })
                    }
                    (Some("token"), meeting, email) => {
                        if let Some(key) = get_s(item, PARTITION_KEY) {
                            tokens.push((meeting, email, key));
                        }
                    }
                    _ => {}
                }
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        // Removing a registration removes its token too: list only the tokens left without one.
        for (meeting, email, key) in tokens {
            let owned = found.iter().any(|e| {
                matches!(e, Expired::Registration { meeting: m, email: a }
                    if Some(m) == meeting.as_ref() && Some(a) == email.as_ref())
            });
            if !owned {
                found.push(Expired::Token { key });
            }
        }
        Ok(found)
    }

    /// Deletes a token item (after its registration is gone).
    pub async fn delete_token(&self, key: &str) -> Result<(), Unavailable> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(key))
            .key(SORT_KEY, s(TOKEN_SK))
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem token", err))?;
        Ok(())
    }
}
