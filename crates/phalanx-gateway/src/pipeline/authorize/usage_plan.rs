//! Usage plans and stage throttling: how often a caller may call.
//!
//! AWS's order (developer guide, "Throttle requests to your REST APIs",
//! "How throttling limit settings are applied"): first the per-client or
//! per-method limits of the API key's usage plan, then the stage's
//! per-method limits (its `MethodSettings`), then the account's. So:
//!
//! - **Usage plans** meter the callers of methods with `ApiKeyRequired`
//!   only: "the plan uses API keys to identify API clients", and "you can
//!   configure individual API methods to require API key authorization
//!   based on usage plan configuration" (developer guide, "Usage plans and
//!   API keys for REST APIs"); a method that does not require a key never
//!   reads one. "Throttling and quota limits apply to requests for
//!   individual API keys that are aggregated across all API stages within
//!   a usage plan" (same page): each key has its own buckets and quota. A
//!   method listed in the plan stage's `Throttle` (`/pets/GET`) has its
//!   own bucket per key with those limits instead of the plan's.
//! - **Quotas** count a key's admitted requests per UTC calendar period
//!   (DAY: from 00:00 UTC; WEEK: from Sunday 00:00 UTC; MONTH: from the
//!   1st, 00:00 UTC); in the first period `Offset` requests fewer are
//!   allowed ("the number of requests subtracted from the given limit in
//!   the initial time period", API reference `QuotaSettings`). Past the
//!   quota: 429 `Limit Exceeded` (`QUOTA_EXCEEDED`). A throttled request
//!   is not counted.
//! - **Stage throttling** (`MethodSettings`) applies to every caller of a
//!   method, with or without a key: one bucket per method.
//!
//! Choices where no AWS answer was found, each marked where it is made:
//! weeks start on Sunday (the API reference's earlier `offset` text: "with
//! a time period of WEEK, an offset of 0 starts on Sunday"); the first
//! period is the one of the gateway's first metered request (AWS's is the
//! period the plan was created in); a key in two plans covering the stage
//! is metered by the first ("for each stage of an API, a given API key can
//! only be associated with one usage plan", same page). A quota counts
//! the stage this gateway serves: the plan's other stages are other
//! gateways.
//!
//! Everything is allocated when the API is compiled: on the hot path a
//! request reads a `HashMap` and takes tokens from atomics, no lock.

use super::throttle::{Limit, TokenBucket};
use crate::compile::CompiledMethod;
use crate::model::{Quota, RestApi};
use crate::pipeline::{GatewayError, ResponseType};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// The compiled limits of one stage.
pub(crate) struct Limits {
    /// Per method (indexed as `CompiledApi::methods`): the stage's bucket
    /// for every caller.
    stage: Vec<Option<TokenBucket>>,
    /// API key value → the meters of its usage plan.
    keys: HashMap<String, KeyMeter>,
    /// Whether nothing is limited, answered once here rather than per
    /// request.
    empty: bool,
}

/// One API key's meters under its usage plan.
struct KeyMeter {
    /// The plan's bucket for this key.
    plan: Option<TokenBucket>,
    /// Per method: the plan stage's own bucket for the method, if it has
    /// one (empty when the plan throttles no method by itself).
    methods: Vec<Option<TokenBucket>>,
    quota: Option<QuotaMeter>,
}

/// A definition problem: the place and the message.
pub(crate) type Problem = (String, String);

