//! The store's one retry policy for transaction conflicts and throttling (the SDK retries transport errors
//! itself): at most [`ATTEMPTS`] tries, with jittered exponential backoff between them.

use std::time::Duration;

/// Tries of one registration, cancellation or removal before the store gives up.
pub(super) const ATTEMPTS: u32 = 6;

pub(super) async fn backoff(attempt: u32) {
    // Full jitter on an exponential base keeps retries of concurrent writers apart.
    let base = 10u64 << attempt.min(6);
    let mut byte = [0u8; 1];
    let jitter = getrandom::fill(&mut byte)
        .map(|_| u64::from(byte[0]))
        .unwrap_or(128);
    tokio::time::sleep(Duration::from_millis(base * jitter / 255 + 1)).await;
}
