//! A fault-injecting HTTP proxy between the store's client and dynoxide. Per DynamoDB operation and by a
//! seeded schedule it answers throttling, transaction conflicts or 500 without forwarding, delays past the
//! client's attempt timeout (then applies the request anyway, as a slow DynamoDB would), or applies the
//! request and drops the answer (the ambiguous commit). Every choice is counted for the run's summary.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What the proxy may do to one request instead of forwarding it plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// 400 `ThrottlingException`, nothing applied.
    Throttling,
    /// 400 `ProvisionedThroughputExceededException`, nothing applied.
    ProvisionedThroughput,
    /// 400 `TransactionCanceledException` with `TransactionConflict` reasons (TransactWriteItems only).
    TransactionConflict,
    /// 500 `InternalServerError`, nothing applied.
    ServerError,
    /// Waits past the client's attempt timeout (3 s), then applies the request.
    DelayPastTimeout,
    /// Applies the request, then closes the connection without an answer.
    DropAnswer,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Throttling,
        Fault::ProvisionedThroughput,
        Fault::TransactionConflict,
        Fault::ServerError,
        Fault::DelayPastTimeout,
        Fault::DropAnswer,
    ];
}

/// Which requests get which faults, and how often.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The chance (0 to 1) that a request of one of `operations` gets a fault.
    pub rate: f64,
    /// DynamoDB operations (the `X-Amz-Target` suffix, e.g. `TransactWriteItems`); empty: every one.
    pub operations: Vec<&'static str>,
    /// The faults to choose from, evenly.
    pub faults: Vec<Fault>,
    pub seed: u64,
    /// Stop injecting after this many faults (None: never).
    pub max_faults: Option<u64>,
}

impl Schedule {
    pub fn none() -> Schedule {
        Schedule {
            rate: 0.0,
            operations: Vec::new(),
            faults: Vec::new(),
            seed: 1,
            max_faults: None,
        }
    }

    /// A share of every operation's requests gets one of every fault.
    pub fn random(rate: f64, seed: u64) -> Schedule {
        Schedule {
            rate,
            operations: Vec::new(),
            faults: Fault::ALL.to_vec(),
            seed,
            max_faults: None,
        }
    }

    /// Only the first `n` faults are injected.
    pub fn first(mut self, n: u64) -> Schedule {
        self.max_faults = Some(n);
        self
    }

    /// Every request of `operation` gets `fault`.
    pub fn always(operation: &'static str, fault: Fault) -> Schedule {
        Schedule {
            rate: 1.0,
            operations: vec![operation],
            faults: vec![fault],
            seed: 1,
            max_faults: None,
        }
    }
}

struct State {
    schedule: Schedule,
    rng: u64,
    injected: u64,
    /// (operation, fault or "forwarded") -> count
    counts: BTreeMap<(String, String), u64>,
    /// The IAM actions the requests need (a transaction's parts each as their own action) and the
    /// partition keys they touch (`dynamodb:LeadingKeys`).
    iam_actions: BTreeSet<String>,
    leading_keys: BTreeSet<String>,
}

/// The running proxy; the store's client points at [`FaultProxy::endpoint`].
#[derive(Clone)]
pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub async fn start(upstream: &str, schedule: Schedule) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            rng: schedule.seed.max(1),
            injected: 0,
            schedule,
            counts: BTreeMap::new(),
            iam_actions: BTreeSet::new(),
            leading_keys: BTreeSet::new(),
        }));
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let upstream = upstream.to_string();
        let proxy = FaultProxy {
            endpoint,
            state: state.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                let client = client.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, state.clone(), client.clone(), upstream.clone())
                    });
                    // A dropped answer ends the connection with an error: that is the point.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        proxy
    }

    /// From now on, this schedule (e.g. none, to check the table through the same client).
    pub fn set_schedule(&self, schedule: Schedule) {
        let mut state = self.state.lock().unwrap();
        state.rng = schedule.seed.max(1);
        state.injected = 0;
        state.schedule = schedule;
    }

    /// (operation, what happened) -> count, for the run's summary.
    pub fn counts(&self) -> BTreeMap<(String, String), u64> {
        self.state.lock().unwrap().counts.clone()
    }

    /// Every IAM action the requests so far needed (`dynamodb:GetItem`, ...): a TransactWriteItems as the
    /// actions of its parts, which is how IAM authorises it.
    pub fn iam_actions(&self) -> BTreeSet<String> {
        self.state.lock().unwrap().iam_actions.clone()
    }

    /// Every partition key the requests so far named (an item's `PK`, a Query's `:pk`).
    pub fn leading_keys(&self) -> BTreeSet<String> {
        self.state.lock().unwrap().leading_keys.clone()
    }

    /// How many requests got `fault`.
    pub fn injected(&self, fault: Fault) -> u64 {
        let name = format!("{fault:?}");
        self.counts()
            .iter()
            .filter(|((_, what), _)| *what == name)
            .map(|(_, n)| n)
            .sum()
    }
}