impl Limits {
    /// The limits of `stage_name` of `api` for its compiled `methods`
    /// (enabled `keys`: value → name); problems are the plans' method
    /// paths that name no method, and unknown quota periods.
    pub(crate) fn compile(
        api: &RestApi,
        stage_name: &str,
        methods: &[CompiledMethod],
        keys: &HashMap<String, String>,
    ) -> (Limits, Vec<Problem>) {
        let mut problems = Vec::new();
        let stage = api.stages.iter().find(|s| s.stage_name == stage_name);
        let stage_buckets: Vec<Option<TokenBucket>> = methods
            .iter()
            .map(|m| {
                stage
                    .and_then(|s| s.method_throttle(&m.resource_path, &m.http_method))
                    .map(|(_, t)| TokenBucket::new(Limit::new(t.rate_limit, t.burst_limit)))
            })
            .collect();
        let mut meters: HashMap<String, KeyMeter> = HashMap::new();
        // Key values by name, for the plans' key lists.
        let by_name: HashMap<&str, &str> = keys
            .iter()
            .map(|(value, name)| (name.as_str(), value.as_str()))
            .collect();
        for plan in &api.usage_plans {
            let Some(plan_stage) = plan.api_stages.iter().find(|s| s.stage == stage_name) else {
                continue;
            };
            let place = format!("usage plan {}", plan.name);
            // Method index → its limit in this plan.
            let mut method_limits: Vec<Option<Limit>> = Vec::new();
            for (path, throttle) in &plan_stage.throttle {
                match method_of(path, methods) {
                    Some(i) => {
                        method_limits.resize(methods.len(), None);
                        method_limits[i] = Some(Limit::of(throttle));
                    }
                    None => problems.push((
                        place.clone(),
                        format!(
                            "the Throttle of stage {stage_name} names `{path}`, which is no \
                             method of the API (write the resource path, then the HTTP method: \
                             `/pets/GET`)"
                        ),
                    )),
                }
            }
            let period = match &plan.quota {
                None => None,
                Some(q) => match Period::from_name(&q.period) {
                    Some(p) => Some((p, q)),
                    None => {
                        problems.push((
                            place.clone(),
                            format!(
                                "`{}` is not a quota period: use DAY, WEEK or MONTH",
                                q.period
                            ),
                        ));
                        None
                    }
                },
            };
            for name in &plan.api_keys {
                let Some(value) = by_name.get(name.as_str()) else {
                    continue; // disabled, or not covering this stage
                };
                // The first plan wins (AWS refuses a key in two plans of
                // one stage).
                meters
                    .entry((*value).to_string())
                    .or_insert_with(|| KeyMeter {
                        plan: plan
                            .throttle
                            .as_ref()
                            .map(|t| TokenBucket::new(Limit::of(t))),
                        methods: method_limits
                            .iter()
                            .map(|l| l.map(TokenBucket::new))
                            .collect(),
                        quota: period.map(|(p, q)| QuotaMeter::new(p, q)),
                    });
            }
        }
        let empty = meters.is_empty() && stage_buckets.iter().all(Option::is_none);
        (
            Limits {
                stage: stage_buckets,
                keys: meters,
                empty,
            },
            problems,
        )
    }

    /// Whether anything is limited (so requests can skip the clock).
    pub(crate) fn is_empty(&self) -> bool {
        self.empty
    }

    /// Meters one request to the method at `method` (its index) at `now`:
    /// first the usage plan of `api_key` (the key the method required, if
    /// it requires one), then the stage's limit of the method.
    pub(crate) fn check(
        &self,
        method: usize,
        api_key: Option<&str>,
        now: SystemTime,
    ) -> Result<(), GatewayError> {
        let now_ns = crate::clock::nanos(now);
        if let Some(meter) = api_key.and_then(|k| self.keys.get(k)) {
            let bucket = meter
                .methods
                .get(method)
                .and_then(Option::as_ref)
                .or(meter.plan.as_ref());
            if let Some(bucket) = bucket
                && !bucket.try_take(now_ns)
            {
                return Err(throttled("the API key's usage plan throttled the request"));
            }
            if let Some(quota) = &meter.quota
                && !quota.try_take(now)
            {
                return Err(
                    GatewayError::new(ResponseType::QuotaExceeded, "Limit Exceeded")
                        .with_detail("the API key's usage plan quota for this period is used up"),
                );
            }
        }
        if let Some(Some(bucket)) = self.stage.get(method)
            && !bucket.try_take(now_ns)
        {
            return Err(throttled(
                "the stage's method settings throttled the request",
            ));
        }
        Ok(())
    }
}

fn throttled(detail: &str) -> GatewayError {
    GatewayError::new(ResponseType::Throttled, "Too Many Requests").with_detail(detail)
}

/// The method a plan's `/resource/path/METHOD` names (`//GET` is the root
/// resource's GET), by index.
fn method_of(path: &str, methods: &[CompiledMethod]) -> Option<usize> {
    let (resource, verb) = crate::model::split_throttle_key(path)?;
    methods
        .iter()
        .position(|m| &*m.resource_path == resource && m.http_method.eq_ignore_ascii_case(verb))
}

