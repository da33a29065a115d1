//! Reading a helpdesk's answers as the adapter declares: where the ticket id and link are, which
//! statuses are worth retrying, the helpdesk's own words in an error body, and what a credential
//! check's answer means.

use serde_json::Value;

use super::template::settings_context;
use super::{Adapter, HelpdeskIntegration};

/// Longest helpdesk message kept, in characters.
const MAX_MESSAGE: usize = 500;
/// Keys whose string, inside an error object, is the human-readable part.
const TEXT_KEYS: [&str; 5] = ["message", "description", "detail", "msg", "title"];

/// What a credential check's answer means, when the adapter says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Judgement {
    /// The credentials work; plain words for the operator.
    Verified(String),
    /// They do not: a stable reason code and plain words.
    Rejected {
        /// `bad_credentials`, `forbidden`, `not_found` or `rejected`.
        reason: String,
        /// What to do about it.
        detail: String,
    },
}

impl Adapter {
    /// The ticket id (and link) in a successful creation answer.
    pub(crate) fn created_ticket(
        &self,
        integration: &HelpdeskIntegration,
        body: &str,
    ) -> Option<(String, Option<String>)> {
        let answer: Value = serde_json::from_str(body).ok()?;
        let response = &self.compiled.response;
        let id = first_id(&answer, &response.ticket_id)?;
        let given = response
            .ticket_url_at
            .iter()
            .filter_map(|p| answer.pointer(p)?.as_str())
            .find(|url| url.starts_with("https://") || url.starts_with("http://"))
            .map(str::to_owned);
        Some((id.clone(), given.or_else(|| self.ticket_url(integration, &id))))
    }

    /// The id and link of a ticket a `[lookup]` found, if it found one.
    pub(crate) fn found_ticket(
        &self,
        integration: &HelpdeskIntegration,
        body: &str,
    ) -> Option<(String, Option<String>)> {
        let answer: Value = serde_json::from_str(body).ok()?;
        let id = first_id(&answer, &self.compiled.lookup.as_ref()?.ticket_id)?;
        Some((id.clone(), self.ticket_url(integration, &id)))
    }

    /// A 2xx without a ticket id still means delivered (the generic webhook): the key stands in.
    pub(crate) fn id_optional(&self) -> bool {
        self.compiled.response.id_optional
    }

    /// The pointers a creation answer's id is looked for at, for error messages.
    pub(crate) fn id_pointers(&self) -> String {
        self.compiled.response.ticket_id.join(", ")
    }

    /// Worth trying again: a declared retry status, or any 5xx.
    pub(crate) fn retryable(&self, status: u16) -> bool {
        status >= 500 || self.compiled.retry.contains(&status)
    }

    /// The helpdesk's own words in an error body: the strings at the `[errors]` pointers, nested
    /// lists and objects included, joined and shortened; a short plain-text body as it is.
    pub(crate) fn helpdesk_message(&self, body: &str) -> Option<String> {
        let Ok(answer) = serde_json::from_str::<Value>(body) else {
            let text = body.trim();
            let plain = !text.is_empty() && !text.starts_with('<') && text.chars().count() <= 200;
            return plain.then(|| text.split_whitespace().collect::<Vec<_>>().join(" "));
        };
        let errors = &self.compiled.errors;
        let mut found = Vec::new();
        for pointers in [&errors.at, &errors.fallback] {
            for pointer in pointers {
                if let Some(value) = answer.pointer(pointer) {
                    collect(value, "", &mut found);
                }
            }
            if !found.is_empty() {
                break;
            }
        }
        let mut unique: Vec<String> = Vec::new();
        for text in found {
            if !unique.contains(&text) {
                unique.push(text);
            }
        }
        (!unique.is_empty()).then(|| shorten(&unique.join("; ")))
    }