/// An error that makes hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("answer dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<State>>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or("")
        .to_string();
    record_permissions(&state, &operation, &body);
    let fault = choose(&state, &operation);
    let forward = |body: Bytes| {
        let mut builder = Request::builder().method(parts.method.clone()).uri(format!(
            "{upstream}{}",
            parts.uri.path_and_query().map_or("/", |p| p.as_str())
        ));
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let request = builder.body(Full::new(body)).unwrap();
        let client = client.clone();
        // Its own task: the request is applied even when the client has given up on it meanwhile.
        tokio::spawn(async move {
            let answer = client.request(request).await.ok()?;
            let (parts, body) = answer.into_parts();
            let body = body.collect().await.ok()?.to_bytes();
            Some(Response::from_parts(parts, Full::new(body)))
        })
    };
    match fault {
        None => match forward(body).await {
            Ok(Some(answer)) => Ok(answer),
            _ => Err(Dropped),
        },
        Some(Fault::DropAnswer) => {
            let _ = forward(body).await;
            Err(Dropped)
        }
        Some(Fault::DelayPastTimeout) => {
            tokio::time::sleep(Duration::from_millis(3_300)).await;
            match forward(body).await {
                Ok(Some(answer)) => Ok(answer),
                _ => Err(Dropped),
            }
        }
        Some(Fault::Throttling) => Ok(error_answer(
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate of requests exceeds the allowed throughput.",
            "",
        )),
        Some(Fault::ProvisionedThroughput) => Ok(error_answer(
            StatusCode::BAD_REQUEST,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
            "",
        )),
        Some(Fault::ServerError) => Ok(error_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal server error",
            "",
        )),
        Some(Fault::TransactionConflict) => {
            let items = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["TransactItems"].as_array().map(Vec::len))
                .unwrap_or(1);
            let reasons: Vec<serde_json::Value> = (0..items)
                .map(|i| {
                    if i == 0 {
                        serde_json::json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                    } else {
                        serde_json::json!({"Code": "None"})
                    }
                })
                .collect();
            let codes = reasons
                .iter()
                .map(|r| r["Code"].as_str().unwrap_or("None"))
                .collect::<Vec<_>>()
                .join(", ");
            Ok(error_answer(
                StatusCode::BAD_REQUEST,
                "TransactionCanceledException",
                &format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]"
                ),
                &format!(
                    r#","CancellationReasons":{}"#,
                    serde_json::Value::Array(reasons)
                ),
            ))
        }
    }
}

/// Notes what IAM would check for this request: its actions and its partition keys.
fn record_permissions(state: &Arc<Mutex<State>>, operation: &str, body: &[u8]) {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let key_of = |part: &serde_json::Value| -> Option<String> {
        let item = part.get("Key").or_else(|| part.get("Item"))?;
        item["PK"]["S"].as_str().map(str::to_string)
    };
    let mut actions = Vec::new();
    let mut keys = Vec::new();
    match operation {
        "TransactWriteItems" => {
            for part in request["TransactItems"].as_array().into_iter().flatten() {
                for (kind, action) in [
                    ("Put", "PutItem"),
                    ("Update", "UpdateItem"),
                    ("Delete", "DeleteItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                ] {
                    if let Some(inner) = part.get(kind) {
                        actions.push(action.to_string());
                        keys.extend(key_of(inner));
                    }
                }
            }
        }
        "Query" => {
            // An index is a resource of its own to IAM (`table/<name>/index/<index>`).
            actions.push(match request["IndexName"].as_str() {
                Some(index) => format!("Query on index {index}"),
                None => operation.to_string(),
            });
            keys.extend(
                request["ExpressionAttributeValues"][":pk"]["S"]
                    .as_str()
                    .map(str::to_string),
            );
        }
        _ => {
            actions.push(operation.to_string());
            keys.extend(key_of(&request));
        }
    }
    let mut state = state.lock().unwrap();
    state
        .iam_actions
        .extend(actions.into_iter().map(|a| format!("dynamodb:{a}")));
    state.leading_keys.extend(keys);
}

/// The fault for this request, counted (None: forwarded plainly).
fn choose(state: &Arc<Mutex<State>>, operation: &str) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    let applies = (state.schedule.operations.is_empty()
        || state.schedule.operations.contains(&operation))
        && state
            .schedule
            .max_faults
            .is_none_or(|max| state.injected < max);
    let mut fault = None;
    if applies && !state.schedule.faults.is_empty() {
        let roll = next(&mut state.rng) as f64 / u64::MAX as f64;
        if roll < state.schedule.rate {
            let candidates: Vec<Fault> = state
                .schedule
                .faults
                .iter()
                .copied()
                .filter(|f| *f != Fault::TransactionConflict || operation == "TransactWriteItems")
                .collect();
            if !candidates.is_empty() {
                let pick = next(&mut state.rng) as usize % candidates.len();
                fault = Some(candidates[pick]);
            }
        }
    }
    if fault.is_some() {
        state.injected += 1;
    }
    let what = fault.map_or("forwarded".to_string(), |f| format!("{f:?}"));
    *state
        .counts
        .entry((operation.to_string(), what))
        .or_default() += 1;
    fault
}

/// xorshift64*: small, seeded, good enough to spread faults.
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn error_answer(
    status: StatusCode,
    kind: &str,
    message: &str,
    extra: &str,
) -> Response<Full<Bytes>> {
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"{message}"{extra}}}"#
    );
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "FAULTPROXY")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
