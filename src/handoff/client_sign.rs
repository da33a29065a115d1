//! The signature on requests to a generic webhook, so the receiver can tell they come from us.
//!
//! `X-Sangdam-Signature: v1=<hex>` where `<hex>` is the lowercase hex HMAC-SHA256, keyed by the
//! integration's secret (its UTF-8 bytes), of the `X-Sangdam-Timestamp` value (unix seconds, as
//! sent), a `.`, and the raw request body, byte for byte. Receivers recompute it, compare in
//! constant time, and refuse timestamps far from their own clock (replays).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The `X-Sangdam-Signature` value for a request: `v1=` and the hex HMAC-SHA256 of
/// `"<timestamp>.<body>"` keyed by `secret`.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), &[timestamp.as_bytes(), b".", body]);
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1=");
    for byte in mac {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// HMAC-SHA256 of the concatenated `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: [u8; 32]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn matches_the_rfc_4231_vectors() {
        let vectors: [(&[u8], &[u8], &str); 3] = [
            (&[0x0b; 20], b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, data, expected) in vectors {
            assert_eq!(hex(hmac_sha256(key, &[data])), expected);
        }
        assert_eq!(
            hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"])
        );
    }

    #[test]
    fn the_signature_covers_timestamp_and_body() {
        let a = signature("s3cret", "1763719200", br#"{"event":"ping"}"#);
        assert!(a.starts_with("v1=") && a.len() == 67, "{a}");
        assert_eq!(a, format!("v1={}", hex(hmac_sha256(b"s3cret", &[br#"1763719200.{"event":"ping"}"#]))));
        assert_ne!(a, signature("s3cret", "1763719201", br#"{"event":"ping"}"#));
        assert_ne!(a, signature("s3cret", "1763719200", br#"{"event":"pong"}"#));
        assert_ne!(a, signature("other", "1763719200", br#"{"event":"ping"}"#));
    }
}
