//! Widget load tokens: proof that a settings call comes from the widget script this engine served,
//! not from a request that only claims an `Origin`.
//!
//! Every copy of `/widget.js` carries a fresh token `wl1.<expiry>.<nonce>.<mac>`: the expiry in
//! unix seconds, 16 random bytes, and an HMAC-SHA256 over both keyed by a signing key kept in the
//! store (so every engine process on the database issues and accepts the same tokens). The widget
//! sends it back with its first settings call; the engine records the page's origin, and so may
//! complete `channel_setup`, only for a token that is genuine, unexpired and not used before (its
//! nonce is stored until it expires). Issuing writes nothing, so fetching the script cannot fill
//! the store.
//!
//! What this proves is that the caller fetched the engine's script within the last minutes: a
//! header alone no longer counts, and a token shown once cannot be replayed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::store::{Store, StoreError};

/// How long a served script's token stays good: longer than the script may sit in the browser's
/// cache (see [`SCRIPT_MAX_AGE`]), so a page opened from a cached copy can still use it.
pub const LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// How long a browser may keep a copy of `/widget.js`, in seconds.
pub const SCRIPT_MAX_AGE: u32 = 300;

/// The store's name for the signing key.
const PURPOSE: &str = "widget_load";
/// The token format's version, its first part.
const VERSION: &str = "wl1";
/// Longer values are not tokens this engine made; they are refused before any work.
const MAX_LEN: usize = 128;

type HmacSha256 = Hmac<Sha256>;

/// Issues and redeems widget load tokens; holds the signing key once read from the store.
#[derive(Default)]
pub struct LoadTokens {
    key: OnceCell<Vec<u8>>,
}

impl LoadTokens {
    async fn key(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<&[u8], StoreError> {
        let key = self
            .key
            .get_or_try_init(|| async {
                let stored = store.signing_key(PURPOSE, &URL_SAFE_NO_PAD.encode(random::<32>()), now).await?;
                Ok::<_, StoreError>(URL_SAFE_NO_PAD.decode(&stored).unwrap_or_else(|_| stored.into_bytes()))
            })
            .await?;
        Ok(key)
    }

    /// A fresh token, good for [`LIFETIME`] from `now`.
    pub async fn issue(&self, store: &dyn Store, now: DateTime<Utc>) -> Result<String, StoreError> {
        let key = self.key(store, now).await?;
        let payload = format!("{VERSION}.{}.{}", (now + LIFETIME).timestamp(), URL_SAFE_NO_PAD.encode(random::<16>()));
        let tag = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
        Ok(format!("{payload}.{tag}"))
    }

    /// Uses up a token: true when it is genuine, unexpired and was not used before, by this
    /// process or any other on the store.
    pub async fn redeem(&self, store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let Some(parsed) = Parsed::from(token) else { return Ok(false) };
        let Some(expires_at) = DateTime::from_timestamp(parsed.expires, 0) else { return Ok(false) };
        if expires_at <= now {
            return Ok(false);
        }
        let key = self.key(store, now).await?;
        if mac(key, parsed.payload).verify_slice(&parsed.tag).is_err() {
            return Ok(false);
        }
        store.use_widget_load(parsed.nonce, expires_at, now).await
    }
}

/// A token's parts, checked for shape only.
struct Parsed<'a> {
    /// What the tag signs: version, expiry and nonce.
    payload: &'a str,
    expires: i64,
    nonce: &'a str,
    tag: Vec<u8>,
}

impl<'a> Parsed<'a> {
    fn from(token: &'a str) -> Option<Self> {
        if token.len() > MAX_LEN {
            return None;
        }
        let (payload, tag) = token.rsplit_once('.')?;
        let mut parts = payload.split('.');
        let (version, expires, nonce) = (parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION || parts.next().is_some() || nonce.is_empty() {
            return None;
        }
        Some(Parsed { payload, expires: expires.parse().ok()?, nonce, tag: URL_SAFE_NO_PAD.decode(tag).ok()? })
    }
}

fn mac(key: &[u8], payload: &str) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(payload.as_bytes());
    mac
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_parse() {
        let good = "wl1.1900000000.bm9uY2U.dGFn";
        let parsed = Parsed::from(good).unwrap();
        assert_eq!(
            (parsed.payload, parsed.expires, parsed.nonce),
            ("wl1.1900000000.bm9uY2U", 1_900_000_000, "bm9uY2U")
        );
        for bad in ["", "wl1", "wl2.1900000000.bm9uY2U.dGFn", "wl1.soon.bm9uY2U.dGFn", "wl1.1.2.3.dGFn", "wl1.1..dGFn"]
        {
            assert!(Parsed::from(bad).is_none(), "{bad}");
        }
        assert!(Parsed::from(&format!("wl1.1.{}.dGFn", "n".repeat(200))).is_none());
    }

    #[test]
    fn a_tag_signs_the_whole_payload() {
        let key = b"key";
        let tag = mac(key, "wl1.1.nonce").finalize().into_bytes();
        assert!(mac(key, "wl1.1.nonce").verify_slice(&tag).is_ok());
        assert!(mac(key, "wl1.2.nonce").verify_slice(&tag).is_err());
        assert!(mac(b"other", "wl1.1.nonce").verify_slice(&tag).is_err());
    }
}
