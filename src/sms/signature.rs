//! Twilio's request signature, the `X-Twilio-Signature` header on every webhook it sends.
//!
//! Twilio takes the full URL it called (scheme, host, path and query, exactly as configured),
//! appends every POST parameter as name then value with no separators, sorted by name, and signs
//! that string with HMAC-SHA1 keyed by the account's auth token; the header is the base64 of the
//! digest. A webhook whose header does not match must be refused: anyone can post to our URL.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The signature Twilio would send for a request to `url` with these form parameters.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `signature` (the header value) signs this request with `auth_token`.
///
/// The comparison takes the same time wherever the first difference is. Twilio's own libraries
/// also accept the URL with the default port (`:443`, `:80`) added or removed, since a proxy in
/// front of us may have changed it; so do we. A header that is not base64 simply does not match.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(tag) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    if mac(auth_token, url, params).verify_slice(&tag).is_ok() {
        return true;
    }
    port_variant(url).is_some_and(|other| mac(auth_token, &other, params).verify_slice(&tag).is_ok())
}

/// The keyed hash over the URL and the sorted parameters.
fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Byte order on names, then on values, so repeated names sort the same way on both sides.
    sorted.sort_unstable();
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// `url` with its scheme's default port removed when present, or added when absent; `None` when
/// the URL names another port or is not http(s).
fn port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host = &authority[host_start..];
    // A colon inside an IPv6 literal's brackets is not a port separator.
    let port_colon = host.rfind(':').filter(|&colon| !host[colon..].contains(']'));
    let new_authority = match port_colon {
        Some(colon) if &host[colon + 1..] == default => authority[..host_start + colon].to_owned(),
        Some(_) => return None,
        None => format!("{authority}:{default}"),
    };
    Some(format!("{scheme}://{new_authority}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn example_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn matches_twilios_published_example() {
        // The vector the Twilio helper libraries test against.
        assert_eq!(sign(TOKEN, URL, &example_params()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify(TOKEN, URL, &example_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut params = example_params();
        params.reverse();
        assert!(verify(TOKEN, URL, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        let a = [("Tag".to_owned(), "2".to_owned()), ("Tag".to_owned(), "1".to_owned())];
        let b = [("Tag".to_owned(), "1".to_owned()), ("Tag".to_owned(), "2".to_owned())];
        assert_eq!(sign(TOKEN, URL, &a), sign(TOKEN, URL, &b));
    }

    #[test]
    fn a_changed_value_url_or_token_fails() {
        let signature = sign(TOKEN, URL, &example_params());
        let mut changed = example_params();
        changed[2].1 = "1235".to_owned();
        assert!(!verify(TOKEN, URL, &changed, &signature));
        assert!(!verify(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", &example_params(), &signature));
        assert!(!verify("12346", URL, &example_params(), &signature));
        let mut extra = example_params();
        extra.push(("Body".to_owned(), String::new()));
        assert_ne!(sign(TOKEN, URL, &extra), signature, "an empty parameter still counts by its name");
    }

    #[test]
    fn empty_garbage_or_truncated_signatures_fail() {
        let signature = sign(TOKEN, URL, &example_params());
        for bad in ["", "   ", "not base64!", "RSOYDt4T1cUTdK1PDd93", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", &signature[..12]]
        {
            assert!(!verify(TOKEN, URL, &example_params(), bad), "{bad:?}");
        }
    }

    #[test]
    fn the_default_port_may_be_present_or_not() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let signature = sign(TOKEN, with_port, &example_params());
        assert!(verify(TOKEN, URL, &example_params(), &signature));
        assert!(verify(TOKEN, with_port, &example_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        let other_port = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        assert!(!verify(TOKEN, other_port, &example_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    #[test]
    fn port_variants() {
        assert_eq!(port_variant("https://a.example/x?y=1").as_deref(), Some("https://a.example:443/x?y=1"));
        assert_eq!(port_variant("https://a.example:443/x").as_deref(), Some("https://a.example/x"));
        assert_eq!(port_variant("http://a.example").as_deref(), Some("http://a.example:80"));
        assert_eq!(port_variant("https://u:p@a.example/x").as_deref(), Some("https://u:p@a.example:443/x"));
        assert_eq!(port_variant("https://[::1]:443/x").as_deref(), Some("https://[::1]/x"));
        assert_eq!(port_variant("https://[::1]/x").as_deref(), Some("https://[::1]:443/x"));
        assert_eq!(port_variant("https://a.example:8443/x"), None);
        assert_eq!(port_variant("ftp://a.example/x"), None);
        assert_eq!(port_variant("no scheme"), None);
    }
}