    /// What a credential check's answer means: 2xx checked against `[[verify.require]]`, and the
    /// statuses `[[verify.reject]]` names. `None` for anything else.
    pub(crate) fn judge_verification(
        &self,
        integration: &HelpdeskIntegration,
        status: u16,
        body: &str,
    ) -> Option<Judgement> {
        let verify = &self.compiled.verify;
        let settings = self.readable(integration);
        let words = |name: &str| {
            let context = settings_context(&settings, &[]);
            self.compiled.templates.render(name, &context).unwrap_or_else(|e| e.to_string())
        };
        if (200..300).contains(&status) {
            let answer: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            for (i, (pointer, one_of, reason)) in verify.require.iter().enumerate() {
                let value = answer.pointer(pointer).filter(|v| !v.is_null());
                let ok = match value {
                    Some(value) if one_of.is_empty() => !value.is_null(),
                    Some(Value::String(s)) => one_of.contains(s),
                    _ => false,
                };
                if !ok {
                    return Some(Judgement::Rejected {
                        reason: reason.clone(),
                        detail: words(&format!("verify.require.{i}")),
                    });
                }
            }
            return Some(Judgement::Verified(words("verify.verified")));
        }
        let reason = verify.reject.get(&status)?;
        Some(Judgement::Rejected { reason: reason.clone(), detail: words(&format!("verify.reject.{status}")) })
    }

    fn ticket_url(&self, integration: &HelpdeskIntegration, id: &str) -> Option<String> {
        if !self.compiled.response.ticket_url {
            return None;
        }
        let context = settings_context(&self.readable(integration), &[("ticket_id", id)]);
        self.compiled.templates.render("create.ticket_url", &context).ok()
    }
}

/// The first id found: numbers and non-empty strings, as text.
fn first_id(answer: &Value, pointers: &[String]) -> Option<String> {
    pointers.iter().find_map(|p| match answer.pointer(p)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    })
}

/// Every message in `value`: strings, prefixed by their path from the pointer when they sit
/// under object keys; in objects with one of [`TEXT_KEYS`], that text (prefixed by the object's
/// `field` when it names one).
fn collect(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::String(text) if !text.trim().is_empty() => {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(if path.is_empty() { text } else { format!("{path}: {text}") });
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, path, out)),
        Value::Object(map) => {
            if let Some(text) = TEXT_KEYS.iter().find_map(|k| map.get(*k)?.as_str().filter(|t| !t.trim().is_empty())) {
                // The object's own words say what they are about; only a `field` is worth adding.
                let field = map.get("field").and_then(Value::as_str).unwrap_or_default();
                collect(&Value::String(text.to_owned()), field, out);
            } else {
                for (key, member) in map {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    collect(member, &path, out);
                }
            }
        }
        _ => {}
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE {
        return text.to_owned();
    }
    format!("{}…", text.chars().take(MAX_MESSAGE - 1).collect::<String>())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn messages(value: Value) -> Vec<String> {
        let mut out = Vec::new();
        collect(&value, "", &mut out);
        out
    }

    #[test]
    fn messages_come_from_strings_objects_and_nested_lists() {
        let zendesk = json!({"base": [{"description": "Requester: Email is invalid", "error": "InvalidValue"}]});
        assert_eq!(messages(zendesk), ["Requester: Email is invalid"]);
        let freshdesk = json!([
            {"field": "email", "message": "It should be a valid email address", "code": "invalid_value"},
            {"field": "priority", "message": "It should be one of these values: '1,2,3,4'", "code": "invalid_value"}
        ]);
        assert_eq!(
            messages(freshdesk),
            ["email: It should be a valid email address", "priority: It should be one of these values: '1,2,3,4'"]
        );
        let gorgias = json!({"customer": {"email": ["Not a valid email address."]}, "messages": {"0": {"sender": ["Missing data for required field."]}}});
        assert_eq!(
            messages(gorgias),
            ["customer.email: Not a valid email address.", "messages.0.sender: Missing data for required field."]
        );
        assert_eq!(messages(json!({"title": "Forbidden", "message": "No access"})), ["No access"]);
        assert!(messages(json!({"n": 3, "b": true, "s": "  "})).is_empty());
    }

    #[test]
    fn long_messages_are_cut() {
        let cut = shorten(&"가".repeat(600));
        assert_eq!(cut.chars().count(), MAX_MESSAGE);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn ids_may_be_numbers_or_strings() {
        let pointers = ["/ticket/id".to_owned(), "/id".to_owned()];
        assert_eq!(first_id(&json!({"ticket": {"id": 35436}}), &pointers).as_deref(), Some("35436"));
        assert_eq!(first_id(&json!({"ticket": {"id": null}, "id": "T-9"}), &pointers).as_deref(), Some("T-9"));
        assert_eq!(first_id(&json!({"id": ""}), &pointers), None);
        assert_eq!(first_id(&json!({"id": true}), &pointers), None);
    }
}
