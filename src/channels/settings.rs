//! A channel's settings and the partial updates operators send.
//!
//! Settings are stored as one JSON document per channel, so adding one needs no migration. Values
//! that must never be shown again (the Twilio auth token) live apart, in [`ChannelSecrets`].

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::ChannelKind;
use crate::locale::{LocalizedText, nullable_text};
use crate::skills::Catalog;

/// Segments an SMS reply may use unless a channel says otherwise.
pub const DEFAULT_MAX_SEGMENTS: u32 = 3;

/// Most characters of each customer-facing text, per language.
pub const MAX_INTRO: usize = 1_000;
/// See [`MAX_INTRO`].
pub const MAX_TITLE: usize = 80;
/// See [`MAX_INTRO`]: an SMS reply of three segments.
pub const MAX_HELP: usize = 480;
/// See [`MAX_INTRO`].
pub const MAX_HANDOFF_TEXT: usize = 1_000;

/// A channel's stored settings. Unknown keys are kept so that newer settings survive a downgrade.
///
/// The texts customers read are [`LocalizedText`]s: settings written before they had languages
/// hold plain strings, which read as one text for every language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelSettings {
    /// How the agent introduces itself when a customer opens the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_message: Option<LocalizedText>,
    /// Widget header title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<LocalizedText>,
    /// Widget brand colour, as CSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Widget language: `ko` or `en`; the browser's language when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Origins (scheme://host[:port]) the widget may be embedded on (webchat).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Ids of the skills the agent uses on this channel.
    #[serde(default)]
    pub skills: Vec<String>,
    /// What happens to what the agent cannot answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffSettings>,
    /// Twilio account SID, `AC` and 32 hex digits (sms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_account_sid: Option<String>,
    /// The two-way sending number in E.164 form, e.g. `+15551234567` (sms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Most segments one SMS reply may use; longer replies are shortened (sms, default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_segments: Option<u32>,
    /// The reply to HELP and INFO (sms); a built-in bilingual text when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_message: Option<LocalizedText>,
    /// Topics, in addition to the shipped ones, that always go to a person.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalation_topics: Vec<String>,
    /// Words, in addition to the shipped ones, that no reply may contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbidden_words: Vec<String>,
    /// The tone preset of LLM answers: `friendly` (default), `formal` or `concise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone: Option<String>,
    /// Settings this version does not know, kept as they are.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl ChannelSettings {
    /// The segment cap for SMS replies.
    pub fn max_segments(&self) -> u32 {
        self.max_segments.unwrap_or(DEFAULT_MAX_SEGMENTS)
    }
}

/// What the agent does with what it cannot or must not answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffSettings {
    /// Where handed-off conversations go.
    pub action: HandoffAction,
    /// What the customer is told when the conversation is handed off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "nullable_text::<MAX_HANDOFF_TEXT>")]
    pub message: Option<LocalizedText>,
    /// Id of the helpdesk integration tickets are created in (action `helpdesk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helpdesk: Option<String>,
    /// Messages in a row the agent may fail to understand before it hands off (1 to 5; 1, the
    /// default, hands off at the first). Before that it asks the customer to rephrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fallbacks: Option<u32>,
    /// What the agent says when it did not understand and asks the customer to rephrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "nullable_text::<MAX_HANDOFF_TEXT>")]
    pub fallback_message: Option<LocalizedText>,
    /// What a customer handed to the counselor queue outside its working hours is told (actions
    /// `queue` and `static`), in place of the handoff message: when someone will answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "nullable_text::<MAX_HANDOFF_TEXT>")]
    pub off_hours_message: Option<LocalizedText>,
    /// What the agent does when a customer is angry or tired of the bot: `handoff` (the default:
    /// an apology and a person at once) or `offer` (an apology and the offer of a person, who
    /// takes over when the customer says yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_frustration: Option<FrustrationAction>,
}

/// What the agent does with an upset customer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrustrationAction {
    /// Apologise and hand off at once.
    #[default]
    Handoff,
    /// Apologise and offer a person; hand off on a yes.
    Offer,
}

/// Where handed-off conversations go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffAction {
    /// A ticket in the brand's helpdesk.
    Helpdesk,
    /// The built-in counselor room queue.
    #[default]
    Queue,
    /// Don't forward: a static reply saying where to follow up.
    Static,
}

/// Settings that are written but never read back through the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelSecrets {
    /// Twilio auth token (sms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_auth_token: Option<String>,
}

