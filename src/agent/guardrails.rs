//! Guardrails: topics that go to a person, words that are never sent, the tone of LLM answers.
//!
//! Defaults live in `prompts/guardrails.toml`; each channel may add topics and words of its own.

use std::path::Path;

use serde::Deserialize;

use crate::channels::ChannelSettings;

/// The shipped defaults, so the engine works from any directory.
const DEFAULTS: &str = include_str!("../../prompts/guardrails.toml");

/// Escalation topics, forbidden words and tone presets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    escalation: Topics,
    forbidden_words: Vec<String>,
    tone: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Topics {
    ko: Vec<String>,
    en: Vec<String>,
}

/// The tone used when a channel picks none.
pub const DEFAULT_TONE: &str = "friendly";

impl Default for Guardrails {
    fn default() -> Self {
        toml::from_str(DEFAULTS).expect("the shipped guardrails parse")
    }
}

impl Guardrails {
    /// Reads a guardrails file; errors name the file and line.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(0);
            format!("{}:{line}: {}", path.display(), e.message())
        })
    }

    /// The escalation topic `text` mentions, if any (the channel's own topics included).
    pub fn escalation(&self, text: &str, settings: &ChannelSettings) -> Option<String> {
        let lower = text.to_lowercase();
        self.escalation
            .ko
            .iter()
            .chain(&self.escalation.en)
            .chain(&settings.escalation_topics)
            .find(|topic| !topic.trim().is_empty() && lower.contains(&topic.to_lowercase()))
            .cloned()
    }

    /// `text` with every forbidden word masked; also says whether anything was.
    pub fn clean(&self, text: &str, settings: &ChannelSettings) -> (String, bool) {
        let mut out = text.to_owned();
        let mut masked = false;
        for word in self.forbidden_words.iter().chain(&settings.forbidden_words).filter(|w| !w.trim().is_empty()) {
            loop {
                let lower = out.to_lowercase();
                // Lower-casing can change byte lengths outside ASCII; only mask where it did not.
                let Some(at) = lower.find(&word.to_lowercase()).filter(|_| lower.len() == out.len()) else { break };
                let end = at + word.to_lowercase().len();
                if !out.is_char_boundary(at) || !out.is_char_boundary(end) {
                    break;
                }
                out.replace_range(at..end, &"*".repeat(word.chars().count()));
                masked = true;
            }
        }
        (out, masked)
    }

    /// The tone instruction for LLM prompts.
    pub fn tone(&self, settings: &ChannelSettings) -> &str {
        let name = settings.tone.as_deref().unwrap_or(DEFAULT_TONE);
        self.tone.get(name).or_else(|| self.tone.get(DEFAULT_TONE)).map_or("", String::as_str)
    }

    /// Names of the tone presets.
    pub fn tones(&self) -> impl Iterator<Item = &str> {
        self.tone.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_topics_are_found_in_both_languages_and_per_channel() {
        let g = Guardrails::default();
        let plain = ChannelSettings::default();
        assert_eq!(g.escalation("이거 쓰고 피부에 화상 입었어요", &plain).as_deref(), Some("화상"));
        assert_eq!(g.escalation("I will file a CHARGEBACK", &plain).as_deref(), Some("chargeback"));
        assert_eq!(g.escalation("배송 언제 와요?", &plain), None);
        let custom = ChannelSettings { escalation_topics: vec!["리콜".into()], ..Default::default() };
        assert_eq!(g.escalation("리콜 대상인가요", &custom).as_deref(), Some("리콜"));
    }

    #[test]
    fn forbidden_words_are_masked() {
        let g = Guardrails::default();
        let custom = ChannelSettings { forbidden_words: vec!["경쟁사몰".into()], ..Default::default() };
        let (text, masked) = g.clean("What the FUCK, try 경쟁사몰 instead", &custom);
        assert_eq!(text, "What the ****, try **** instead");
        assert!(masked);
        assert_eq!(g.clean("안녕하세요", &custom), ("안녕하세요".to_owned(), false));
    }

    #[test]
    fn tones_fall_back_to_friendly() {
        let g = Guardrails::default();
        assert!(g.tone(&ChannelSettings::default()).contains("해요체"));
        let formal = ChannelSettings { tone: Some("formal".into()), ..Default::default() };
        assert!(g.tone(&formal).contains("합쇼체"));
        assert_eq!(g.tones().collect::<Vec<_>>(), ["concise", "formal", "friendly"]);
    }
}
