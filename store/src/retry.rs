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
/// 50 s: every call is cut at what is left of the budget instead. Of the 7 s, writes get the first 3 s;
/// after an unknown outcome the last 4 s let any late write land ([`LATE_WRITE_GRACE`]) before the final
/// read-back ([`READ_BACK_RESERVE`]).
pub(super) const REQUEST_BUDGET: Duration = Duration::from_secs(7);

/// How long a write that the client gave up on may still be applied by the store: one SDK attempt lasts
/// at most 3 s (`Patience::Request`), plus a margin. Writes stop this long before the final read-back, so
/// that read sees every write of the request that will ever land: "mislukt" is then never said of a
/// registration that is stored a moment later.
pub(super) const LATE_WRITE_GRACE: Duration = Duration::from_millis(3500);

/// What the final read-back needs: one consistent GetItem.
pub(super) const READ_BACK_RESERVE: Duration = Duration::from_millis(500);

/// The time one request may still spend on the store.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    deadline: Instant,
    /// No write starts or runs after this.
    writes_until: Instant,
}

/// The budget ran out before the call finished; the call's outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OutOfTime;

impl Budget {
    pub(super) fn start() -> Budget {
        Budget::of(REQUEST_BUDGET)
    }

    /// The budget of a request that arrived at `started`: what it spent before (reading a secret) counts.
    pub(super) fn since(started: Instant) -> Budget {
        Budget::from(started, REQUEST_BUDGET)
    }

    pub(super) fn of(length: Duration) -> Budget {
        Budget::from(Instant::now(), length)
    }

    fn from(started: Instant, length: Duration) -> Budget {
        let now = Instant::now();
        let deadline = started + length;
        let writes_until = deadline
            .checked_sub(LATE_WRITE_GRACE + READ_BACK_RESERVE)
            .unwrap_or(now)
            .max(now);
        Budget {
            deadline,
            writes_until,
        }
    }

    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    fn write_time_left(&self) -> Duration {
        self.writes_until.saturating_duration_since(Instant::now())
    }

    /// Whether a write may still start.
    pub(super) fn allows_write(&self) -> bool {
        self.write_time_left() > Duration::from_millis(100)
    }

    /// Runs a write, cut off when the time for writes ends.
    pub(super) async fn write<T>(&self, call: impl Future<Output = T>) -> Result<T, OutOfTime> {
        tokio::time::timeout(self.write_time_left(), call)
            .await
            .map_err(|_| OutOfTime)
    }

    /// Runs a read with whatever is left.
    pub(super) async fn read<T>(&self, call: impl Future<Output = T>) -> Result<T, OutOfTime> {
        tokio::time::timeout(self.left(), call)
            .await
            .map_err(|_| OutOfTime)
    }

    /// Waits until no write of this request can land any more (the end of writes plus the grace).
    pub(super) async fn settle(&self) {
        let settled = self.writes_until + LATE_WRITE_GRACE;
        tokio::time::sleep_until(settled.min(self.deadline).into()).await;
    }

    /// Waits before another attempt, never past the end of writes.
    pub(super) async fn backoff(&self, attempt: u32) {
        let wait = backoff_time(attempt).min(self.write_time_left());
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
    async fn a_stuck_write_is_cut_off_where_writes_end_and_the_read_back_still_has_time() {
        let budget = Budget::of(LATE_WRITE_GRACE + READ_BACK_RESERVE + Duration::from_millis(300));
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
        assert!(
            LATE_WRITE_GRACE + READ_BACK_RESERVE < REQUEST_BUDGET,
            "writes get some time"
        );
    }
}
