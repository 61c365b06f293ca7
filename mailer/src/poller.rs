//! The local stand-in for Lambda's event source mapping (`cargo dev`, tests): reads the table's stream
//! (DescribeStream, GetShardIterator, GetRecords; dynoxide implements them) and hands each shard's
//! records to the same batch function the Lambda runs, with the mapping's failure behaviour: a reported
//! failure delivers that record and every one after it again, up to a retry limit.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, ShardIteratorType,
};
use opp_store::aws::{ClientSettings, SdkParts};

use crate::Mailer;
use crate::record::{ChangeRecord, EventName, Item};

/// Deliveries of one batch before the poller drops it, as the mapping's `MaximumRetryAttempts` does.
pub const MAX_RETRIES: u32 = 5;

#[derive(Default)]
struct Shard {
    /// None once a closed shard is read to its end.
    iterator: Option<String>,
    /// Records read but not yet handled (a failed batch keeps its failed record and what follows).
    pending: Vec<ChangeRecord>,
    retries: u32,
    started: bool,
}

pub struct Poller {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    shards: BTreeMap<String, Shard>,
}

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Polled {
    pub records: usize,
    pub sent: usize,
    pub retried: usize,
    pub dropped: usize,
}

pub fn streams_client(endpoint_url: &str) -> Result<aws_sdk_dynamodbstreams::Client, String> {
    let parts = SdkParts::of(ClientSettings::local(endpoint_url)).map_err(|e| e.0)?;
    Ok(opp_store::sdk_client!(aws_sdk_dynamodbstreams, parts))
}

impl Poller {
    /// The poller of `table`'s stream, from its start (TRIM_HORIZON).
    pub async fn for_table(
        dynamodb: &aws_sdk_dynamodb::Client,
        endpoint_url: &str,
        table: &str,
    ) -> Result<Poller, String> {
        let described = dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| format!("DescribeTable: {e:?}"))?;
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| format!("table {table} has no stream"))?
            .to_string();
        Ok(Poller {
            client: streams_client(endpoint_url)?,
            stream_arn,
            shards: BTreeMap::new(),
        })
    }

    /// Reads what is new on every shard and hands it to the mailer.
    pub async fn poll(&mut self, mailer: &Mailer) -> Result<Polled, String> {
        self.discover_shards().await?;
        let mut polled = Polled::default();
        let ids: Vec<String> = self.shards.keys().cloned().collect();
        for id in ids {
            self.read_shard(&id).await?;
            let shard = self.shards.get_mut(&id).expect("listed above");
            if shard.pending.is_empty() {
                continue;
            }
            polled.records += shard.pending.len();
            let outcome = mailer.handle_batch(&shard.pending).await;
            polled.sent += outcome.sent;
            match outcome.retry_from {
                None => {
                    shard.pending.clear();
                    shard.retries = 0;
                }
                Some(sequence) => {
                    let from = shard
                        .pending
                        .iter()
                        .position(|r| r.sequence_number == sequence)
                        .unwrap_or(0);
                    shard.pending.drain(..from);
                    shard.retries += 1;
                    polled.retried += 1;
                    if shard.retries > MAX_RETRIES {
                        // The mapping's on-failure destination: the batch is dropped, the shard moves on.
                        polled.dropped += shard.pending.len();
                        shard.pending.clear();
                        shard.retries = 0;
                    }
                }
            }
        }
        Ok(polled)
    }

    async fn discover_shards(&mut self) -> Result<(), String> {
        let mut start = None;
        loop {
            let described = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|e| format!("DescribeStream: {e:?}"))?;
            let Some(description) = described.stream_description() else {
                return Ok(());
            };
            for shard in description.shards() {
                if let Some(id) = shard.shard_id() {
                    self.shards.entry(id.to_string()).or_default();
                }
            }
            match description.last_evaluated_shard_id() {
                Some(last) => start = Some(last.to_string()),
                None => return Ok(()),
            }
        }
    }

    async fn read_shard(&mut self, id: &str) -> Result<(), String> {
        let shard = self.shards.get_mut(id).expect("discovered");
        if !shard.pending.is_empty() {
            return Ok(());
        }
        if !shard.started {
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .map_err(|e| format!("GetShardIterator: {e:?}"))?;
            shard.iterator = iterator.shard_iterator().map(str::to_string);
            shard.started = true;
        }
        let Some(iterator) = shard.iterator.clone() else {
            return Ok(());
        };
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .send()
            .await
            .map_err(|e| format!("GetRecords: {e:?}"))?;
        shard.iterator = output.next_shard_iterator().map(str::to_string);
        shard.pending = output.records().iter().filter_map(change_record).collect();
        Ok(())
    }
}

fn change_record(record: &aws_sdk_dynamodbstreams::types::Record) -> Option<ChangeRecord> {
    let data = record.dynamodb()?;
    Some(ChangeRecord {
        sequence_number: data.sequence_number()?.to_string(),
        event: match record.event_name()? {
            OperationType::Insert => EventName::Insert,
            OperationType::Modify => EventName::Modify,
            OperationType::Remove => EventName::Remove,
            _ => return None,
        },
        old: data.old_image().map(item),
        new: data.new_image().map(item),
    })
}

fn item(image: &std::collections::HashMap<String, StreamValue>) -> Item {
    image
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), attribute(value)?)))
        .collect()
}

fn attribute(value: &StreamValue) -> Option<AttributeValue> {
    Some(match value {
        StreamValue::S(v) => AttributeValue::S(v.clone()),
        StreamValue::N(v) => AttributeValue::N(v.clone()),
        StreamValue::Bool(v) => AttributeValue::Bool(*v),
        StreamValue::Null(_) => AttributeValue::Null(true),
        StreamValue::Ss(v) => AttributeValue::Ss(v.clone()),
        StreamValue::Ns(v) => AttributeValue::Ns(v.clone()),
        StreamValue::L(v) => AttributeValue::L(v.iter().filter_map(attribute).collect()),
        StreamValue::M(v) => AttributeValue::M(item(v)),
        _ => return None,
    })
}
