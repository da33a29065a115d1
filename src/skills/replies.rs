//! Reply templates: `skills/<id>/replies.toml`, handlebars text per language, with short SMS
//! variants.
//!
//! ```toml
//! [ko]
//! shipped = "주문 {{order.number}}은 {{order.shipment.carrier}}로 배송 중이에요."
//! [ko.sms]
//! shipped = "{{order.number}} 배송 중: {{order.shipment.tracking_number}}"
//! [en]
//! shipped = "Order {{order.number}} is on its way with {{order.shipment.carrier}}."
//! ```
//!
//! Every reply the skill's action needs must exist in both languages; SMS variants are optional
//! and fall back to the full text. Templates are compiled at start-up, in strict mode, so a typo
//! in a field name fails the reply instead of printing nothing.

use std::collections::BTreeMap;
use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

use super::catalog::{Catalog, CatalogError};
use crate::locale::Locale;

/// Every skill's compiled replies.
#[derive(Debug, Clone)]
pub struct Replies {
    templates: Handlebars<'static>,
}

/// A reply that could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("reply {skill}/{name}: {message}")]
pub struct RenderError {
    /// The skill.
    pub skill: String,
    /// The reply.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ko: Language,
    en: Language,
}

#[derive(serde::Deserialize)]
struct Language {
    #[serde(default)]
    sms: BTreeMap<String, String>,
    #[serde(flatten)]
    full: BTreeMap<String, String>,
}

impl Replies {
    /// Loads `replies.toml` of every skill in `catalog` from `dir`.
    pub fn load(dir: &Path, catalog: &Catalog) -> Result<Self, CatalogError> {
        let mut templates = Handlebars::new();
        templates.set_strict_mode(true);
        templates.register_escape_fn(handlebars::no_escape);
        templates.register_helper("josa", Box::new(josa_helper));
        for skill in catalog.iter() {
            let needed = skill.action.replies();
            let optional = skill.action.optional_replies();
            let path = dir.join(&skill.id).join("replies.toml");
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && needed.is_empty() => continue,
                Err(e) => return Err(error(&path, None, e.to_string())),
            };
            let file: File = toml::from_str(&text).map_err(|e| {
                let line = e.span().map(|span| line_at(&text, span.start));
                error(&path, line, e.message().to_owned())
            })?;
            for (locale, language) in [(Locale::Ko, &file.ko), (Locale::En, &file.en)] {
                let table = format!("[{}]", locale.as_str());
                for name in needed {
                    if !language.full.contains_key(*name) {
                        let message = format!("{table} has no reply {name:?}; {:?} needs {needed:?}", skill.action);
                        return Err(error(&path, line_of(&text, &table, None), message));
                    }
                }
                for (variant, replies) in [("", &language.full), (".sms", &language.sms)] {
                    for (name, template) in replies {
                        let table = format!("[{}{variant}]", locale.as_str());
                        let line = line_of(&text, &table, Some(name));
                        if !needed.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
                            return Err(error(
                                &path,
                                line,
                                format!("{table} {name:?} is not a reply of {:?}", skill.action),
                            ));
                        }
                        let key = key(&skill.id, name, locale, !variant.is_empty());
                        templates.register_template_string(&key, template).map_err(|e| {
                            let within = e.pos().map_or(0, |(line, _)| line.saturating_sub(1));
                            error(&path, line.map(|l| l + within), format!("{name}: {}", e.reason()))
                        })?;
                    }
                }
            }
        }
        Ok(Self { templates })
    }

    /// Whether the skill has the reply `name` (optional replies may be missing).
    pub fn has(&self, skill: &str, name: &str, locale: Locale) -> bool {
        self.templates.has_template(&key(skill, name, locale, false))
    }

    /// Renders a reply; on SMS the short variant when there is one.
    pub fn render(
        &self,
        skill: &str,
        name: &str,
        locale: Locale,
        sms: bool,
        data: &impl Serialize,
    ) -> Result<String, RenderError> {
        let short = key(skill, name, locale, true);
        let chosen = if sms && self.templates.has_template(&short) { short } else { key(skill, name, locale, false) };
        self.templates.render(&chosen, data).map(|text| text.trim().to_owned()).map_err(|e| RenderError {
            skill: skill.to_owned(),
            name: name.to_owned(),
            message: e.to_string(),
        })
    }
}

/// `{{josa word "으로"}}`: the word with the Korean particle that fits its last sound
/// (`CJ대한통운으로`, `우체국택배로`). Pairs: 은/는, 이/가, 을/를, 과/와, 으로/로, 이에요/예요.
fn josa_helper(
    h: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let word = h.param(0).map(|p| p.value().as_str().map_or_else(|| p.value().to_string(), str::to_owned));
    let particle = h.param(1).and_then(|p| p.value().as_str());
    let (Some(word), Some(particle)) = (word, particle) else {
        return Err(handlebars::RenderErrorReason::Other("josa takes a word and a particle".into()).into());
    };
    out.write(&word)?;
    out.write(josa(&word, particle))?;
    Ok(())
}

