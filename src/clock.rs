//! Time, injected.
//!
//! Everything that reads the time takes a [`Clock`], so auto-close sweeps, alarms and token expiry
//! can be tested at any instant. Times are UTC and truncated to microseconds, the precision both
//! store backends keep, so a value read back equals the value written.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC, at microsecond precision.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

/// A clock that stands still until moved; for tests and `--as-of` runs.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    /// A clock reading `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(truncate(at))))
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Drops precision below a microsecond.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// A local date written as RFC 3339 writes one, `YYYY-MM-DD` exactly (what the API document calls
/// the `date` format); chrono alone would also take a one-digit month or a five-digit year.
pub fn parse_date(value: &str) -> Option<chrono::NaiveDate> {
    let b = value.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    let digits = b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    (shape && digits).then(|| chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_one_form_rfc_3339_gives() {
        assert_eq!(parse_date("2026-02-28"), chrono::NaiveDate::from_ymd_opt(2026, 2, 28));
        for not_one in ["2026-2-28", "2026-02-30", " 2026-02-28", "+2026-02-28", "20260-02-2", "2026/02/28", ""] {
            assert_eq!(parse_date(not_one), None, "{not_one:?}");
        }
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z").unwrap().to_utc();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::minutes(5));
        assert_eq!(clock.now(), start + TimeDelta::minutes(5));
    }

    #[test]
    fn system_clock_has_microsecond_precision() {
        assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
