//! Structured JSON logs (one line per event) without personal data: ids, outcomes and status codes only.
//!
//! `RUST_LOG` picks the level (default `info`), but never below `warn` for the libraries in
//! [`QUIET_TARGETS`]: at `debug` and `trace` they log raw requests and responses, which hold the origin
//! secret and personal data.

use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Libraries that log whole events, requests, responses or headers below `warn`: `lambda_runtime` logs
/// the raw invocation event at `trace` (every header, the origin secret among them, and the form with
/// name and email address), `lambda_http` and axum the request, the SDK and smithy the DynamoDB requests
/// and responses (registrations) and what they sign, hyper, h2 and rustls the bytes on the wire. Their
/// events are kept to `warn` and above whatever `RUST_LOG` says. A target matches by prefix, as
/// `tracing` targets are module paths: `lambda_runtime` covers `lambda_runtime::layers::api_response`.
pub const QUIET_TARGETS: [&str; 20] = [
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk_dynamodb",
    "aws_sdk_secretsmanager",
    "aws_sigv4",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_types",
    "axum",
    "h2",
    "hyper",
    "hyper_rustls",
    "hyper_util",
    "lambda_http",
    "lambda_runtime",
    "rustls",
    "tower",
];

/// The one exception: the runtime's `info` span per invocation (`Lambda runtime invoke`, with the
/// request id and nothing else), so every line of an invocation names its request.
const INVOCATION_SPAN_TARGET: &str = "lambda_runtime::layers::trace";

pub fn init() {
    let spec = std::env::var("RUST_LOG").unwrap_or_default();
    let _ = subscriber(&spec, std::io::stdout).try_init();
}

/// The JSON subscriber for a `RUST_LOG` value, writing to `writer`.
pub fn subscriber<W>(spec: &str, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(env_filter(spec))
        .with_current_span(true)
        .with_target(false)
        .without_time()
        .with_writer(writer)
        .finish()
        // A second filter that must also let an event through: a directive in `RUST_LOG`, however
        // specific (`lambda_runtime::layers::api_response=trace`, or one on a span), cannot open it up.
        .with(quiet_targets())
}

/// `RUST_LOG`'s filter; `info` when it is empty or cannot be read.
fn env_filter(spec: &str) -> EnvFilter {
    EnvFilter::try_new(spec)
        .ok()
        .filter(|_| !spec.trim().is_empty())
        .unwrap_or_else(|| EnvFilter::new("info"))
}

/// Everything at any level, except [`QUIET_TARGETS`] at `warn` at most.
pub fn quiet_targets() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(QUIET_TARGETS.map(|target| (target, LevelFilter::WARN)))
        .with_target(INVOCATION_SPAN_TARGET, LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing::Level;

    /// What a subscriber for `spec` writes while `emit` runs.
    fn logged(spec: &str, emit: impl FnOnce()) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let writer = move || Sink(sink.clone());
        tracing::subscriber::with_default(subscriber(spec, writer), emit);
        let bytes = buffer.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn trace_never_logs_the_raw_event() {
        for spec in [
            "trace",
            "info,lambda_runtime=trace",
            "info,lambda_runtime::layers::api_response=trace",
            "info,[Lambda runtime invoke]=trace",
            "trace,aws_smithy_runtime=trace",
        ] {
            let out = logged(spec, || {
                let span = tracing::info_span!(
                    target: "lambda_runtime::layers::trace",
                    "Lambda runtime invoke",
                    requestId = "req-42"
                );
                let _inside = span.enter();
                tracing::trace!(
                    target: "lambda_runtime::layers::api_response",
                    body = "x-origin-verify: SECRET",
                    "raw JSON event received from Lambda"
                );
                tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "SECRET response");
                tracing::trace!(target: "hyper_util::client", "SECRET bytes");
                tracing::info!(target: "lambda_http::request", "SECRET request");
                tracing::trace!(target: "opp_handler::http", "our own trace line");
                tracing::warn!(target: "lambda_runtime::runtime", "a runtime warning");
            });
            assert!(!out.contains("SECRET"), "{spec}: {out}");
            if spec.split(',').any(|directive| directive == "trace") {
                assert!(out.contains("our own trace line"), "{spec}: {out}");
            }
            assert!(out.contains("a runtime warning"), "{spec}: {out}");
            assert!(
                out.contains("req-42"),
                "{spec}: lines name their request: {out}"
            );
        }
    }

    #[test]
    fn the_cap_holds_for_every_quiet_target() {
        let cap = quiet_targets();
        for target in QUIET_TARGETS {
            let module = format!("{target}::somewhere");
            assert!(!cap.would_enable(&module, &Level::INFO), "{target}");
            assert!(cap.would_enable(&module, &Level::WARN), "{target}");
        }
        assert!(cap.would_enable("opp_store", &Level::TRACE));
    }

    #[test]
    fn the_default_level_is_info() {
        for spec in ["", "not a=level=at all"] {
            let out = logged(spec, || {
                tracing::debug!(target: "opp_handler", "hidden");
                tracing::info!(target: "opp_handler", "shown");
            });
            assert!(
                out.contains("shown") && !out.contains("hidden"),
                "{spec:?}: {out}"
            );
        }
    }
}
