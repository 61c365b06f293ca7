//! The table's schema, as `infra/template.yaml` creates it in AWS: created here for the local stack and
//! the tests, and checked against `handler/table-schema.json`, which the infrastructure's tests read too.

use super::keys::{CHECK_IN_INDEX, EMAIL_ATTRIBUTE, EMAIL_INDEX, PARTITION_KEY, SORT_KEY};
use super::{Store, Unavailable, unavailable};
use crate::check_in::CHECK_IN_CODE;

impl Store {
    /// Creates the table with the same design as `infra/template.yaml`, its stream included (the local stack,
    /// the mailer's and organisers' tests).
    pub async fn create_table(&self) -> Result<(), Unavailable> {
        self.create_table_with_stream(true).await
    }

    /// The same table without its stream, for what reads no stream (the handler's tests, its benchmark).
    /// dynoxide records every stream record in its SQLite file inside the write, which makes a transaction
    /// about five times slower (BENCHMARKS.md, "Handler"); DynamoDB writes the stream off the request path.
    pub async fn create_table_without_stream(&self) -> Result<(), Unavailable> {
        self.create_table_with_stream(false).await
    }

    async fn create_table_with_stream(&self, stream: bool) -> Result<(), Unavailable> {
        use aws_sdk_dynamodb::types::{BillingMode, GlobalSecondaryIndex, KeyType};
        let index = |name: &str, attribute: &str| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(attribute, KeyType::Hash))
                .projection(keys_only())
                .build()
                .expect("complete index")
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(string_attribute(PARTITION_KEY))
            .attribute_definitions(string_attribute(SORT_KEY))
            .attribute_definitions(string_attribute(EMAIL_ATTRIBUTE))
            .attribute_definitions(string_attribute(CHECK_IN_CODE))
            .key_schema(key(PARTITION_KEY, KeyType::Hash))
            .key_schema(key(SORT_KEY, KeyType::Range))
            .global_secondary_indexes(index(EMAIL_INDEX, EMAIL_ATTRIBUTE))
            .global_secondary_indexes(index(CHECK_IN_INDEX, CHECK_IN_CODE))
            .billing_mode(BillingMode::PayPerRequest)
            // The mailer's outbox: every committed change, with the item before and after.
            .set_stream_specification(stream.then(stream_specification))
            .send()
            .await
            .map_err(|err| unavailable("CreateTable", err))?;
        Ok(())
    }
}

impl Store {
    /// Turns the table's stream on when a table made before the mailer has none (`cargo dev`'s state).
    pub async fn ensure_stream(&self) -> Result<bool, Unavailable> {
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|err| unavailable("DescribeTable", err))?;
        let on = described
            .table()
            .and_then(|t| t.stream_specification())
            .is_some_and(|spec| spec.stream_enabled());
        if on {
            return Ok(false);
        }
        self.client
            .update_table()
            .table_name(&self.table)
            .stream_specification(stream_specification())
            .send()
            .await
            .map_err(|err| unavailable("UpdateTable stream", err))?;
        Ok(true)
    }
}

impl Store {
    /// Adds the `check-in-index` to a table made before check-in codes (`cargo dev`'s state); true when it
    /// was missing. In AWS the template adds it.
    pub async fn ensure_check_in_index(&self) -> Result<bool, Unavailable> {
        use aws_sdk_dynamodb::types::{
            CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeyType,
        };
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|err| unavailable("DescribeTable", err))?;
        let present = described.table().is_some_and(|t| {
            t.global_secondary_indexes()
                .iter()
                .any(|i| i.index_name() == Some(CHECK_IN_INDEX))
        });
        if present {
            return Ok(false);
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(CHECK_IN_INDEX)
            .key_schema(key(CHECK_IN_CODE, KeyType::Hash))
            .projection(keys_only())
            .build()
            .expect("complete index");
        self.client
            .update_table()
            .table_name(&self.table)
            .attribute_definitions(string_attribute(CHECK_IN_CODE))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|err| unavailable("UpdateTable check-in index", err))?;
        Ok(true)
    }
}

fn key(
    name: &str,
    kind: aws_sdk_dynamodb::types::KeyType,
) -> aws_sdk_dynamodb::types::KeySchemaElement {
    aws_sdk_dynamodb::types::KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("complete key element")
}

/// Every key of the table and its indexes is a string.
fn string_attribute(name: &str) -> aws_sdk_dynamodb::types::AttributeDefinition {
    aws_sdk_dynamodb::types::AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
        .build()
        .expect("complete attribute definition")
}

/// Both indexes hold only the keys: the item is read from the table after.
fn keys_only() -> aws_sdk_dynamodb::types::Projection {
    aws_sdk_dynamodb::types::Projection::builder()
        .projection_type(aws_sdk_dynamodb::types::ProjectionType::KeysOnly)
        .build()
}

/// The stream the mailer reads: every change with the item before and after (infra/template.yaml too).
fn stream_specification() -> aws_sdk_dynamodb::types::StreamSpecification {
    aws_sdk_dynamodb::types::StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
        .build()
        .expect("complete stream specification")
}

#[cfg(test)]
mod tests {
    use super::super::keys::TTL_ATTRIBUTE;
    use super::*;

    /// The infrastructure template is checked against the same file, so the table has one design.
    #[test]
    fn matches_the_shared_table_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../table-schema.json")).unwrap();
        assert_eq!(schema["partition_key"], PARTITION_KEY);
        assert_eq!(schema["sort_key"], SORT_KEY);
        assert_eq!(schema["email_index"]["name"], EMAIL_INDEX);
        assert_eq!(schema["email_index"]["partition_key"], EMAIL_ATTRIBUTE);
        assert_eq!(schema["check_in_index"]["name"], CHECK_IN_INDEX);
        assert_eq!(schema["check_in_index"]["partition_key"], CHECK_IN_CODE);
        assert_eq!(schema["ttl_attribute"], TTL_ATTRIBUTE);
    }
}
