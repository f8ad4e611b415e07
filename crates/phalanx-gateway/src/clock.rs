//! Time formats API Gateway and Lambda print, without a date-time crate:
//! `$context.requestTime` (`25/Nov/2026:14:39:48 +0000`) and ISO 8601 with
//! milliseconds (`2026-11-25T14:39:48.123Z`); and [`Clock`], where a
//! gateway reads the time (the system's, or one a test moves, so tests of
//! throttling and quotas never sleep).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a [`crate::Gateway`] reads the time: the system clock (the
/// default), or a manual clock that only moves when told
/// ([`Clock::manual`], for tests). Cheap to clone; clones share the time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Nanoseconds since the epoch, when manual.
    manual: Option<Arc<AtomicU64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at `start` until [`Clock::advance`] or
    /// [`Clock::set`] moves it.
    pub fn manual(start: SystemTime) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicU64::new(nanos(start)))),
        }
    }

    /// Moves a manual clock forward (a system clock is not moved).
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            let _ = m.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(by))
            });
        }
    }

    /// Sets a manual clock (a system clock is not moved).
    pub fn set(&self, to: SystemTime) {
        if let Some(m) = &self.manual {
            m.store(nanos(to), Ordering::Relaxed);
        }
    }

    /// The time now.
    pub fn now(&self) -> SystemTime {
        match &self.manual {
            None => SystemTime::now(),
            Some(m) => UNIX_EPOCH + Duration::from_nanos(m.load(Ordering::Relaxed)),
        }
    }
}

/// Nanoseconds since the epoch (0 before it; saturating after 2554).
pub(crate) fn nanos(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Whole UTC days since the epoch.
pub(crate) fn epoch_day(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400
}

/// Months since January 1970, in UTC (`year * 12 + month - 1`, less
/// 1970's).
pub(crate) fn epoch_month(t: SystemTime) -> u64 {
    let c = civil(t);
    let months = (c.year - 1970) * 12 + i64::from(c.month) - 1;
    u64::try_from(months).unwrap_or(0)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Broken-down UTC time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u32,
}

fn civil(t: SystemTime) -> Civil {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        millis: d.subsec_millis(),
    }
}

thread_local! {
    /// Requests in the same second share the formatted time.
    static LAST_REQUEST_TIME: std::cell::RefCell<(u64, String)> =
        const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// `$context.requestTime`: CLF format, `dd/MMM/yyyy:HH:mm:ss +0000`.
pub fn request_time(t: SystemTime) -> String {
    let second = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    LAST_REQUEST_TIME.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != second {
            *cached = (second, format_request_time(t));
        }
        cached.1.clone()
    })
}

fn format_request_time(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// ISO 8601 UTC with milliseconds.
pub fn iso8601_millis(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// Java's `Date.toString()` in UTC, `EEE MMM dd HH:mm:ss zzz yyyy`
/// (`Fri Jul 29 18:52:53 UTC 2016`): how a Cognito authorizer shows a
/// token's `exp` and `iat` claims (recorded in
/// amazon-archives/amazon-cognito-identity-js#92).
pub fn java_date(epoch_seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let t = UNIX_EPOCH + std::time::Duration::from_secs(epoch_seconds);
    let c = civil(t);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[((epoch_seconds / 86_400) % 7) as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// SigV4's basic ISO 8601 time, `yyyyMMddTHHmmssZ`.
pub fn amz_date(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Parses [`amz_date`]'s format; `None` for anything else.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + std::time::Duration::from_secs(s))
}

/// Milliseconds since the epoch (`$context.requestTimeEpoch`).
pub fn epoch_millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_date_and_amz_date() {
        // The recording's `exp` (amazon-cognito-identity-js#92).
        assert_eq!(java_date(1_469_818_373), "Fri Jul 29 18:52:53 UTC 2016");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(t));
        for bad in [
            "",
            "20150830T123600",
            "2015083OT123600Z",
            "20151330T123600Z",
            "é0150830T12360Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        // 2026-11-25T14:39:48.123Z
        let t = UNIX_EPOCH + Duration::from_millis(1_795_617_588_123);
        assert_eq!(iso8601_millis(t), "2026-11-25T14:39:48.123Z");
        assert_eq!(request_time(t), "25/Nov/2026:14:39:48 +0000");
        // A leap day.
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601_millis(t), "2000-02-29T00:00:00.000Z");
        assert_eq!(epoch_month(t), 30 * 12 + 1);
        assert_eq!(epoch_day(t), 11_016);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000);
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.clone().advance(Duration::from_millis(1_500));
        assert_eq!(clock.now(), start + Duration::from_millis(1_500));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
