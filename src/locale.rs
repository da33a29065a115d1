//! The two languages the product speaks, telling which one a customer wrote in, and texts an
//! operator writes for customers in either or both.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A reply language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// Korean.
    Ko,
    /// English.
    En,
}

impl Locale {
    /// The short code, `ko` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ko => "ko",
            Locale::En => "en",
        }
    }

    /// Reads `ko` or `en`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ko" => Some(Locale::Ko),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The language of `text`: Korean as soon as a fair share of its letters are Hangul (mixed
    /// messages such as "주문 cancel 가능?" are Korean), else `fallback` when there are no letters
    /// at all, else English.
    pub fn detect(text: &str, fallback: Locale) -> Locale {
        let (mut hangul, mut letters) = (0usize, 0usize);
        // Addresses and links say nothing about the language the customer writes in.
        let words = text.split_whitespace().filter(|w| !w.contains('@') && !w.contains("://"));
        for c in words.flat_map(str::chars).filter(|c| c.is_alphabetic()) {
            letters += 1;
            if is_hangul(c) {
                hangul += 1;
            }
        }
        if letters == 0 {
            fallback
        } else if hangul * 4 >= letters {
            Locale::Ko
        } else {
            Locale::En
        }
    }
}

/// Hangul syllables and jamo.
pub fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// A text customers read (an intro, a title, a handoff message), written once for every language
/// or per language.
///
/// In JSON it is a string, which serves every language (texts were stored this way before they
/// had languages, so old settings read as they are), or an object with `ko`, `en` or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalizedText {
    /// One text for every language.
    Shared(String),
    /// A text per language, at least one of them.
    PerLanguage(ByLanguage),
}

/// The texts of a [`LocalizedText::PerLanguage`]; never both missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByLanguage {
    ko: Option<String>,
    en: Option<String>,
}

impl ByLanguage {
    /// The text written for `locale`, if there is one.
    pub fn get(&self, locale: Locale) -> Option<&str> {
        match locale {
            Locale::Ko => self.ko.as_deref(),
            Locale::En => self.en.as_deref(),
        }
    }
}

impl LocalizedText {
    /// Texts per language; `None` when both are missing.
    pub fn per_language(ko: Option<String>, en: Option<String>) -> Option<Self> {
        (ko.is_some() || en.is_some()).then_some(LocalizedText::PerLanguage(ByLanguage { ko, en }))
    }

    /// The text for a customer reading `locale`: the one written for it, else the other
    /// language's, so a customer is never left without the message.
    pub fn get(&self, locale: Locale) -> &str {
        match self {
            LocalizedText::Shared(text) => text,
            LocalizedText::PerLanguage(by) => {
                let other = match locale {
                    Locale::Ko => Locale::En,
                    Locale::En => Locale::Ko,
                };
                by.get(locale).or_else(|| by.get(other)).unwrap_or_default()
            }
        }
    }

    /// Every text written, once each.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (first, second) = match self {
            LocalizedText::Shared(text) => (Some(text.as_str()), None),
            LocalizedText::PerLanguage(by) => {
                (by.ko.as_deref(), by.en.as_deref().filter(|en| by.ko.as_deref() != Some(*en)))
            }
        };
        first.into_iter().chain(second)
    }

    /// Passes every text through `check`, which may change it or drop it (`None`); `None` when
    /// nothing is left. `check` hears which language a text is for (`None`: every language).
    pub fn try_map<E>(
        self,
        mut check: impl FnMut(Option<Locale>, String) -> Result<Option<String>, E>,
    ) -> Result<Option<Self>, E> {
        match self {
            LocalizedText::Shared(text) => Ok(check(None, text)?.map(LocalizedText::Shared)),
            LocalizedText::PerLanguage(ByLanguage { ko, en }) => {
                let ko = ko.map(|t| check(Some(Locale::Ko), t)).transpose()?.flatten();
                let en = en.map(|t| check(Some(Locale::En), t)).transpose()?.flatten();
                Ok(Self::per_language(ko, en))
            }
        }
    }
}

impl From<&str> for LocalizedText {
    fn from(text: &str) -> Self {
        LocalizedText::Shared(text.to_owned())
    }
}

/// The texts, the languages named when they differ: for operators' eyes, not customers'.
impl fmt::Display for LocalizedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalizedText::Shared(text) => f.write_str(text),
            LocalizedText::PerLanguage(by) => {
                let written: Vec<String> = [Locale::Ko, Locale::En]
                    .into_iter()
                    .filter_map(|l| by.get(l).map(|t| format!("{}: {t}", l.as_str())))
                    .collect();
                f.write_str(&written.join(" / "))
            }
        }
    }
}

