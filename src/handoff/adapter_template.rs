//! Handlebars for adapters: the registry (strict, no HTML escaping) with the helpers templates
//! use, the data each kind of template sees, and the sample tickets every template is tried
//! against when the adapters load.
//!
//! Helpers:
//! - `{{json value}}` writes any value JSON-encoded; `{{#json}}…{{/json}}` renders its content as
//!   text, trims it, and writes it as one JSON string.
//! - `{{html text}}` writes text with `& < > " '` escaped, for HTML inside a JSON string.
//! - `{{short_hash text}}` writes the first 24 hex digits of the text's SHA-256: a stable marker
//!   short enough for helpdesks that cap tag length (Freshdesk: 32 characters).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError, RenderErrorReason, Renderable,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::FieldKind;
use crate::handoff::{TicketCustomer, TicketDraft, TranscriptLine};

/// A registry with the adapter helpers, strict and without HTML escaping.
pub(super) fn registry() -> Handlebars<'static> {
    let mut templates = Handlebars::new();
    templates.set_strict_mode(true);
    templates.register_escape_fn(handlebars::no_escape);
    templates.register_helper("json", Box::new(json_helper));
    templates.register_helper("html", Box::new(html_helper));
    templates.register_helper("short_hash", Box::new(short_hash_helper));
    templates
}

/// Renders a template that must produce JSON, and parses it.
pub(super) fn render_json(templates: &Handlebars<'static>, name: &str, data: &Value) -> Result<Value, String> {
    let text = templates.render(name, data).map_err(|e| e.to_string())?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the result is not valid JSON (line {} of the output): {e}", e.line()))
}

/// The settings at top level, with a few extra values (`key`, `ticket_id`, `now`).
pub(super) fn settings_context(settings: &BTreeMap<String, String>, extra: &[(&str, &str)]) -> Value {
    let mut map: Map<String, Value> = settings.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    for (name, value) in extra {
        map.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    Value::Object(map)
}

/// What a body template sees: the ticket's fields, the whole ticket as `draft`, and the
/// readable settings as `settings`.
pub(super) fn body_context(draft: &TicketDraft, settings: &BTreeMap<String, String>) -> Value {
    let whole = serde_json::to_value(draft).unwrap_or(Value::Null);
    let mut map = match &whole {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    map.insert("draft".to_owned(), whole);
    map.insert("settings".to_owned(), settings_context(settings, &[]));
    Value::Object(map)
}

/// A value of the right kind for trying templates at load.
pub(super) fn sample_value(kind: FieldKind, example: Option<&str>) -> String {
    match (kind, example) {
        (_, Some(example)) => example.to_owned(),
        (FieldKind::Url, None) => "https://helpdesk.example".to_owned(),
        (FieldKind::Email, None) => "agent@example.com".to_owned(),
        (FieldKind::Text, None) => "sample-value".to_owned(),
    }
}

/// Tickets that exercise the templates: quotes, newlines, markup and Korean text, with and
/// without each way of reaching the customer.
pub(super) fn sample_drafts() -> Vec<TicketDraft> {
    let at: DateTime<Utc> =
        DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z").map(|t| t.to_utc()).unwrap_or_default();
    let line = |author: &str, name: &str, text: &str| TranscriptLine {
        at,
        author: author.to_owned(),
        name: name.to_owned(),
        text: text.to_owned(),
    };
    let base = TicketDraft {
        key: "0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b10".to_owned(),
        subject: "[sangdam] webchat 김\"해피\": 환불 {{규정}} </script>".to_owned(),
        transcript: vec![
            line("customer", "김\"해피\"", "환불 되나요?\n\\ 급해요 <b>"),
            line("bot", "AI agent", "상담원을 연결해 드릴게요."),
        ],
        transcript_text: "[2026-11-21 10:00:00 UTC] 김\"해피\": 환불 되나요?\n\\ 급해요 <b>".to_owned(),
        transcript_html: "[2026-11-21 10:00:00 UTC] 김&quot;해피&quot;: 환불 되나요?<br>\n\\ 급해요 &lt;b&gt;"
            .to_owned(),
        customer: TicketCustomer {
            id: "c-1".to_owned(),
            name: "김\"해피\"".to_owned(),
            email: Some("happy@example.com".to_owned()),
            phone: Some("+821012345678".to_owned()),
        },
        channel: "webchat".to_owned(),
        reason: "explicit_request".to_owned(),
        detail: "The customer asked for a person: \"now\"".to_owned(),
        trace: json!({"intent": "human_handoff", "confidence": 0.9}),
        tags: vec!["ai_handoff".to_owned(), "explicit_request".to_owned(), "test".to_owned()],
        room_id: "0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b11".to_owned(),
        locale: "ko".to_owned(),
        test: true,
        created_at: at,
    };
    let mut phone_only = base.clone();
    phone_only.customer.email = None;
    let mut anonymous = phone_only.clone();
    anonymous.customer.phone = None;
    anonymous.tags = vec!["ai_handoff".to_owned()];
    anonymous.transcript.clear();
    vec![base, phone_only, anonymous]
}

/// `{{json value}}` or `{{#json}}text{{/json}}`.
fn json_helper<'reg, 'rc>(
    h: &Helper<'rc>,
    r: &'reg Handlebars<'reg>,
    ctx: &'rc Context,
    rc: &mut RenderContext<'reg, 'rc>,
    out: &mut dyn Output,
) -> HelperResult {
    let encoded = match h.template() {
        Some(block) => serde_json::to_string(block.renders(r, ctx, rc)?.trim()),
        None => serde_json::to_string(param(h, "json")?),
    };
    out.write(&encoded.map_err(|e| RenderErrorReason::Other(e.to_string()))?)?;
    Ok(())
}

/// `{{html text}}`.
fn html_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&handlebars::html_escape(&text(param(h, "html")?)))?;
    Ok(())
}