/// A quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    fn from_name(name: &str) -> Option<Period> {
        match name.to_ascii_uppercase().as_str() {
            "DAY" => Some(Period::Day),
            "WEEK" => Some(Period::Week),
            "MONTH" => Some(Period::Month),
            _ => None,
        }
    }

    /// The number of the UTC period `t` falls in, counted from the epoch.
    pub(crate) fn index(self, t: SystemTime) -> u64 {
        match self {
            Period::Day => crate::clock::epoch_day(t),
            // 1970-01-01 was a Thursday: day 3 is the first Sunday; weeks
            // start on Sunday (see the module's choices).
            Period::Week => (crate::clock::epoch_day(t) + 4) / 7,
            Period::Month => crate::clock::epoch_month(t),
        }
    }
}

/// A key's quota: one `AtomicU64` holding whether the count is of the
/// first period (bit 63), the period's number + 1 (bits 32–62; 0: no
/// request yet) and the count (bits 0–31), updated by compare-and-swap.
struct QuotaMeter {
    period: Period,
    limit: u64,
    first_limit: u64,
    state: AtomicU64,
}

const FIRST: u64 = 1 << 63;
const PERIOD_MASK: u64 = 0x7fff_ffff;
const COUNT_MASK: u64 = 0xffff_ffff;

impl QuotaMeter {
    fn new(period: Period, quota: &Quota) -> QuotaMeter {
        let limit = quota.limit.min(COUNT_MASK);
        QuotaMeter {
            period,
            limit,
            first_limit: limit.saturating_sub(quota.offset),
            state: AtomicU64::new(0),
        }
    }

    /// Counts a request at `now`; `false` when the period's quota is used.
    fn try_take(&self, now: SystemTime) -> bool {
        let current = (self.period.index(now) + 1) & PERIOD_MASK;
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let (first, count) = if state == 0 {
                (true, 0)
            } else if (state >> 32) & PERIOD_MASK != current {
                // A new period (or the clock went back): counting starts
                // again, with the whole limit.
                (false, 0)
            } else {
                (state & FIRST != 0, state & COUNT_MASK)
            };
            let limit = if first { self.first_limit } else { self.limit };
            if count >= limit {
                return false;
            }
            let next = if first { FIRST } else { 0 } | (current << 32) | (count + 1);
            match self.state.compare_exchange_weak(
                state,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn periods_are_utc_calendar_periods() {
        // 2026-12-05 (a Saturday) 23:59:59 UTC, and a second later.
        let sat = at(1_796_515_199);
        let sun = at(1_796_515_200);
        assert_eq!(
            crate::clock::iso8601_millis(sun),
            "2026-12-06T00:00:00.000Z"
        );
        assert_eq!(Period::Day.index(sun), Period::Day.index(sat) + 1);
        assert_eq!(Period::Week.index(sun), Period::Week.index(sat) + 1);
        // Monday is in Sunday's week.
        assert_eq!(
            Period::Week.index(at(1_796_601_600)),
            Period::Week.index(sun)
        );
        assert_eq!(Period::Month.index(sun), Period::Month.index(sat));
        // 2027-01-01T00:00:00Z starts a month.
        let jan = at(1_798_761_600);
        assert_eq!(
            crate::clock::iso8601_millis(jan),
            "2027-01-01T00:00:00.000Z"
        );
        assert_eq!(Period::Month.index(jan), Period::Month.index(sun) + 1);
    }

    #[test]
    fn a_quota_counts_per_period_with_the_offset_in_the_first() {
        let q = QuotaMeter::new(
            Period::Day,
            &Quota {
                limit: 3,
                period: "DAY".into(),
                offset: 1,
            },
        );
        let day = 86_400 * 20_000;
        assert!(q.try_take(at(day + 10)));
        assert!(q.try_take(at(day + 20)));
        // The first day allows limit - offset = 2.
        assert!(!q.try_take(at(day + 30)));
        // The next day, the whole limit.
        let next = day + 86_400;
        assert_eq!((0..5).filter(|_| q.try_take(at(next + 1))).count(), 3);
    }
}
