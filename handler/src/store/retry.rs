//! The store's one retry policy for transaction conflicts and throttling (the SDK retries transport errors
//! itself): at most [`ATTEMPTS`] tries, with jittered exponential backoff between them, all inside one
//! time [`Budget`] per request.

use std::future::Future;
use std::time::{Duration, Instant};

/// Tries of one cancellation, removal or promotion before the store gives up.
pub(super) const ATTEMPTS: u32 = 6;

/// Tries of one registration, within the [`Budget`]. More than [`ATTEMPTS`]: a registration also tries
/// again at once when its conditions show what changed (a seat taken or freed, a cancelled registration
/// to replace), and real DynamoDB answers `TransactionConflict` to transactions on one meeting item at
/// the same moment. The budget, not this number, is the real bound.
pub(super) const REGISTER_ATTEMPTS: u32 = 16;

/// The whole store work of one request, retries and the read-back included.
///
/// The numbers, from the outside in: API Gateway's HTTP API gives an integration at most 30 s (CloudFront's
/// origin read timeout is also 30 s); the function's timeout is 10 s (infra/template.yaml). Within those
/// 10 s a cold start takes about 0.1 s and rendering the answer a few milliseconds, so the store gets 7 s,
/// leaving the rest for start-up and an answer. One SDK operation may take up to 8 s (`Patience::Request`:
/// 3 s per attempt, its own retries included), so without this budget 6 store attempts could take about
/// 50 s: every call is cut at what is left of the budget instead.
pub(super) const REQUEST_BUDGET: Duration = Duration::from_secs(7);

/// What a write leaves for reading back its outcome when the answer is lost: one consistent GetItem.
pub(super) const READ_BACK_RESERVE: Duration = Duration::from_millis(1500);

/// The time one request may still spend on the store.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    deadline: Instant,
}

/// The budget ran out before the call finished; the call's outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OutOfTime;

impl Budget {
    pub(super) fn start() -> Budget {
        Budget::of(REQUEST_BUDGET)
    }

    pub(super) fn of(length: Duration) -> Budget {
        Budget {
            deadline: Instant::now() + length,
        }
    }

    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether a write may still start: it needs time of its own and the read-back reserve behind it.
    pub(super) fn allows_write(&self) -> bool {
        self.left() > READ_BACK_RESERVE + Duration::from_millis(100)
    }

    /// Runs a write, cut off so that the read-back reserve stays.
    pub(super) async fn write<T>(&self, call: impl Future<Output = T>) -> Result<T, OutOfTime> {
        let limit = self.left().saturating_sub(READ_BACK_RESERVE);
        tokio::time::timeout(limit, call)
            .await
            .map_err(|_| OutOfTime)
    }

    /// Runs a read with whatever is left.
    pub(super) async fn read<T>(&self, call: impl Future<Output = T>) -> Result<T, OutOfTime> {
        tokio::time::timeout(self.left(), call)
            .await
            .map_err(|_| OutOfTime)
    }

    /// Waits before another attempt, never past the point where a write could still start.
    pub(super) async fn backoff(&self, attempt: u32) {
        let wait = backoff_time(attempt).min(self.left().saturating_sub(READ_BACK_RESERVE));
        tokio::time::sleep(wait).await;
    }
}

pub(super) async fn backoff(attempt: u32) {
    tokio::time::sleep(backoff_time(attempt)).await;
}

fn backoff_time(attempt: u32) -> Duration {
    // Full jitter on an exponential base keeps retries of concurrent writers apart.
    let base = 10u64 << attempt.min(6);
    Duration::from_millis(base * random_byte() / 255 + 1)
}

fn random_byte() -> u64 {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte)
        .map(|_| u64::from(byte[0]))
        .unwrap_or(128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stuck_write_is_cut_off_before_the_read_back_reserve() {
        let budget = Budget::of(READ_BACK_RESERVE + Duration::from_millis(300));
        let started = Instant::now();
        let outcome = budget
            .write(tokio::time::sleep(Duration::from_secs(60)))
            .await;
        assert_eq!(outcome, Err(OutOfTime));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(!budget.allows_write(), "no time for another write");
        assert_eq!(
            budget.read(async { 7 }).await,
            Ok(7),
            "the reserve is left for reading"
        );
    }

    #[test]
    fn the_budget_fits_inside_the_function_timeout() {
        // infra/template.yaml gives the function 10 s; keep the store's share well below it.
        assert!(REQUEST_BUDGET <= Duration::from_secs(8));
        assert!(READ_BACK_RESERVE < REQUEST_BUDGET / 2);
    }
}