/// `{{short_hash text}}`.
fn short_hash_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&short_hash(&text(param(h, "short_hash")?)))?;
    Ok(())
}

/// The first parameter; in strict mode a missing one is an error, as it is outside helpers.
fn param<'a>(h: &'a Helper<'_>, helper: &'static str) -> Result<&'a Value, RenderError> {
    let param = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(helper, 0))?;
    if param.is_value_missing() {
        return Err(RenderError::strict_error(param.relative_path()));
    }
    Ok(param.value())
}

/// A value as text: strings as they are, anything else as JSON, null as nothing.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The first 24 hex digits of the SHA-256 of `text`.
pub(super) fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, data: &Value) -> Result<String, String> {
        let mut templates = registry();
        templates.register_template_string("t", template).map_err(|e| e.to_string())?;
        templates.render("t", data).map_err(|e| e.to_string())
    }

    #[test]
    fn json_keeps_customer_text_inside_its_string() {
        let data = json!({"s": "a\"b\n</x>{{y}}", "n": 3, "list": ["x", "y"], "none": null});
        let out =
            render(r#"{"s": {{json s}}, "n": {{json n}}, "l": {{json list}}, "z": {{json none}}}"#, &data).unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, json!({"s": "a\"b\n</x>{{y}}", "n": 3, "l": ["x", "y"], "z": null}));
        let block = render("{{#json}}\n  Why: {{s}}\n\n{{html s}}\n{{/json}}", &data).unwrap();
        assert_eq!(
            serde_json::from_str::<String>(&block).unwrap(),
            "Why: a\"b\n</x>{{y}}\n\na&quot;b\n&lt;/x&gt;{{y}}"
        );
    }

    #[test]
    fn strict_mode_reaches_into_helpers() {
        let error = render("{{json missing}}", &json!({})).unwrap_err();
        assert!(error.contains("missing"), "{error}");
        assert!(render("{{html nope.deeper}}", &json!({"nope": {}})).is_err());
    }

    #[test]
    fn short_hashes_are_stable_and_fit_a_freshdesk_tag() {
        let hash = short_hash("0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b10");
        assert_eq!(hash.len(), 24);
        assert_eq!(hash, short_hash("0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b10"));
        assert_ne!(hash, short_hash("0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b11"));
        // sha256("abc") starts ba7816bf 8f01cfea 414140de.
        assert_eq!(short_hash("abc"), "ba7816bf8f01cfea414140de");
        assert!(format!("sangdam-{hash}").len() <= 32);
    }

    #[test]
    fn the_body_context_has_the_ticket_and_readable_settings() {
        let draft = sample_drafts().remove(0);
        let settings = BTreeMap::from([("base_url".to_owned(), "https://a.example".to_owned())]);
        let context = body_context(&draft, &settings);
        assert_eq!(context["subject"], draft.subject);
        assert_eq!(context["draft"]["key"], draft.key);
        assert_eq!(context["settings"]["base_url"], "https://a.example");
    }
}
