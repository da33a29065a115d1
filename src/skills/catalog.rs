//! Loading and validating the skill manifests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channels::ChannelKind;

/// Something a skill needs configured before it can be enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prerequisite {
    /// A commerce integration (the embedded demo shop or a Shopify store) to read orders and products.
    Commerce,
    /// At least one knowledge article to answer from.
    Knowledge,
}

impl Prerequisite {
    /// The manifest form.
    pub fn as_str(self) -> &'static str {
        match self {
            Prerequisite::Commerce => "commerce",
            Prerequisite::Knowledge => "knowledge",
        }
    }
}

/// The kinds of work a skill can do; each needs certain replies in `replies.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Where an order is: status, carrier, tracking number.
    OrderStatus,
    /// Whether and how an order can be cancelled.
    OrderCancellation,
    /// How returns and exchanges work.
    Returns,
    /// Products from the catalogue that match the request.
    ProductSearch,
    /// Opening and support hours, from the knowledge article on them.
    BusinessHours,
    /// The best passage of the knowledge articles.
    KnowledgeAnswer,
    /// The customer asks for a person: hand off.
    Handoff,
    /// Greets back.
    Greeting,
    /// Answers with its one reply, `answer`; for simple skills added as data.
    Reply,
}

impl Action {
    /// Whether the action looks up one of the customer's orders.
    pub fn is_order(self) -> bool {
        matches!(self, Action::OrderStatus | Action::OrderCancellation)
    }

    /// The reply names a skill with this action must define, in every language.
    pub fn replies(self) -> &'static [&'static str] {
        const VERIFY: [&str; 3] = ["ask_order_number", "ask_verification", "not_found"];
        match self {
            Action::OrderStatus => {
                &[VERIFY[0], VERIFY[1], VERIFY[2], "preparing", "shipped", "out_for_delivery", "delivered", "cancelled"]
            }
            Action::OrderCancellation => {
                &[VERIFY[0], VERIFY[1], VERIFY[2], "can_cancel", "cannot_cancel", "already_cancelled"]
            }
            Action::Returns => &["how_to"],
            Action::ProductSearch => &["results", "no_results"],
            Action::BusinessHours | Action::KnowledgeAnswer | Action::Reply => &["answer"],
            Action::Handoff => &[],
            Action::Greeting => &["hello"],
        }
    }

    /// The replies a skill with this action may define beyond [`Action::replies`]; without them
    /// the engine says it in words of its own or in a required reply.
    pub fn optional_replies(self) -> &'static [&'static str] {
        match self {
            Action::OrderStatus => &["list", "total", "items", "arrival", "link"],
            Action::OrderCancellation => &["list", "cancelled_now", "kept", "total", "items", "arrival", "link"],
            Action::Returns => &["answer"],
            Action::ProductSearch => &["product", "over_budget"],
            Action::Handoff => &["apology", "claim", "offer"],
            Action::Greeting => &["thanks"],
            Action::BusinessHours | Action::KnowledgeAnswer | Action::Reply => &[],
        }
    }
}

/// Text in both languages the product speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// English.
    pub en: String,
    /// Korean.
    pub ko: String,
}

/// One skill, as its manifest declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Skill {
    /// Stable id, equal to the folder name; what channel settings enable.
    pub id: String,
    /// What the skill does when routed to.
    pub action: Action,
    /// Channels the skill can run on.
    pub channels: Vec<ChannelKind>,
    /// What must be configured before the skill can be enabled.
    #[serde(default)]
    pub prerequisites: Vec<Prerequisite>,
    /// Display name.
    pub name: Localized,
    /// One sentence for operators.
    pub description: Localized,
    /// What the skill helps with in the customer's words, for the greeting ("주문하신 상품의 배송 조회").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<Localized>,
    /// The knowledge article (by slug) a skill that rests on a policy answers from: the returns
    /// skill answers the fee or the window from `return-policy`, not from a fixed template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// What customers say when they want this skill; the router learns from these.
    #[serde(default)]
    pub examples: Examples,
}

/// Example utterances per language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Korean.
    #[serde(default)]
    pub ko: Vec<String>,
    /// English.
    #[serde(default)]
    pub en: Vec<String>,
}

impl Examples {
    /// Every example, Korean first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.ko.iter().chain(&self.en).map(String::as_str)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.ko.len() + self.en.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Fewest examples a skill may have: the router cannot learn an intent from fewer.
pub const MIN_EXAMPLES: usize = 5;

/// A manifest that could not be loaded: the file, the line when known, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CatalogError {
    /// The offending file or folder.
    pub path: PathBuf,
    /// 1-based line of the problem, when the parser could tell.
    pub line: Option<usize>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl CatalogError {
    fn at(path: &Path, message: impl Into<String>) -> Self {
        Self { path: path.to_owned(), line: None, message: message.into() }
    }
}

/// Every skill the engine knows, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    skills: BTreeMap<String, Skill>,
}