impl Serialize for LocalizedText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            LocalizedText::Shared(text) => serializer.serialize_str(text),
            LocalizedText::PerLanguage(by) => {
                let mut map = serializer.serialize_map(None)?;
                for locale in [Locale::Ko, Locale::En] {
                    if let Some(text) = by.get(locale) {
                        map.serialize_entry(locale.as_str(), text)?;
                    }
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for LocalizedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = LocalizedText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a text, or an object with the text in ko, en or both")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(LocalizedText::Shared(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(LocalizedText::Shared(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut ko, mut en) = (None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = match Locale::parse(&key) {
                Some(Locale::Ko) => &mut ko,
                Some(Locale::En) => &mut en,
                None => return Err(de::Error::custom(format_args!("unknown language {key:?}; give ko, en or both"))),
            };
            if slot.is_some() {
                return Err(de::Error::custom(format_args!("{key} is given twice")));
            }
            *slot = Some(map.next_value::<String>()?);
        }
        LocalizedText::per_language(ko, en).ok_or_else(|| de::Error::custom("give the text in ko, en or both"))
    }
}

impl JsonSchema for LocalizedText {
    fn schema_name() -> Cow<'static, str> {
        "LocalizedText".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(None, false)
    }
}

/// The schema of an optional [`LocalizedText`] of at most `MAX` characters per language, for
/// request fields (`#[schemars(schema_with = "nullable_text::<80>")]`).
pub fn nullable_text<const MAX: usize>(_: &mut SchemaGenerator) -> Schema {
    text_schema(Some(MAX), true)
}

fn text_schema(max: Option<usize>, nullable: bool) -> Schema {
    let mut text = json_schema!({ "type": "string" });
    if let Some(max) = max {
        text.insert("maxLength".into(), max.into());
    }
    let mut shared = text.clone();
    shared.insert("description".into(), "One text for every language.".into());
    let mut forms = vec![
        shared,
        json_schema!({
            "description": "The text per language; a customer whose language is missing gets the other.",
            "type": "object",
            "properties": { "ko": text.clone(), "en": text },
            "additionalProperties": false,
            "minProperties": 1,
        }),
    ];
    if nullable {
        forms.push(json_schema!({ "type": "null" }));
    }
    json_schema!({
        "description": "A text customers read: a string for every language, or an object with `ko`, `en` or both.",
        "anyOf": forms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_korean_english_and_mixed_text() {
        assert_eq!(Locale::detect("주문번호 1001 배송 어디쯤이에요?", Locale::En), Locale::Ko);
        assert_eq!(Locale::detect("where is order 1002?", Locale::Ko), Locale::En);
        assert_eq!(Locale::detect("주문 cancel 가능?", Locale::En), Locale::Ko);
        assert_eq!(Locale::detect("tracking number 알려주세요", Locale::En), Locale::Ko);
        assert_eq!(Locale::detect("1001", Locale::Ko), Locale::Ko);
        assert_eq!(Locale::detect("ㅠㅠ", Locale::En), Locale::Ko);
        assert_eq!(Locale::detect("happy@example.com 입니다", Locale::En), Locale::Ko);
    }

    #[test]
    fn a_text_is_one_for_every_language_or_one_per_language() {
        let shared: LocalizedText = serde_json::from_value(serde_json::json!("안녕하세요")).unwrap();
        assert_eq!((shared.get(Locale::Ko), shared.get(Locale::En)), ("안녕하세요", "안녕하세요"));
        assert_eq!(serde_json::to_value(&shared).unwrap(), serde_json::json!("안녕하세요"));

        let both: LocalizedText = serde_json::from_value(serde_json::json!({"ko": "안녕하세요", "en": "Hi"})).unwrap();
        assert_eq!((both.get(Locale::Ko), both.get(Locale::En)), ("안녕하세요", "Hi"));
        assert_eq!(serde_json::to_value(&both).unwrap(), serde_json::json!({"ko": "안녕하세요", "en": "Hi"}));
        assert_eq!(both.to_string(), "ko: 안녕하세요 / en: Hi");

        let english: LocalizedText = serde_json::from_value(serde_json::json!({"en": "Hi"})).unwrap();
        assert_eq!(english.get(Locale::Ko), "Hi", "the other language rather than nothing");
        assert_eq!(english.texts().collect::<Vec<_>>(), ["Hi"]);
    }

    #[test]
    fn unknown_languages_and_empty_objects_are_refused() {
        let read = |v| serde_json::from_value::<LocalizedText>(v).unwrap_err().to_string();
        assert!(read(serde_json::json!({"ko": "안녕", "fr": "Salut"})).contains("\"fr\""));
        assert!(read(serde_json::json!({})).contains("ko, en or both"));
        assert!(serde_json::from_value::<LocalizedText>(serde_json::json!({"ko": null})).is_err());
        assert!(serde_json::from_value::<LocalizedText>(serde_json::json!(["안녕"])).is_err());
    }

    #[test]
    fn mapping_drops_what_is_blank() {
        let blank = |_: Option<Locale>, t: String| Ok::<_, ()>(Some(t.trim().to_owned()).filter(|t| !t.is_empty()));
        let text = LocalizedText::per_language(Some(" 안녕 ".into()), Some("  ".into())).unwrap();
        assert_eq!(text.try_map(blank), Ok(LocalizedText::per_language(Some("안녕".into()), None)));
        assert_eq!(LocalizedText::from(" ").try_map(blank), Ok(None));
    }
}
