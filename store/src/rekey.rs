//! Re-keying personal links (`opp-admin rekey-links`): a registration gets a token derived from the ring's
//! current key (and a `link_id` when it had none), while its current token stays valid as a previous one
//! until it expires or is revoked (`--revoke-old`, for when a key leaked).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use opp_model::RegistrationStatus;
use opp_model::links::DerivedLink;

use super::codec::{KEY_VERSION, LINK_ID, PREVIOUS_TOKEN_HASHES, arrival_time, n, s, status_value};
use super::keys::{
    PARTITION_KEY, SORT_KEY, TOKEN_SK, TTL_ATTRIBUTE, registration_pk, registration_sk, token_pk,
};
use super::{RegistrationRecord, Store, Unavailable, build_error, unavailable};
use opp_model::records::MeetingRecord;

impl Store {
    /// One transaction: the new token item, and the registration with the new token, link id and key
    /// version (its token so far kept as a previous one) — only while its token is still the one read and
    /// it is not cancelled. False when the registration changed meanwhile (nothing written).
    pub async fn rekey_registration(
        &self,
        meeting: &MeetingRecord,
        registration: &RegistrationRecord,
        link: &DerivedLink,
    ) -> Result<bool, Unavailable> {
        let new_hash = opp_model::token::hash(&link.token);
        let expires_at = self.retention_end(meeting);
        let token_item = Put::builder()
            .table_name(&self.table)
            .item(PARTITION_KEY, s(&token_pk(&new_hash)))
            .item(SORT_KEY, s(TOKEN_SK))
            .item("type", s("token"))
            .item("meeting", s(&registration.meeting))
            .item("email", s(&registration.email))
            .item("created_at", s(&arrival_time(jiff::Timestamp::now())))
            .item(TTL_ATTRIBUTE, n(expires_at))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(build_error)?;
        let update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(&registration.meeting)))
            .key(SORT_KEY, s(&registration_sk(&registration.email)))
            .update_expression(
                "SET token_hash = :new, #link = :link, #version = :version ADD #previous :old",
            )
            .condition_expression("token_hash = :current AND #status <> :cancelled")
            .expression_attribute_names("#link", LINK_ID)
            .expression_attribute_names("#version", KEY_VERSION)
            .expression_attribute_names("#previous", PREVIOUS_TOKEN_HASHES)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":new", s(&new_hash))
            .expression_attribute_values(":link", s(&link.link_id))
            .expression_attribute_values(":version", n(link.key_version))
            .expression_attribute_values(
                ":old",
                AttributeValue::Ss(vec![registration.token_hash.clone()]),
            )
            .expression_attribute_values(":current", s(&registration.token_hash))
            .expression_attribute_values(":cancelled", status_value(RegistrationStatus::Cancelled))
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(token_item).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(unavailable("TransactWriteItems rekey", err)),
        }
    }

    /// Deletes every token item of a cancelled registration (its current token and the previous ones) and
    /// forgets the previous ones; how many. For a key leak: a cancelled registration is not re-keyed, so its
    /// tokens of the leaked key would otherwise keep opening its page (name and address) until they expire.
    /// One transaction, only while it is still cancelled with exactly these tokens.
    pub async fn revoke_cancelled_tokens(
        &self,
        registration: &RegistrationRecord,
    ) -> Result<usize, Unavailable> {
        let hashes: Vec<&str> = registration
            .token_hashes()
            .into_iter()
            .filter(|hash| !hash.is_empty())
            .collect();
        if hashes.is_empty() {
            return Ok(0);
        }
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(self.token_deletes(&hashes)?));
        let forget = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(&registration.meeting)))
            .key(SORT_KEY, s(&registration_sk(&registration.email)))
            .update_expression("REMOVE #previous")
            .condition_expression("token_hash = :current AND #status = :cancelled")
            .expression_attribute_names("#previous", PREVIOUS_TOKEN_HASHES)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":current", s(&registration.token_hash))
            .expression_attribute_values(":cancelled", status_value(RegistrationStatus::Cancelled))
            .build()
            .map_err(build_error)?;
        match request
            .transact_items(TransactWriteItem::builder().update(forget).build())
            .send()
            .await
        {
            Ok(_) => Ok(hashes.len()),
            // Registered again meanwhile: its new link is of the current key, and the replaced link is gone.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Ok(0)
            }
            Err(err) => Err(unavailable("TransactWriteItems revoke cancelled", err)),
        }
    }

    /// Deletes the registration's previous tokens and forgets them; how many. One transaction, only
    /// while the registration still lists exactly these.
    pub async fn revoke_previous_tokens(
        &self,
        registration: &RegistrationRecord,
    ) -> Result<usize, Unavailable> {
        if registration.previous_token_hashes.is_empty() {
            return Ok(0);
        }
        let previous: Vec<&str> = registration
            .previous_token_hashes
            .iter()
            .map(String::as_str)
            .collect();
        let request = self
            .client
            .transact_write_items()
            .set_transact_items(Some(self.token_deletes(&previous)?));
        let forget = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(&registration_pk(&registration.meeting)))
            .key(SORT_KEY, s(&registration_sk(&registration.email)))
            .update_expression("DELETE #previous :old")
            .condition_expression("token_hash = :current")
            .expression_attribute_names("#previous", PREVIOUS_TOKEN_HASHES)
            .expression_attribute_values(
                ":old",
                AttributeValue::Ss(registration.previous_token_hashes.clone()),
            )
            .expression_attribute_values(":current", s(&registration.token_hash))
            .build()
            .map_err(build_error)?;
        request
            .transact_items(TransactWriteItem::builder().update(forget).build())
            .send()
            .await
            .map_err(|err| unavailable("TransactWriteItems revoke", err))?;
        Ok(registration.previous_token_hashes.len())
    }

    /// The deletes of these link tokens' items, for one transaction.
    fn token_deletes(&self, hashes: &[&str]) -> Result<Vec<TransactWriteItem>, Unavailable> {
        hashes
            .iter()
            .map(|hash| {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, s(&token_pk(hash)))
                    .key(SORT_KEY, s(TOKEN_SK))
                    .build()
                    .map_err(build_error)?;
                Ok(TransactWriteItem::builder().delete(delete).build())
            })
            .collect()
    }
}
