//! Secrets: bearer tokens, widget keys and the values that must never reach a log.
//!
//! Tokens are 32 random bytes, base64url, with a short prefix that says what they are for (so a
//! leaked one is recognisable). Only their SHA-256 is stored: a token is high-entropy, so a fast
//! hash is enough and lookups stay a single indexed read. Passwords, being low-entropy, use argon2
//! (see `accounts::password`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A value that prints as `[redacted]` in `Debug` and `Display`, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is really needed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What a generated token is for; the prefix is part of the token.
#[derive(Debug, Clone, Copy)]
pub enum TokenKind {
    /// An operator or counselor API token.
    Operator,
    /// A customer's token for one webchat conversation.
    Conversation,
    /// A channel's public widget key.
    WidgetKey,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Operator => "sdm_",
            TokenKind::Conversation => "sdc_",
            TokenKind::WidgetKey => "wk_",
        }
    }
}

/// A fresh random token of the given kind.
pub fn generate(kind: TokenKind) -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret(format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes)))
}

/// A random password for a bootstrapped account: 18 bytes, base64url (24 characters).
pub fn generate_password() -> Secret {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    Secret(URL_SAFE_NO_PAD.encode(bytes))
}

/// A short hex digest identifying settings that include secrets, without keeping them: the first
/// 12 bytes of the SHA-256 of the parts, each followed by a zero byte. Stored checks (Twilio,
/// helpdesks) carry it to tell whether they are about the current settings.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of a token: what the store keeps and looks tokens up by.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn tokens_are_prefixed_unique_and_hash_stably() {
        let a = generate(TokenKind::Operator);
        let b = generate(TokenKind::Operator);
        assert!(a.expose().starts_with("sdm_"));
        assert_ne!(a, b);
        assert_eq!(token_hash(a.expose()), token_hash(a.expose()));
        assert_eq!(token_hash(a.expose()).len(), 64);
        assert_ne!(token_hash(a.expose()), token_hash(b.expose()));
    }
}
