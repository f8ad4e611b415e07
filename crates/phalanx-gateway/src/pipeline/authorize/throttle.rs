//! Throttling: API Gateway's token bucket ("API Gateway throttles requests
//! to your API using the token bucket algorithm, where a token counts for a
//! request", developer guide, "Throttle requests to your REST APIs"): a
//! bucket holding up to the burst limit, refilled at the rate limit a
//! second; a request takes a token or is answered 429 `Too Many Requests`
//! (gateway response `THROTTLED`).
//!
//! One bucket is one `AtomicU64`, taken with a compare-and-swap: requests
//! on the server's worker threads never wait on a lock. The bucket is kept
//! in the equivalent "virtual scheduling" form (the generic cell rate
//! algorithm): the time at which the bucket would be full again, in
//! nanoseconds since the epoch. A request at `now` would move that time to
//! `max(full, now) + interval`; it is admitted when that stays within
//! `burst × interval` of `now` — exactly a bucket of `burst` tokens gaining
//! one every `interval`.

use crate::model::Throttle;
use std::sync::atomic::{AtomicU64, Ordering};

/// AWS's account-level defaults (developer guide, "Amazon API Gateway
/// quotas": 10,000 requests a second, burst 5,000), used for the half of
/// a throttle setting that is left out: a stage or plan that sets only a
/// rate (or only a burst) still has the account's other limit above it.
pub(crate) const ACCOUNT_RATE_LIMIT: f64 = 10_000.0;
/// See [`ACCOUNT_RATE_LIMIT`].
pub(crate) const ACCOUNT_BURST_LIMIT: u64 = 5_000;

/// The limits of one bucket, resolved from a setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limit {
    /// Nanoseconds between two tokens; `None` when the rate is 0 (no
    /// token ever comes).
    interval_ns: Option<u64>,
    burst: u64,
}

impl Limit {
    /// The limit of a rate and burst as written: a negative value means
    /// "not set" (the console and the API write -1 for it) and falls back
    /// to the account default; a rate of 0 or a burst of 0 admits nothing.
    /// That 0 stops every request is not in the developer guide; it is
    /// what a bucket that never holds or never gains a token does, and it
    /// is how a stage is commonly switched off.
    pub(crate) fn new(rate_limit: Option<f64>, burst_limit: Option<u64>) -> Limit {
        let rate = match rate_limit {
            Some(r) if r >= 0.0 && r.is_finite() => r,
            _ => ACCOUNT_RATE_LIMIT,
        };
        let burst = burst_limit.unwrap_or(ACCOUNT_BURST_LIMIT);
        let interval_ns = if rate > 0.0 {
            // At least 1 ns: a rate above 10⁹ a second is no limit here.
            Some(((1e9 / rate).round() as u64).max(1))
        } else {
            None
        };
        Limit { interval_ns, burst }
    }

    /// The limit of a usage plan's `Throttle` (`RateLimit`, `BurstLimit`).
    pub(crate) fn of(throttle: &Throttle) -> Limit {
        Limit::new(throttle.rate_limit, throttle.burst_limit)
    }
}

/// A token bucket; shareable between threads.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    limit: Limit,
    /// When the bucket is full again (ns since the epoch); 0: full now.
    full_at: AtomicU64,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(limit: Limit) -> TokenBucket {
        TokenBucket {
            limit,
            full_at: AtomicU64::new(0),
        }
    }

    /// Takes a token at `now_ns` (ns since the epoch); `false` when the
    /// request is throttled. A throttled request takes nothing, as in a
    /// token bucket.
    pub(crate) fn try_take(&self, now_ns: u64) -> bool {
        let Some(interval) = self.limit.interval_ns else {
            return false;
        };
        if self.limit.burst == 0 {
            return false;
        }
        let capacity = interval.saturating_mul(self.limit.burst);
        let mut full_at = self.full_at.load(Ordering::Relaxed);
        loop {
            let next = full_at.max(now_ns).saturating_add(interval);
            if next - now_ns > capacity {
                return false;
            }
            match self.full_at.compare_exchange_weak(
                full_at,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => full_at = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        // Rate 10/s, burst 3: three at once, then one every 100 ms.
        let b = TokenBucket::new(Limit::new(Some(10.0), Some(3)));
        let t0 = 1_000 * S;
        assert!(b.try_take(t0));
        assert!(b.try_take(t0));
        assert!(b.try_take(t0));
        assert!(!b.try_take(t0));
        assert!(!b.try_take(t0 + 99_000_000));
        assert!(b.try_take(t0 + 100_000_000));
        assert!(!b.try_take(t0 + 100_000_000));
        // After a quiet second the bucket is full again, not fuller.
        let t1 = t0 + 2 * S;
        assert_eq!((0..10).filter(|_| b.try_take(t1)).count(), 3);
    }

    #[test]
    fn over_a_second_the_rate_is_admitted() {
        let b = TokenBucket::new(Limit::new(Some(100.0), Some(20)));
        let t0 = 5_000 * S;
        // A request every millisecond for a second: the burst, then the rate.
        let admitted = (0..1_000)
            .filter(|ms| b.try_take(t0 + ms * 1_000_000))
            .count();
        assert!((110..=125).contains(&admitted), "{admitted}");
    }

    #[test]
    fn zero_admits_nothing_and_negative_is_unset() {
        assert!(!TokenBucket::new(Limit::new(Some(0.0), Some(10))).try_take(S));
        assert!(!TokenBucket::new(Limit::new(Some(10.0), Some(0))).try_take(S));
        let unset = Limit::new(Some(-1.0), None);
        assert_eq!(unset, Limit::new(None, Some(ACCOUNT_BURST_LIMIT)));
        assert!(TokenBucket::new(unset).try_take(S));
    }

    #[test]
    fn threads_share_a_bucket_without_losing_tokens() {
        let b = std::sync::Arc::new(TokenBucket::new(Limit::new(Some(1.0), Some(1_000))));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || (0..500).filter(|_| b.try_take(7 * S)).count())
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        assert_eq!(total, 1_000);
    }
}
