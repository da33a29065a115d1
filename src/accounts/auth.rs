//! What guards the way in: the login throttle, the bounded hasher and the tokens' lifetimes.
//!
//! Tokens from a login live `idle` without use and `max` at most. Twelve hours idle covers a
//! counselor's working day with its breaks, so nobody signs in twice a shift, while a console
//! left open overnight asks for the password next morning; thirty days bounds what a copied
//! token is worth even when it is used every day. The `SANGDAM_ADMIN_TOKEN` token is exempt: the
//! operator decides its life (see `workspaces::provision::bootstrap`).

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::Principal;
use super::password::Hasher;
use super::throttle::{Throttle, ThrottleConfig};
use crate::clock::Clock;

/// How often a token's last use is written at most: reads stay reads.
pub const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// How long tokens from a login live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// A token unused this long stops working.
    pub idle: TimeDelta,
    /// A token this old stops working however much it is used.
    pub max: TimeDelta,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        TokenLifetimes { idle: TimeDelta::hours(12), max: TimeDelta::days(30) }
    }
}

/// Login settings from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginConfig {
    /// The throttle's budgets.
    pub throttle: ThrottleConfig,
    /// How long tokens live.
    pub tokens: TokenLifetimes,
    /// Whether the engine sits behind a proxy that appends the client's address to
    /// `X-Forwarded-For`; only then is that header believed.
    pub behind_proxy: bool,
}

/// A stored token with the account behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenGrant {
    /// Who the token speaks for.
    pub principal: Principal,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute); its issue time if never.
    pub last_used_at: DateTime<Utc>,
    /// The `SANGDAM_ADMIN_TOKEN` token, which does not expire.
    pub from_env: bool,
}

/// What to do with a token presented at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid; `touch` when its last use should be written.
    Valid {
        /// Write the last use.
        touch: bool,
    },
    /// Past its idle or absolute lifetime: refuse and forget it.
    Expired,
}

impl TokenLifetimes {
    /// Judges a token at `now`.
    pub fn judge(&self, grant: &TokenGrant, now: DateTime<Utc>) -> Verdict {
        let expired = now - grant.created_at >= self.max || now - grant.last_used_at >= self.idle;
        if expired && !grant.from_env {
            Verdict::Expired
        } else {
            Verdict::Valid { touch: now - grant.last_used_at >= TOUCH_EVERY }
        }
    }
}

/// The login guards of one running engine.
pub struct Auth {
    /// Per-login and per-address budgets.
    pub throttle: Throttle,
    /// The bounded argon2 runner.
    pub hasher: Hasher,
    /// Token lifetimes.
    pub tokens: TokenLifetimes,
    /// Believe `X-Forwarded-For`.
    pub behind_proxy: bool,
}

impl Auth {
    /// Guards built from `config`, on the engine's clock.
    pub fn new(config: &LoginConfig, clock: Arc<dyn Clock>) -> Self {
        Auth {
            throttle: Throttle::new(&config.throttle, clock),
            hasher: Hasher::for_this_machine(),
            tokens: config.tokens,
            behind_proxy: config.behind_proxy,
        }
    }
}

/// Where a request came from, as far as the engine can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientAddress(pub Option<IpAddr>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Role;
    use crate::ids::{AccountId, WorkspaceId};

    fn grant(created: DateTime<Utc>, used: DateTime<Utc>, from_env: bool) -> TokenGrant {
        let principal = Principal { account_id: AccountId::new(), workspace_id: WorkspaceId::new(), role: Role::Agent };
        TokenGrant { principal, created_at: created, last_used_at: used, from_env }
    }

    #[test]
    fn tokens_expire_idle_or_old_but_the_env_token_does_not() {
        let life = TokenLifetimes::default();
        let t0 = DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z").unwrap().to_utc();
        assert_eq!(life.judge(&grant(t0, t0, false), t0), Verdict::Valid { touch: false });
        assert_eq!(life.judge(&grant(t0, t0, false), t0 + TimeDelta::seconds(61)), Verdict::Valid { touch: true });
        assert_eq!(life.judge(&grant(t0, t0, false), t0 + TimeDelta::hours(12)), Verdict::Expired);
        let used = t0 + TimeDelta::days(30) - TimeDelta::hours(1);
        assert_eq!(life.judge(&grant(t0, used, false), t0 + TimeDelta::days(30)), Verdict::Expired);
        assert_eq!(life.judge(&grant(t0, t0, true), t0 + TimeDelta::days(90)), Verdict::Valid { touch: true });
    }
}