/// A partial update: absent fields stay as they are, `null` clears a field.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// How the agent introduces itself (webchat).
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(schema_with = "nullable_text::<MAX_INTRO>")]
    pub intro_message: Option<Option<LocalizedText>>,
    /// Widget header title (webchat).
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(schema_with = "nullable_text::<MAX_TITLE>")]
    pub title: Option<Option<LocalizedText>>,
    /// Widget brand colour, as CSS (webchat).
    #[serde(default, deserialize_with = "nullable")]
    pub color: Option<Option<String>>,
    /// Widget language, `ko` or `en` (webchat).
    #[serde(default, deserialize_with = "nullable")]
    pub locale: Option<Option<String>>,
    /// Origins the widget may be embedded on; replaces the list (webchat).
    #[serde(default, deserialize_with = "nullable")]
    pub allowed_origins: Option<Option<Vec<String>>>,
    /// Enabled skill ids; replaces the list.
    #[serde(default, deserialize_with = "nullable")]
    pub skills: Option<Option<Vec<String>>>,
    /// Handoff settings; replaces the object.
    #[serde(default, deserialize_with = "nullable")]
    pub handoff: Option<Option<HandoffSettings>>,
    /// Twilio account SID (sms).
    #[serde(default, deserialize_with = "nullable")]
    pub twilio_account_sid: Option<Option<String>>,
    /// Twilio auth token; write-only (sms).
    #[serde(default, deserialize_with = "nullable")]
    pub twilio_auth_token: Option<Option<String>>,
    /// The sending number, E.164 (sms).
    #[serde(default, deserialize_with = "nullable")]
    pub phone_number: Option<Option<String>>,
    /// Most segments per SMS reply, 1 to 10 (sms).
    #[serde(default, deserialize_with = "nullable")]
    pub max_segments: Option<Option<u32>>,
    /// Reply to HELP and INFO (sms).
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(schema_with = "nullable_text::<MAX_HELP>")]
    pub help_message: Option<Option<LocalizedText>>,
    /// Extra topics that always go to a person; replaces the list.
    #[serde(default, deserialize_with = "nullable")]
    pub escalation_topics: Option<Option<Vec<String>>>,
    /// Extra words no reply may contain; replaces the list.
    #[serde(default, deserialize_with = "nullable")]
    pub forbidden_words: Option<Option<Vec<String>>>,
    /// Tone preset of LLM answers: `friendly`, `formal` or `concise`.
    #[serde(default, deserialize_with = "nullable")]
    pub tone: Option<Option<String>>,
}

/// Tells a present `null` from an absent field.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Which parts of the configuration an update touched; the checklist dates its checks by these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Touched {
    /// Anything at all changed.
    pub any: bool,
    /// The handoff settings changed.
    pub handoff: bool,
    /// The Twilio account, token or number changed.
    pub twilio: bool,
}

/// A rejected update: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError { field, message: message.into() }
}

