//! Login throttling: per login and per client address, on `governor`'s keyed GCRA limiters.
//!
//! Every attempt takes a cell from its login's and its address's budget *before* the password is
//! hashed, so a refused attempt costs no argon2 and cannot tell a right password from a wrong one.
//! A successful login gives its login's budget back (the counter counts failures in a row); the
//! address's budget is never given back, or one's own account could launder guesses at others.
//! A budget of `n` in a `window` lets `n` attempts through at once and then one every
//! `window / n`, and is whole again after `window` without attempts: the lockout lifts by itself.
//!
//! The limiters read the engine's injected clock, so tests move time instead of sleeping.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{Quota, RateLimiter};

use crate::clock::Clock;

/// How many checks pass between two sweeps of keys whose budget is whole again.
const PRUNE_EVERY: u64 = 4096;

/// The engine's clock as `governor` wants one: nanoseconds since the Unix epoch.
#[derive(Clone)]
pub struct EngineClock(Arc<dyn Clock>);

impl GovernorClock for EngineClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(0);
        Nanos::new(u64::try_from(nanos).unwrap_or(0))
    }
}

/// A keyed state store whose keys can also be forgotten (a login that succeeded).
#[derive(Debug)]
struct Forgetful<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for Forgetful<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Forgetful<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        ShrinkableKeyedStateStore::shrink_to_fit(self.0.as_ref());
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(self.0.as_ref())
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(self.0.as_ref())
    }
}

/// One budget per key.
struct Budget<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, Forgetful<K>, EngineClock, NoOpMiddleware<Nanos>>,
    keys: Arc<DashMapStateStore<K>>,
    clock: EngineClock,
}

impl<K: Hash + Eq + Clone> Budget<K> {
    fn new(attempts: u32, window: Duration, clock: EngineClock) -> Self {
        let attempts = NonZeroU32::new(attempts.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = (window / attempts.get()).max(Duration::from_millis(1));
        let quota =
            Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(attempts);
        let keys: Arc<DashMapStateStore<K>> = Arc::new(DashMapStateStore::default());
        let limiter = RateLimiter::new(quota, Forgetful(Arc::clone(&keys)), clock.clone());
        Budget { limiter, keys, clock }
    }

    /// Takes a cell; on refusal, how long until the next one.
    fn take(&self, key: &K) -> Result<(), Duration> {
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn forget(&self, key: &K) {
        self.keys.remove(key);
    }

    fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.limiter.len()
    }
}

/// How many attempts the throttle lets through, and over what window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failed attempts in a row one login may have before it must wait.
    pub per_login: u32,
    /// Attempts one client address may make before it must wait (successes count too).
    pub per_address: u32,
    /// How long a spent budget takes to be whole again.
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig { per_login: 5, per_address: 50, window: Duration::from_secs(300) }
    }
}

/// The attempt was refused; try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many login attempts; try again in {} seconds", whole_seconds(*.retry_after))]
pub struct TooManyAttempts {
    /// How long to wait.
    pub retry_after: Duration,
}

/// Whole seconds, rounded up, at least one: what `Retry-After` says.
pub fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The per-login and per-address budgets.
pub struct Throttle {
    logins: Budget<String>,
    addresses: Budget<IpAddr>,
    checks: AtomicU64,
}

impl Throttle {
    /// A throttle with `config`'s budgets on the engine's clock.
    pub fn new(config: &ThrottleConfig, clock: Arc<dyn Clock>) -> Self {
        let clock = EngineClock(clock);
        Throttle {
            logins: Budget::new(config.per_login, config.window, clock.clone()),
            addresses: Budget::new(config.per_address, config.window, clock),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one attempt from the login's and the address's budgets, or says how long to wait.
    /// The login is compared as it is stored: lowercase, at most 64 characters.
    pub fn attempt(&self, login: &str, address: Option<IpAddr>) -> Result<(), TooManyAttempts> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.logins.prune();
            self.addresses.prune();
        }
        let refused = |retry_after| TooManyAttempts { retry_after };
        if let Some(address) = address {
            self.addresses.take(&address_key(address)).map_err(refused)?;
        }
        self.logins.take(&login_key(login)).map_err(refused)
    }

    /// The login succeeded: its failures are forgotten.
    pub fn succeeded(&self, login: &str) {
        self.logins.forget(&login_key(login));
    }
}

fn login_key(login: &str) -> String {
    login.chars().take(64).collect::<String>().to_lowercase()
}

/// IPv6 clients usually hold a whole /64, so they are counted per /64.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::clock::FixedClock;

    fn throttle(per_login: u32, per_address: u32) -> (Throttle, FixedClock) {
        let clock = FixedClock::new(chrono::Utc::now());
        let config = ThrottleConfig { per_login, per_address, window: Duration::from_secs(300) };
        (Throttle::new(&config, Arc::new(clock.clone())), clock)
    }

    #[test]
    fn a_login_is_locked_after_its_budget_and_unlocks_by_itself() {
        let (t, clock) = throttle(5, 100);
        for _ in 0..5 {
            assert!(t.attempt("Kim", None).is_ok());
        }
        let refused = t.attempt("kim", None).unwrap_err();
        assert_eq!(whole_seconds(refused.retry_after), 60);
        assert!(t.attempt("lee", None).is_ok(), "other logins are not affected");
        clock.advance(TimeDelta::seconds(60));
        assert!(t.attempt("kim", None).is_ok());
        assert!(t.attempt("kim", None).is_err(), "one attempt per window/5 after the burst");
        clock.advance(TimeDelta::seconds(300));
        for _ in 0..5 {
            assert!(t.attempt("kim", None).is_ok());
        }
    }

    #[test]
    fn success_forgets_a_logins_failures() {
        let (t, _) = throttle(3, 100);
        for _ in 0..3 {
            t.attempt("kim", None).unwrap();
        }
        t.succeeded("KIM");
        for _ in 0..3 {
            assert!(t.attempt("kim", None).is_ok());
        }
    }

    #[test]
    fn an_address_is_limited_across_logins_and_ipv6_per_64() {
        let (t, _) = throttle(100, 4);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        for (i, address) in [a, b, a, b].into_iter().enumerate() {
            assert!(t.attempt(&format!("user{i}"), Some(address)).is_ok());
        }
        assert!(t.attempt("user9", Some(a)).is_err());
        assert!(t.attempt("user9", Some("2001:db8:1:3::1".parse().unwrap())).is_ok());
    }

    #[test]
    fn spent_keys_are_pruned_once_whole_again() {
        let (t, clock) = throttle(2, 2);
        t.attempt("kim", None).unwrap();
        assert_eq!(t.logins.len(), 1);
        clock.advance(TimeDelta::seconds(600));
        t.logins.prune();
        assert_eq!(t.logins.len(), 0);
    }
}
