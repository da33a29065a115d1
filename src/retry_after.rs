//! When to try an outside service again: its `Retry-After`, as Twilio, Shopify and the helpdesks
//! send it (delay-seconds, whole or fractional as Shopify writes `2.0`, or an HTTP date), or else
//! exponential backoff with jitter. Both outboxes (SMS and helpdesk tickets) use these.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Exponential backoff with jitter after `attempts` failed attempts: about 2 s, 4 s, 8 s …
/// capped at 10 minutes; the jitter keeps many retries from arriving together.
pub fn backoff(attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0);
    let base = Duration::from_secs(2u64.pow(exponent) * 2).min(Duration::from_secs(600));
    base.mul_f64(rand::rng().random_range(0.8..1.2))
}

/// How long the server asked us to wait; a date in the past means no wait, nonsense means `None`.
pub fn parse(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (0.0..=86_400.0).contains(&seconds).then(|| Duration::from_secs_f64(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(value).expect("test header"));
        map
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff(1);
        assert!(first >= Duration::from_millis(1600) && first <= Duration::from_millis(2400), "{first:?}");
        let fourth = backoff(4);
        assert!(fourth >= Duration::from_millis(12_800) && fourth <= Duration::from_millis(19_200), "{fourth:?}");
        assert!(backoff(40) <= Duration::from_secs(720));
    }

    #[test]
    fn seconds_whole_or_fractional_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T07:28:00Z").expect("date").with_timezone(&Utc);
        assert_eq!(parse(&headers("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(parse(&headers(" 120 "), now), Some(Duration::from_secs(120)));
        assert_eq!(parse(&headers("2.0"), now), Some(Duration::from_secs(2)));
        assert_eq!(parse(&headers("0.5"), now), Some(Duration::from_millis(500)));
        assert_eq!(parse(&headers("Sat, 21 Nov 2026 07:28:30 GMT"), now), Some(Duration::from_secs(30)));
        assert_eq!(parse(&headers("Sat, 21 Nov 2026 07:27:00 GMT"), now), Some(Duration::ZERO));
        for junk in ["soon", "-1", "-5", "NaN", "inf", "1e9"] {
            assert_eq!(parse(&headers(junk), now), None, "{junk}");
        }
        assert_eq!(parse(&HeaderMap::new(), now), None);
    }
}
