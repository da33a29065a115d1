//! Checking an integration's settings against the fields its adapter declares: exactly those
//! fields, each valid for its kind, trimmed, and URLs without a trailing slash so templates can
//! write `{{base_url}}/api/…`.

use std::collections::BTreeMap;

use reqwest::Url;

use super::{Adapter, FieldKind};

/// Longest text setting accepted.
const MAX_TEXT: usize = 500;

/// The normalised settings, or the field at fault and what is wrong, in plain words.
pub(super) fn check(
    adapter: &Adapter,
    values: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let names = || adapter.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ");
    if let Some(unknown) = values.keys().find(|k| !adapter.fields.iter().any(|f| &f.name == *k)) {
        let message = format!("{} has no setting by this name; it takes {}", adapter.title, names());
        return Err((unknown.clone(), message));
    }
    let mut normalised = BTreeMap::new();
    for field in &adapter.fields {
        let example = adapter.compiled.examples.get(&field.name);
        let Some(value) = values.get(&field.name).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            let hint = example.filter(|_| !field.secret).map(|e| format!(", e.g. {e}")).unwrap_or_default();
            return Err((field.name.clone(), format!("{} needs this setting{hint}", adapter.title)));
        };
        let checked = match field.kind {
            FieldKind::Url => url(value),
            FieldKind::Email => email(value),
            FieldKind::Text => text(value),
        };
        normalised.insert(field.name.clone(), checked.map_err(|message| (field.name.clone(), message))?);
    }
    Ok(normalised)
}

/// `https://` anywhere, `http://` only on this machine; no credentials, query or fragment.
fn url(value: &str) -> Result<String, String> {
    let parsed = Url::parse(value).map_err(|_| format!("{value:?} is not a web address (https://…)"))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("use https://; plain http:// is allowed only for localhost".to_owned()),
        _ => return Err(format!("{value:?} is not a web address (https://…)")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{value:?} has no host name"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("leave the user name and password out of the address".to_owned());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("give the address without ?… or #…".to_owned());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// One `@`, something on each side, a dot in the domain, no spaces.
fn email(value: &str) -> Result<String, String> {
    let bad = || format!("{value:?} is not an email address");
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@');
    if local.is_empty() || !domain_ok || value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(value.to_owned())
}

fn text(value: &str) -> Result<String, String> {
    if value.chars().count() > MAX_TEXT {
        return Err(format!("this is too long (at most {MAX_TEXT} characters)"));
    }
    if value.chars().any(char::is_control) {
        return Err("this contains line breaks or control characters".to_owned());
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::handoff::adapter::Adapters;

    fn zendesk() -> Adapter {
        let adapters = Adapters::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("handoff").as_path()).unwrap();
        adapters.get("zendesk").unwrap().clone()
    }

    fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn good_settings_come_back_normalised() {
        let checked = zendesk()
            .check_settings(&settings(&[
                ("base_url", " https://acme.zendesk.com/ "),
                ("email", "agent@acme.com"),
                ("api_token", "tok3n "),
            ]))
            .unwrap();
        assert_eq!(
            checked,
            settings(&[("base_url", "https://acme.zendesk.com"), ("email", "agent@acme.com"), ("api_token", "tok3n")])
        );
        let local = zendesk()
            .check_settings(&settings(&[
                ("base_url", "http://127.0.0.1:8080/zd/"),
                ("email", "a@b.co"),
                ("api_token", "t"),
            ]))
            .unwrap();
        assert_eq!(local["base_url"], "http://127.0.0.1:8080/zd");
    }

    #[test]
    fn missing_unknown_and_invalid_settings_name_the_field() {
        let adapter = zendesk();
        let ok = [("base_url", "https://acme.zendesk.com"), ("email", "agent@acme.com"), ("api_token", "t")];
        let check = |change: &[(&str, &str)], remove: Option<&str>| {
            let mut values = settings(&ok);
            values.extend(settings(change));
            if let Some(name) = remove {
                values.remove(name);
            }
            adapter.check_settings(&values).unwrap_err()
        };
        let (field, message) = check(&[], Some("api_token"));
        assert_eq!(field, "api_token");
        assert_eq!(message, "Zendesk needs this setting");
        let (field, message) = check(&[("base_url", "  ")], None);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("base_url", "Zendesk needs this setting, e.g. https://yourcompany.zendesk.com")
        );
        let (field, message) = check(&[("subdomain", "acme")], None);
        assert_eq!(field, "subdomain");
        assert!(message.contains("it takes base_url, email, api_token"), "{message}");
        for (url, words) in [
            ("http://acme.zendesk.com", "only for localhost"),
            ("acme.zendesk.com", "not a web address"),
            ("ftp://acme.zendesk.com", "not a web address"),
            ("https://acme.zendesk.com/?x=1", "without ?"),
            ("https://acme.zendesk.com/#top", "without ?"),
            ("https://me:pw@acme.zendesk.com", "user name and password"),
        ] {
            let (field, message) = check(&[("base_url", url)], None);
            assert_eq!(field, "base_url");
            assert!(message.contains(words), "{url}: {message}");
        }
        for email in ["agent", "@acme.com", "agent@acme", "a b@acme.com", "agent@.com"] {
            assert_eq!(check(&[("email", email)], None).0, "email", "{email}");
        }
        assert!(check(&[("api_token", &"x".repeat(501))], None).1.contains("too long"));
        assert!(check(&[("api_token", "a\nb")], None).1.contains("line breaks"));
    }

    #[test]
    fn loopback_means_the_loopback_hosts_only() {
        assert!(url("http://localhost:3000/hook").is_ok());
        assert!(url("http://[::1]:3000").is_ok());
        assert!(url("http://127.0.0.2").is_err());
        assert!(url("http://localhost.evil.example").is_err());
    }
}