impl Catalog {
    /// Loads every `skills/<id>/skill.toml` under `dir`.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| CatalogError::at(dir, format!("cannot read the skills folder: {e}")))?;
        let mut skills = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| CatalogError::at(dir, e.to_string()))?;
            if !entry.file_type().map_err(|e| CatalogError::at(&entry.path(), e.to_string()))?.is_dir() {
                continue;
            }
            let path = entry.path().join("skill.toml");
            let text = std::fs::read_to_string(&path).map_err(|e| CatalogError::at(&path, e.to_string()))?;
            let skill = parse(&path, &text)?;
            let folder = entry.file_name().to_string_lossy().into_owned();
            if skill.id != folder {
                return Err(CatalogError {
                    line: line_of(&text, "id"),
                    ..CatalogError::at(&path, format!("id {:?} must equal the folder name {folder:?}", skill.id))
                });
            }
            skills.insert(skill.id.clone(), skill);
        }
        if skills.is_empty() {
            return Err(CatalogError::at(dir, "no skills found (expected one folder per skill with a skill.toml)"));
        }
        Ok(Self { skills })
    }

    /// A catalogue of the given skills; for tests.
    pub fn from_skills(skills: impl IntoIterator<Item = Skill>) -> Self {
        Self { skills: skills.into_iter().map(|s| (s.id.clone(), s)).collect() }
    }

    /// One skill.
    pub fn get(&self, id: &str) -> Option<&Skill> {
        self.skills.get(id)
    }

    /// Every skill, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Skill> {
        self.skills.values()
    }
}

fn parse(path: &Path, text: &str) -> Result<Skill, CatalogError> {
    let skill: Skill = toml::from_str(text).map_err(|e| CatalogError {
        path: path.to_owned(),
        line: e.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
        message: e.message().to_owned(),
    })?;
    let problem = if skill.id.is_empty()
        || skill.id.len() > 64
        || !skill.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Some(("id", "give lowercase letters, digits and underscores, at most 64"))
    } else if skill.channels.is_empty() {
        Some(("channels", "name at least one channel"))
    } else if skill.name.en.trim().is_empty() || skill.name.ko.trim().is_empty() {
        Some(("name", "give both en and ko"))
    } else if skill.examples.len() < MIN_EXAMPLES {
        Some(("examples", "give at least 5 example utterances (ko and en lists); the router learns from them"))
    } else if skill.examples.all().any(|e| e.trim().is_empty() || e.chars().count() > 300) {
        Some(("examples", "every example must be 1 to 300 characters"))
    } else {
        None
    };
    match problem {
        Some((key, message)) => {
            Err(CatalogError { line: line_of(text, key), ..CatalogError::at(path, format!("{key}: {message}")) })
        }
        None => Ok(skill),
    }
}

/// The line a top-level key or table is declared on.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
                || line.trim_end() == format!("[{key}]")
        })
        .map(|index| index + 1)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A catalogue of one skill with the given action.
    pub(crate) fn catalog_with(id: &str, action: Action) -> Catalog {
        Catalog::from_skills([Skill {
            id: id.into(),
            action,
            channels: vec![ChannelKind::Webchat, ChannelKind::Sms],
            prerequisites: vec![],
            name: Localized { en: id.into(), ko: id.into() },
            description: Localized { en: id.into(), ko: id.into() },
            offer: None,
            article: None,
            examples: Examples { ko: vec!["안녕".into(); 5], en: vec![] },
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Catalog {
        Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("skills")).unwrap()
    }

    #[test]
    fn the_default_skills_load() {
        let catalog = shipped();
        for skill in catalog.iter() {
            assert!(skill.examples.len() >= 30, "{} has {} examples", skill.id, skill.examples.len());
            assert!(
                skill.examples.ko.len() >= 10 && skill.examples.en.len() >= 10,
                "{} needs both languages",
                skill.id
            );
        }
        let ids: Vec<_> = catalog.iter().map(|s| s.id.as_str()).collect();
        for id in ["order_tracking", "order_cancellation", "returns_exchanges", "product_recommendation"] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
            assert_eq!(catalog.get(id).unwrap().prerequisites, vec![Prerequisite::Commerce]);
        }
        for id in ["business_hours", "faq", "human_handoff", "greeting"] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        assert_eq!(catalog.get("faq").unwrap().prerequisites, vec![Prerequisite::Knowledge]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let path = Path::new("skills/x/skill.toml");
        let err = parse(path, "id = \"x\"\naction = \"greeting\"\nchannels = [\"fax\"]\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.to_string().starts_with("skills/x/skill.toml:3: "), "{err}");
        let err = parse(path, "id = \"x\"\naction = \"dance\"\nchannels = [\"sms\"]\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");

        let text = "id = \"Bad Id\"\naction = \"reply\"\nchannels = [\"sms\"]\n[name]\nen = \"A\"\nko = \"가\"\n\
                    [description]\nen = \"A\"\nko = \"가\"\n";
        let err = parse(path, text).unwrap_err();
        assert_eq!((err.line, err.message.starts_with("id:")), (Some(1), true), "{err}");

        let err = parse(path, "id = \"x\"\nextra = 1\n").unwrap_err();
        assert!(err.message.contains("extra"), "{err}");
    }

    #[test]
    fn a_folder_must_match_its_id() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("other")).unwrap();
        std::fs::write(
            dir.path().join("other/skill.toml"),
            "id = \"greeting\"\naction = \"greeting\"\nchannels = [\"sms\"]\n[name]\nen = \"Hi\"\nko = \"안녕\"\n\
             [description]\nen = \"Hi\"\nko = \"안녕\"\n[examples]\nen = [\"hi\", \"hello\", \"hey\", \"yo\", \"hiya\"]\n",
        )
        .unwrap();
        let err = Catalog::load(dir.path()).unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("folder name"), "{err}");
    }
}
