//! Password hashing with argon2id (the crate's default parameters, OWASP's recommendation).
//!
//! Hashing is deliberately slow, so it runs on the blocking pool, never on a request's task.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::secret::Secret;

/// Hashes a password into a PHC string.
pub async fn hash(password: Secret) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub async fn verify(password: Secret, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
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
        let stored = hash(Secret::new("correct horse")).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(Secret::new("correct horse"), stored.clone()).await);
        assert!(!verify(Secret::new("wrong horse"), stored).await);
        assert!(!verify(Secret::new("x"), "not a hash".into()).await);
        assert!(!verify(Secret::new("correct horse"), DECOY_HASH.into()).await);
    }

    #[test]
    fn the_decoy_is_a_real_hash() {
        // If it did not parse, unknown logins would skip the hashing and answer faster.
        let parsed = PasswordHash::new(DECOY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }
}
