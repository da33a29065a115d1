//! Password hashing with argon2id (the crate's default parameters, OWASP's recommendation).
//!
//! Hashing is deliberately slow, so it runs on the blocking pool, never on a request's task. A
//! flood of logins must not take every core: [`Hasher`] lets only a few hashes run at once and
//! keeps a short queue behind them; past that, callers are told to come back instead of waiting.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::secret::Secret;

/// How many hashes may wait for a worker before new ones are turned away.
pub const QUEUE: usize = 16;

/// The hashing was refused because the workers and their queue are full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many passwords are being checked right now; try again in a second")]
pub struct Busy;

/// Runs argon2 on a bounded number of blocking threads with a bounded queue.
#[derive(Debug, Clone)]
pub struct Hasher {
    /// Held while a hash runs: the number of cores hashing may take.
    workers: Arc<Semaphore>,
    /// Held from admission to the end: workers plus the queue.
    admitted: Arc<Semaphore>,
}

impl Hasher {
    /// A hasher running at most `workers` hashes at once with `queue` more waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Hasher { workers: Arc::new(Semaphore::new(workers)), admitted: Arc::new(Semaphore::new(workers + queue)) }
    }

    /// Half the machine's cores (at least one, at most four), so that hashing never takes every
    /// core from the requests that do not hash; with [`QUEUE`] waiting.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new((cores / 2).clamp(1, 4), QUEUE)
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: Secret) -> Result<anyhow::Result<String>, Busy> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
    pub async fn verify(&self, password: Secret, stored: String) -> Result<bool, Busy> {
        self.run(move || verify_now(&password, &stored)).await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let Ok(_admitted) = Arc::clone(&self.admitted).try_acquire_owned() else { return Err(Busy) };
        let Ok(_worker) = Arc::clone(&self.workers).acquire_owned().await else { return Err(Busy) };
        // A panic inside argon2 is a bug, not the caller's doing; treat it as no answer.
        tokio::task::spawn_blocking(work).await.map_err(|_| Busy)
    }
}

/// Hashes a password into a PHC string, outside any bound (start-up and the command line).
pub async fn hash(password: Secret) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

fn hash_now(password: &Secret) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

fn verify_now(password: &Secret, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash that no password matches, verified against when a login is unknown so that the
/// response time does not reveal which logins exist.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FuZ2RhbWRlY295c2FsdA$0ZQ8zlXqsH3p8kCzq5h6cW2uGmJp9wV8y4bJkq4GJkE";

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHash;

    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = Hasher::new(1, 1);
        let stored = hasher.hash(Secret::new("correct horse")).await.unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(hasher.verify(Secret::new("correct horse"), stored.clone()).await.unwrap());
        assert!(!hasher.verify(Secret::new("wrong horse"), stored).await.unwrap());
        assert!(!hasher.verify(Secret::new("x"), "not a hash".into()).await.unwrap());
        assert!(!hasher.verify(Secret::new("correct horse"), DECOY_HASH.into()).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_turns_callers_away_instead_of_piling_up() {
        let hasher = Hasher::new(1, 1);
        let stored = hash(Secret::new("correct horse")).await.unwrap();
        let calls: Vec<_> = (0..6)
            .map(|_| {
                let (h, s) = (hasher.clone(), stored.clone());
                tokio::spawn(async move { h.verify(Secret::new("correct horse"), s).await })
            })
            .collect();
        let mut busy = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(matched) => assert!(matched),
                Err(Busy) => busy += 1,
            }
        }
        assert!(busy >= 1, "six hashes at once on one worker and a queue of one: some must be refused");
        assert!(hasher.verify(Secret::new("correct horse"), stored).await.unwrap(), "the hasher recovers");
    }

    #[test]
    fn the_decoy_is_a_real_hash() {
        // If it did not parse, unknown logins would skip the hashing and answer faster.
        let parsed = PasswordHash::new(DECOY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }
}