/// Applies a patch to a channel's settings, validating every value it sets.
pub fn apply(
    kind: ChannelKind,
    settings: &ChannelSettings,
    secrets: &ChannelSecrets,
    patch: SettingsPatch,
    catalog: &Catalog,
) -> Result<(ChannelSettings, ChannelSecrets, Touched), SettingsError> {
    let mut s = settings.clone();
    let mut k = secrets.clone();
    let only = |field: &'static str, present: bool, on: ChannelKind| {
        if present && kind != on {
            Err(invalid(field, format!("applies to the {} channel only", on.as_str())))
        } else {
            Ok(())
        }
    };
    only("allowed_origins", patch.allowed_origins.is_some(), ChannelKind::Webchat)?;
    only("title", patch.title.is_some(), ChannelKind::Webchat)?;
    only("color", patch.color.is_some(), ChannelKind::Webchat)?;
    for (field, present) in [
        ("twilio_account_sid", patch.twilio_account_sid.is_some()),
        ("twilio_auth_token", patch.twilio_auth_token.is_some()),
        ("phone_number", patch.phone_number.is_some()),
        ("max_segments", patch.max_segments.is_some()),
        ("help_message", patch.help_message.is_some()),
    ] {
        only(field, present, ChannelKind::Sms)?;
    }

    if let Some(v) = patch.intro_message {
        s.intro_message = localized("intro_message", v, MAX_INTRO)?;
    }
    if let Some(v) = patch.title {
        s.title = localized("title", v, MAX_TITLE)?;
    }
    if let Some(v) = patch.color {
        s.color = color(v)?;
    }
    if let Some(v) = patch.locale {
        s.locale = match text("locale", v, 8)? {
            Some(l) if l == "ko" || l == "en" => Some(l),
            Some(_) => return Err(invalid("locale", "give ko or en")),
            None => None,
        };
    }
    if let Some(v) = patch.allowed_origins {
        s.allowed_origins = origins(v.unwrap_or_default())?;
    }
    if let Some(v) = patch.skills {
        s.skills = skills(kind, v.unwrap_or_default(), catalog)?;
    }
    if let Some(v) = patch.handoff {
        s.handoff = v.map(handoff).transpose()?;
    }
    if let Some(v) = patch.twilio_account_sid {
        s.twilio_account_sid = match text("twilio_account_sid", v, 64)? {
            Some(sid) if !is_account_sid(&sid) => {
                return Err(invalid("twilio_account_sid", "give the account SID: AC followed by 32 hex digits"));
            }
            other => other,
        };
    }
    if let Some(v) = patch.twilio_auth_token {
        k.twilio_auth_token = match v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
            Some(t) if t.len() > 128 || !t.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(invalid("twilio_auth_token", "give the auth token as shown in Twilio's console"));
            }
            other => other,
        };
    }
    if let Some(v) = patch.phone_number {
        s.phone_number = text("phone_number", v, 20)?.map(sender).transpose()?;
    }
    if let Some(v) = patch.max_segments {
        s.max_segments = match v {
            Some(n) if !(1..=10).contains(&n) => return Err(invalid("max_segments", "give 1 to 10")),
            other => other,
        };
    }
    if let Some(v) = patch.help_message {
        s.help_message = localized("help_message", v, MAX_HELP)?;
    }
    if let Some(v) = patch.escalation_topics {
        s.escalation_topics = words("escalation_topics", v.unwrap_or_default())?;
    }
    if let Some(v) = patch.forbidden_words {
        s.forbidden_words = words("forbidden_words", v.unwrap_or_default())?;
    }
    if let Some(v) = patch.tone {
        s.tone = match text("tone", v, 16)? {
            Some(t) if !TONES.contains(&t.as_str()) => {
                return Err(invalid("tone", format!("give one of {}", TONES.join(", "))));
            }
            other => other,
        };
    }

    let touched = Touched {
        any: s != *settings || k != *secrets,
        handoff: s.handoff != settings.handoff,
        twilio: s.twilio_account_sid != settings.twilio_account_sid
            || s.phone_number != settings.phone_number
            || k.twilio_auth_token != secrets.twilio_auth_token,
    };
    Ok((s, k, touched))
}

/// Trimmed text of at most `max` characters without control characters; blank means unset.
fn text(field: &'static str, value: Option<String>, max: usize) -> Result<Option<String>, SettingsError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(Some(value))
}

/// Each text of a [`LocalizedText`] through [`text`]; unset when every one is blank.
fn localized(
    field: &'static str,
    value: Option<LocalizedText>,
    max: usize,
) -> Result<Option<LocalizedText>, SettingsError> {
    let Some(value) = value else { return Ok(None) };
    value.try_map(|locale, t| {
        text(field, Some(t), max).map_err(|e| match locale {
            Some(l) => invalid(field, format!("{} (the {} text)", e.message, l.as_str())),
            None => e,
        })
    })
}

/// Checks each text of a handoff message as a template.
fn template(field: &'static str, value: &Option<LocalizedText>) -> Result<(), SettingsError> {
    for t in value.iter().flat_map(LocalizedText::texts) {
        crate::handoff::message::check(t).map_err(|e| invalid(field, e))?;
    }
    Ok(())
}

/// The tone presets of `prompts/guardrails.toml`.
pub const TONES: [&str; 3] = ["friendly", "formal", "concise"];