/// The form of `particle` (either form may be given) that follows `word`.
pub fn josa(word: &str, particle: &str) -> &'static str {
    const PAIRS: [(&str, &str); 6] =
        [("은", "는"), ("이", "가"), ("을", "를"), ("과", "와"), ("으로", "로"), ("이에요", "예요")];
    let Some((with_final, without)) = PAIRS.iter().find(|(a, b)| *a == particle || *b == particle) else {
        return "";
    };
    // The final consonant of the last sound: Hangul from its syllable, digits as read in Korean.
    let last = word.trim_end_matches(|c: char| !c.is_alphanumeric()).chars().last();
    let coda = match last {
        Some(c @ '\u{AC00}'..='\u{D7A3}') => (c as u32 - 0xAC00) % 28,
        Some('0' | '3' | '6') => 21, // 영, 삼 and 육 end in a consonant (ㅇ, ㅁ, ㄱ stand in).
        Some('1' | '7' | '8') => 8,  // 일, 칠, 팔 end in ㄹ.
        _ => 0,
    };
    match (coda, *with_final) {
        (0, _) => without,
        // After ㄹ, 으로 drops its 으.
        (8, "으로") => without,
        _ => with_final,
    }
}

fn key(skill: &str, name: &str, locale: Locale, sms: bool) -> String {
    format!("{skill}/{}/{}{name}", locale.as_str(), if sms { "sms/" } else { "" })
}

fn error(path: &Path, line: Option<usize>, message: String) -> CatalogError {
    CatalogError { path: path.to_owned(), line, message }
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `table`'s header, or of `key` within it.
fn line_of(text: &str, table: &str, key: Option<&str>) -> Option<usize> {
    let mut lines = text.lines().enumerate().skip_while(|(_, l)| l.trim() != table);
    let (header, _) = lines.next()?;
    let Some(key) = key else { return Some(header + 1) };
    lines
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| l.trim_start().strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('=')))
        .map(|(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skills::catalog::tests_support::catalog_with;

    fn load(replies: &str) -> Result<Replies, CatalogError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("hello")).unwrap();
        std::fs::write(dir.path().join("hello/replies.toml"), replies).unwrap();
        Replies::load(dir.path(), &catalog_with("hello", crate::skills::Action::Greeting))
    }

    #[test]
    fn replies_render_per_language_and_channel() {
        let replies = load(
            "[ko]\nhello = \"안녕하세요 {{customer.name}}님!\"\n[ko.sms]\nhello = \"안녕하세요!\"\n\
             [en]\nhello = \"Hi {{customer.name}}!\"\n",
        )
        .unwrap();
        let data = serde_json::json!({"customer": {"name": "김해피"}});
        assert_eq!(replies.render("hello", "hello", Locale::Ko, false, &data).unwrap(), "안녕하세요 김해피님!");
        assert_eq!(replies.render("hello", "hello", Locale::Ko, true, &data).unwrap(), "안녕하세요!");
        assert_eq!(replies.render("hello", "hello", Locale::En, true, &data).unwrap(), "Hi 김해피!");
        // Strict: a missing field is an error, not an empty string.
        assert!(replies.render("hello", "hello", Locale::En, false, &serde_json::json!({})).is_err());
    }

    #[test]
    fn problems_name_the_file_and_line() {
        let err = load("[ko]\nhello = \"x\"\n[en]\nbye = \"y\"\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let err = load("[ko]\nhello = \"x\"\nextra = \"z\"\n[en]\nhello = \"y\"\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        let err = load("[ko]\nhello = \"x\"\n[en]\nhello = \"\"\"\nfirst\n{{#if}}\n\"\"\"\n").unwrap_err();
        assert!(err.line.is_some_and(|l| l >= 4), "{err}");
        let err = load("[ko]\nhello = \"x\"\n").unwrap_err();
        assert!(err.message.contains("en"), "{err}");
    }

    #[test]
    fn particles_follow_the_last_sound() {
        assert_eq!(josa("CJ대한통운", "으로"), "으로");
        assert_eq!(josa("우체국택배", "으로"), "로");
        assert_eq!(josa("서울", "으로"), "로");
        assert_eq!(josa("롯데택배", "은"), "는");
        assert_eq!(josa("주문", "는"), "은");
        assert_eq!(josa("2026-11-22", "이에요"), "예요");
        assert_eq!(josa("2026-11-21", "예요"), "이에요");
        assert_eq!(josa("1003", "이"), "이");
        let replies = load("[ko]\nhello = \"{{josa customer.name \\\"으로\\\"}}\"\n[en]\nhello = \"x\"\n").unwrap();
        let data = serde_json::json!({"customer": {"name": "CJ대한통운"}});
        assert_eq!(replies.render("hello", "hello", Locale::Ko, false, &data).unwrap(), "CJ대한통운으로");
    }

    #[test]
    fn the_shipped_replies_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("skills");
        let catalog = Catalog::load(&dir).unwrap();
        Replies::load(&dir, &catalog).unwrap();
    }
}