fn words(field: &'static str, values: Vec<String>) -> Result<Vec<String>, SettingsError> {
    if values.len() > 200 {
        return Err(invalid(field, "at most 200 entries"));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let Some(word) = text(field, Some(value), 60)? else { continue };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    Ok(out)
}

fn color(value: Option<String>) -> Result<Option<String>, SettingsError> {
    let Some(value) = text("color", value, 32)? else { return Ok(None) };
    let hex = value.strip_prefix('#').filter(|h| matches!(h.len(), 3 | 6) && h.chars().all(|c| c.is_ascii_hexdigit()));
    match hex {
        Some(_) => Ok(Some(value.to_ascii_lowercase())),
        None => Err(invalid("color", "give a hex colour such as #1f6feb")),
    }
}

fn origins(values: Vec<String>) -> Result<Vec<String>, SettingsError> {
    if values.len() > 20 {
        return Err(invalid("allowed_origins", "at most 20 origins"));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let origin = crate::webchat::normalise_origin(value.trim())
            .filter(|o| o.len() == value.trim().trim_end_matches('/').len())
            .ok_or_else(|| {
                invalid("allowed_origins", format!("{value:?} is not an origin; give scheme://host[:port], no path"))
            })?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn skills(kind: ChannelKind, ids: Vec<String>, catalog: &Catalog) -> Result<Vec<String>, SettingsError> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let skill = catalog.get(&id).ok_or_else(|| {
            let known: Vec<_> = catalog.iter().map(|s| s.id.as_str()).collect();
            invalid("skills", format!("no skill {id:?}; skills are {}", known.join(", ")))
        })?;
        if !skill.channels.contains(&kind) {
            return Err(invalid("skills", format!("{id} does not run on {}", kind.as_str())));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn handoff(mut h: HandoffSettings) -> Result<HandoffSettings, SettingsError> {
    h.message = localized("handoff.message", h.message, MAX_HANDOFF_TEXT)?;
    template("handoff.message", &h.message)?;
    h.fallback_message = localized("handoff.fallback_message", h.fallback_message, MAX_HANDOFF_TEXT)?;
    h.off_hours_message = localized("handoff.off_hours_message", h.off_hours_message, MAX_HANDOFF_TEXT)?;
    template("handoff.off_hours_message", &h.off_hours_message)?;
    if h.off_hours_message.is_some() && h.action == HandoffAction::Helpdesk {
        return Err(invalid("handoff.off_hours_message", "only applies when action is queue or static"));
    }
    if h.max_fallbacks.is_some_and(|n| !(1..=5).contains(&n)) {
        return Err(invalid("handoff.max_fallbacks", "between 1 and 5"));
    }
    h.helpdesk = text("handoff.helpdesk", h.helpdesk, 64)?;
    if h.helpdesk.is_some() && h.action != HandoffAction::Helpdesk {
        return Err(invalid("handoff.helpdesk", "only applies when action is helpdesk"));
    }
    Ok(h)
}

/// `AC` and 32 hex digits.
pub fn is_account_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("AC") && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// An E.164 number, or an alphanumeric sender id (kept so the checklist can explain why it can't
/// receive replies).
fn sender(value: String) -> Result<String, SettingsError> {
    let compact: String = value.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let e164 =
        compact.strip_prefix('+').is_some_and(|d| (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()));
    let alphanumeric = (1..=11).contains(&value.len())
        && value.chars().any(|c| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
    if e164 {
        Ok(compact)
    } else if alphanumeric {
        Ok(value)
    } else {
        Err(invalid("phone_number", "give the number in E.164 form, e.g. +15551234567"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skills::{Localized, Skill};

    fn catalog() -> Catalog {
        let skill = |id: &str, channels: Vec<ChannelKind>| Skill {
            id: id.into(),
            action: crate::skills::Action::Reply,
            channels,
            prerequisites: vec![],
            name: Localized { en: id.into(), ko: id.into() },
            description: Localized { en: id.into(), ko: id.into() },
            offer: None,
            article: None,
            examples: Default::default(),
        };
        Catalog::from_skills([
            skill("greeting", vec![ChannelKind::Webchat, ChannelKind::Sms]),
            skill("web_only", vec![ChannelKind::Webchat]),
        ])
    }

    fn patch(json: serde_json::Value) -> SettingsPatch {
        serde_json::from_value(json).unwrap()
    }

    fn apply_to(
        kind: ChannelKind,
        json: serde_json::Value,
    ) -> Result<(ChannelSettings, ChannelSecrets, Touched), SettingsError> {
        apply(kind, &ChannelSettings::default(), &ChannelSecrets::default(), patch(json), &catalog())
    }

    #[test]
    fn absent_fields_stay_and_null_clears() {
        let start = ChannelSettings {
            intro_message: Some("안녕하세요".into()),
            title: Some("Shop".into()),
            ..Default::default()
        };
        let (s, _, touched) = apply(
            ChannelKind::Webchat,
            &start,
            &ChannelSecrets::default(),
            patch(serde_json::json!({"title": null})),
            &catalog(),
        )
        .unwrap();
        assert_eq!(s.intro_message, Some("안녕하세요".into()));
        assert_eq!(s.title, None);
        assert!(touched.any && !touched.handoff && !touched.twilio);

        let (_, _, touched) =
            apply(ChannelKind::Webchat, &start, &ChannelSecrets::default(), patch(serde_json::json!({})), &catalog())
                .unwrap();
        assert_eq!(touched, Touched::default());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<SettingsPatch>(serde_json::json!({"intro": "x"})).is_err());
        // The Twilio API base is configuration, not a setting a manager can point elsewhere.
        let api_base = serde_json::json!({"twilio_api_base": "http://127.0.0.1:9999"});
        assert!(serde_json::from_value::<SettingsPatch>(api_base).is_err());
        assert!(
            serde_json::from_value::<SettingsPatch>(serde_json::json!({"handoff": {"action": "queue", "x": 1}}))
                .is_err()
        );
    }

    #[test]
    fn values_are_validated_by_field() {
        let field = |kind, json| apply_to(kind, json).unwrap_err().field;
        assert_eq!(field(ChannelKind::Sms, serde_json::json!({"allowed_origins": []})), "allowed_origins");
        assert_eq!(field(ChannelKind::Webchat, serde_json::json!({"phone_number": "+15551234567"})), "phone_number");
        assert_eq!(
            field(ChannelKind::Webchat, serde_json::json!({"allowed_origins": ["shop.example"]})),
            "allowed_origins"
        );
        assert_eq!(
            field(ChannelKind::Webchat, serde_json::json!({"allowed_origins": ["https://a.example/path"]})),
            "allowed_origins"
        );
        assert_eq!(field(ChannelKind::Webchat, serde_json::json!({"skills": ["nope"]})), "skills");
        assert_eq!(field(ChannelKind::Sms, serde_json::json!({"skills": ["web_only"]})), "skills");
        assert_eq!(field(ChannelKind::Sms, serde_json::json!({"twilio_account_sid": "AC123"})), "twilio_account_sid");
        assert_eq!(field(ChannelKind::Sms, serde_json::json!({"phone_number": "+1 555 CALL"})), "phone_number");
        assert_eq!(field(ChannelKind::Sms, serde_json::json!({"max_segments": 0})), "max_segments");
        assert_eq!(
            field(ChannelKind::Webchat, serde_json::json!({"intro_message": "가".repeat(1001)})),
            "intro_message"
        );
        assert_eq!(
            field(ChannelKind::Webchat, serde_json::json!({"handoff": {"action": "queue", "helpdesk": "zendesk"}})),
            "handoff.helpdesk"
        );
    }

    #[test]
    fn texts_are_checked_per_language() {
        let refused = |json| apply_to(ChannelKind::Webchat, json).unwrap_err();
        let long = refused(serde_json::json!({"title": {"ko": "해피몰", "en": "a".repeat(81)}}));
        assert_eq!((long.field, long.message.as_str()), ("title", "at most 80 characters (the en text)"));
        let unknown = refused(serde_json::json!({"handoff": {"action": "queue", "message": {"en": "Hi {{order}}"}}}));
        assert_eq!(unknown.field, "handoff.message");
        let helpdesk =
            serde_json::json!({"handoff": {"action": "helpdesk", "off_hours_message": "내일 답변드릴게요."}});
        assert_eq!(refused(helpdesk).field, "handoff.off_hours_message");

        let (s, _, _) = apply_to(
            ChannelKind::Webchat,
            serde_json::json!({"intro_message": {"ko": " 안녕하세요 ", "en": " "}, "title": "  "}),
        )
        .unwrap();
        assert_eq!(s.intro_message, LocalizedText::per_language(Some("안녕하세요".into()), None));
        assert_eq!(s.title, None, "blank in every language is unset");
    }

    #[test]
    fn values_are_normalised() {
        let (s, k, touched) = apply_to(
            ChannelKind::Sms,
            serde_json::json!({
                "phone_number": "+1 (555) 123-4567",
                "twilio_account_sid": format!("AC{}", "a".repeat(32)),
                "twilio_auth_token": " secret-token ",
                "skills": ["greeting", "greeting"],
            }),
        )
        .unwrap();
        assert_eq!(s.phone_number.as_deref(), Some("+15551234567"));
        assert_eq!(k.twilio_auth_token.as_deref(), Some("secret-token"));
        assert_eq!(s.skills, vec!["greeting"]);
        assert!(touched.twilio);
        let (s, _, _) = apply_to(ChannelKind::Sms, serde_json::json!({"phone_number": "MYBRAND"})).unwrap();
        assert_eq!(s.phone_number.as_deref(), Some("MYBRAND"));
        let (s, _, _) = apply_to(
            ChannelKind::Webchat,
            serde_json::json!({"allowed_origins": ["HTTPS://Shop.Example/", "https://shop.example"]}),
        )
        .unwrap();
        assert_eq!(s.allowed_origins, vec!["https://shop.example"]);
    }
}
