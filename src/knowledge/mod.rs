//! Knowledge articles: what the `faq`, `business_hours` and policy skills answer from.
//!
//! Articles are Markdown files, one language each (`<slug>.ko.md`, `<slug>.en.md`): a `# Title`
//! and `## Section` headings over paragraphs. Every section is a passage. Retrieval is BM25 over
//! tokens that suit both languages ([`tokens`]); an answer is the best passage and its title, and
//! only when the passage covers enough of what was asked, so an unrelated question finds nothing
//! rather than a random paragraph.
//!
//! [`Knowledge::sections`] answers the question asked rather than its topic: a message with two
//! asks ("배송비 얼마예요? 얼마 이상이면 무료?") is split into its asks and each finds its section;
//! within the article an ask lands on, the section is the one whose own words (heading and text,
//! beyond the article's title) the ask uses most, and the article's first section when the ask
//! only names the topic ("선물 포장 되나요?"). An optional `synonyms.toml` beside the articles lists
//! groups of words customers use for one thing (`abroad`, `overseas`, `international`).

mod index;
mod kinds;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::locale::Locale;
use index::Index;
pub use index::tokens;

/// Share of the question's weight a passage must cover to be an answer.
pub const MIN_COVERAGE: f32 = 0.45;
/// The same, within one article the conversation is already about.
pub const MIN_COVERAGE_IN_ARTICLE: f32 = 0.3;
/// The file of synonym groups beside the articles.
pub const SYNONYMS_FILE: &str = "synonyms.toml";
/// A passage found for an ask: article, section, coverage and words of the ask specific to it.
type Hit = (usize, usize, f32, usize);
/// How much less of an ask a passage that gives the kind of answer asked for may cover than the
/// best one and still be chosen over it.
const NEARLY: f32 = 0.15;
/// Tokens of an ask short enough to lean on the article in question for its topic ("fee?").
const SHORT_ASK: usize = 3;

/// One article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// File name without the language and extension; the two languages of an article share it.
    pub slug: String,
    /// Its language.
    pub locale: Locale,
    /// The `# ` heading.
    pub title: String,
    /// Its sections, in order.
    pub sections: Vec<Section>,
}

/// A `## ` section, or the text before the first one.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The heading, if any.
    pub heading: Option<String>,
    /// The paragraphs, joined by single spaces.
    pub text: String,
}

/// A passage that answers a question.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Answer {
    /// The article's slug.
    pub slug: String,
    /// The article's title.
    pub title: String,
    /// The section heading.
    pub heading: Option<String>,
    /// The passage.
    pub text: String,
    /// Share of the question's weight the passage covers, 0 to 1.
    pub coverage: f32,
    /// Words of the question found in this section beyond the article's title: 0 when the
    /// question only named the article's topic.
    #[serde(skip)]
    pub specific: usize,
}

/// An article that could not be read: the file, the line and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct KnowledgeError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Every article, indexed.
#[derive(Debug, Default)]
pub struct Knowledge {
    articles: Vec<Article>,
    /// (article, section) of each indexed passage.
    passages: Vec<(usize, usize)>,
    index: Index,
    /// Groups of words that stand for one another in questions, lower-cased.
    synonyms: Vec<Vec<String>>,
    /// The tokens of every title and heading: the topics the articles name.
    topics: HashSet<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    groups: Vec<Vec<String>>,
}

impl Knowledge {
    /// Reads every `*.md` file in `dir`; a missing folder is an empty knowledge base.
    pub fn load(dir: &Path) -> Result<Self, KnowledgeError> {
        let error = |path: &Path, line, message: String| KnowledgeError { path: path.to_owned(), line, message };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(error(dir, 0, e.to_string())),
        };
        let synonyms = read_synonyms(&dir.join(SYNONYMS_FILE))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        paths.sort();
        let mut articles = Vec::with_capacity(paths.len());
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| error(&path, 0, e.to_string()))?;
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let (slug, locale) = match name.rsplit_once('.') {
                Some((slug, code)) => match Locale::parse(code) {
                    Some(locale) => (slug.to_owned(), locale),
                    None => {
                        return Err(error(&path, 0, format!("name the file <slug>.ko.md or <slug>.en.md, not {code}")));
                    }
                },
                None => (name.to_owned(), Locale::detect(&text, Locale::Ko)),
            };
            articles.push(parse(&slug, locale, &text).map_err(|(line, message)| error(&path, line, message))?);
        }
        Ok(Self { synonyms, ..Self::from_articles(articles) })
    }

    /// A knowledge base of the given articles.
    pub fn from_articles(articles: Vec<Article>) -> Self {
        let mut passages = Vec::new();
        let mut docs = Vec::new();
        for (a, article) in articles.iter().enumerate() {
            for (s, section) in article.sections.iter().enumerate() {
                // Titles and headings say what a passage is about: they count twice.
                let heading = section.heading.as_deref().unwrap_or_default();
                docs.push(format!("{0} {0} {1} {1} {2}", article.title, heading, section.text));
                passages.push((a, s));
            }
        }
        let index = Index::build(&docs);
        let topics = articles
            .iter()
            .flat_map(|a| {
                std::iter::once(a.title.as_str()).chain(a.sections.iter().filter_map(|s| s.heading.as_deref()))
            })
            .flat_map(tokens)
            .collect();
        Self { articles, passages, index, synonyms: Vec::new(), topics }
    }

    fn search(&self, question: &str) -> Vec<(usize, f32)> {
        self.index.search_terms(&index::alternatives(question, &self.synonyms))
    }

    fn answer_at(&self, a: usize, s: usize, locale: Locale, coverage: f32) -> Answer {
        let (a, s) = self.translated(a, s, locale);
        let (article, section) = (&self.articles[a], &self.articles[a].sections[s]);
        Answer {
            slug: article.slug.clone(),
            title: article.title.clone(),
            heading: section.heading.clone(),
            text: section.text.clone(),
            coverage,
            specific: 0,
        }
    }

    /// The sections that answer `question`, one per ask it makes, in the order asked, each in
    /// `locale` when the article exists in it. `only_slug` keeps to one article (and accepts
    /// weaker matches there); with `prefer_slug`, an article the conversation is about, that
    /// article is tried first with the same lower bar. Empty when nothing answers.
    pub fn sections(
        &self,
        question: &str,
        locale: Locale,
        only_slug: Option<&str>,
        prefer_slug: Option<&str>,
    ) -> Vec<Answer> {
        self.sections_above(question, locale, only_slug, prefer_slug, MIN_COVERAGE)
    }

    /// [`Knowledge::sections`] with another bar than [`MIN_COVERAGE`] outside the preferred
    /// article: lower when the router already said the message is a question for the knowledge.
    pub fn sections_above(
        &self,
        question: &str,
        locale: Locale,
        only_slug: Option<&str>,
        prefer_slug: Option<&str>,
        min_coverage: f32,
    ) -> Vec<Answer> {
        let asks = asks(question);
        let mut found: Vec<Hit> = Vec::new();
        // A sentence that finds nothing may be context for the next one: "I'm sending it to Jeju.
        // Is shipping different there?" is about Jeju when that says more than the question alone.
        let mut context = String::new();
        for ask in asks.iter().map(String::as_str).chain((asks.len() > 1).then_some(question)) {
            if asks.len() > 1 && ask == question && !found.is_empty() {
                break;
            }
            // The second ask of a message is likely about the article the first landed on.
            let first = found.first().map(|&(a, ..)| self.articles[a].slug.clone());
            let prefer = prefer_slug.map(str::to_owned).or(first);
            let find = |ask: &str| self.hit(ask, only_slug, prefer.as_deref(), min_coverage);
            let alone = find(ask);
            let combined = (!context.is_empty() && ask != question).then(|| format!("{context} {ask}"));
            let with_context = combined.as_deref().and_then(|combined| match alone {
                // The article the ask found; the section the context points to, if it says more.
                Some(hit) => {
                    let slug = self.articles[hit.0].slug.as_str();
                    self.best_in(combined, Some(slug), 0.0).filter(|c| c.3 > hit.3)
                }
                None => find(combined),
            });
            match with_context.or(alone) {
                Some((a, s, coverage, specific)) => {
                    context.clear();
                    if !found.iter().any(|&(fa, fs, _, _)| self.same_section((fa, fs), (a, s))) {
                        found.push((a, s, coverage, specific));
                    }
                }
                None => context = format!("{context} {ask}").trim().to_owned(),
            }
        }
        found
            .into_iter()
            .map(|(a, s, coverage, specific)| Answer { specific, ..self.answer_at(a, s, locale, coverage) })
            .collect()
    }

    /// The section for one ask: within `only_slug`, or in `prefer` unless another article
    /// clearly answers better, or anywhere.
    fn hit(&self, ask: &str, only_slug: Option<&str>, prefer: Option<&str>, min_coverage: f32) -> Option<Hit> {
        let in_article = MIN_COVERAGE_IN_ARTICLE.min(min_coverage);
        match (only_slug, prefer) {
            (Some(slug), _) => self.best_in(ask, Some(slug), in_article),
            (None, Some(slug)) => {
                let preferred = self.best_in(ask, Some(slug), in_article);
                let anywhere = self.best_in(ask, None, min_coverage);
                let kinds = kinds::asked(ask);
                let gives = |hit: &Hit| self.gives(hit.0, hit.1, &kinds);
                match (preferred, anywhere) {
                    // "fee?" after the return policy: its fee, not the gift-wrapping prices.
                    (Some(p), Some(a)) if gives(&p) && (!gives(&a) || tokens(ask).len() <= SHORT_ASK) => Some(p),
                    // Clearly better elsewhere: "and can I pay with PayPal?" after shipping abroad.
                    (Some(p), Some(a)) if a.2 > p.2 + 0.2 && a.3 > 0 => Some(a),
                    (Some(p), _) => Some(p),
                    (None, a) => a,
                }
            }
            (None, None) => self.best_in(ask, None, min_coverage),
        }
    }

    fn gives(&self, a: usize, s: usize, kinds: &[kinds::Kind]) -> bool {
        !kinds.is_empty() && kinds::gives(&self.articles[a].sections[s].text, kinds)
    }

    fn same_section(&self, x: (usize, usize), y: (usize, usize)) -> bool {
        x.1 == y.1 && self.articles[x.0].slug == self.articles[y.0].slug
    }

    /// The best (article, section) for one ask: the article of the best passage covering
    /// `min_coverage`, then the section of that article the ask's own words point to.
    fn best_in(&self, ask: &str, only_slug: Option<&str>, min_coverage: f32) -> Option<Hit> {
        let kinds = kinds::asked(ask);
        let candidates: Vec<(usize, f32)> = self
            .search(ask)
            .into_iter()
            .filter(|(doc, _)| only_slug.is_none_or(|slug| self.articles[self.passages[*doc].0].slug == slug))
            .filter(|(_, coverage)| *coverage >= min_coverage)
            .collect();
        // The best passage, or one nearly as good that gives the kind of answer asked for when
        // it does not: "오늘 주문하면 언제 받아요?" wants the delivery times, not the fee per order.
        let gives_kind = |doc: usize| {
            let (a, s) = self.passages[doc];
            self.gives(a, s, &kinds)
        };
        let found = candidates.first().copied().map(|(top, top_coverage)| {
            if kinds.is_empty() || gives_kind(top) {
                return (top, top_coverage);
            }
            candidates
                .iter()
                .copied()
                .find(|&(doc, coverage)| coverage + NEARLY >= top_coverage && gives_kind(doc))
                .unwrap_or((top, top_coverage))
        });
        let Some((doc, coverage)) = found else {
            // Within the article in question, a short ask for a kind of answer ("fee?", "며칠
            // 걸려요?") is answered by the section that gives it.
            let slug = only_slug.filter(|_| !kinds.is_empty() && tokens(ask).len() <= SHORT_ASK)?;
            let (a, s) = self
                .passages
                .iter()
                .copied()
                .find(|&(a, s)| self.articles[a].slug == slug && self.gives(a, s, &kinds))?;
            return Some((a, s, 0.0, 1));
        };
        let (a, best) = self.passages[doc];
        let article = &self.articles[a];
        let terms = index::alternatives(ask, &self.synonyms);
        let title: HashSet<String> = tokens(&article.title).into_iter().collect();
        // The words that ask for a kind of answer ("며칠 안에") count through the kind, not as
        // words of the section.
        let cue_tokens: HashSet<String> = kinds::cue_words(ask).into_iter().flat_map(tokens).collect();
        let specific = |section: &Section| {
            let own: HashSet<String> =
                tokens(&format!("{} {}", section.heading.as_deref().unwrap_or_default(), section.text))
                    .into_iter()
                    .filter(|t| !title.contains(t))
                    .collect();
            // A word of the title names the topic, and so do its synonyms: "반품" does not make
            // the refund section specific through "환불".
            terms
                .iter()
                .filter(|t| !title.contains(&t.token) && !cue_tokens.contains(&t.token))
                .filter(|t| own.contains(&t.token) || t.alternatives.iter().any(|a| a.iter().all(|x| own.contains(x))))
                .count()
        };
        // The ask's words in each section's heading, the title's included: "무료배송 기준" names
        // the section "무료배송 기준" of the article "배송비와 무료배송 기준".
        let in_heading = |section: &Section| {
            let heading: HashSet<String> = tokens(section.heading.as_deref().unwrap_or_default()).into_iter().collect();
            terms.iter().filter(|t| heading.contains(&t.token)).count()
        };
        // A section that gives the kind of answer asked for (an amount, a time) is specific even
        // when the ask names nothing else of it, and beats one that only shares a word.
        let gives = |section: &Section| usize::from(!kinds.is_empty() && kinds::gives(&section.text, &kinds));
        let scores: Vec<(usize, usize, usize)> = article
            .sections
            .iter()
            .map(|s| (specific(s), in_heading(s), gives(s)))
            .map(|(s, h, g)| (s.max(h) + 2 * g, s + g, s.max(h)))
            .collect();
        let top = scores.iter().map(|s| s.0).max().unwrap_or(0);
        // Only the kind of answer tells the sections apart ("며칠 안에 해야 돼요?"): the first that
        // gives it, as an article states its main rule first.
        let kind_only = top > 0 && scores.iter().all(|s| s.2 == 0);
        let section = if top == 0 {
            0
        } else if kind_only {
            scores.iter().position(|s| s.0 == top).unwrap_or(best)
        } else if scores[best].0 == top {
            best
        } else {
            scores.iter().position(|s| s.0 == top).unwrap_or(best)
        };
        Some((a, section, coverage, scores[section].1))
    }

    /// Whether `question` asks only for a kind of answer (a time, an amount, a place) and names no
    /// topic of any article: "며칠 안에 해야 돼요?" is about whatever the conversation is about.
    pub fn asks_only_kind(&self, question: &str) -> bool {
        if kinds::asked(question).is_empty() {
            return false;
        }
        let cue_tokens: HashSet<String> = kinds::cue_words(question).into_iter().flat_map(tokens).collect();
        let topics = &self.topics;
        let terms = index::alternatives(question, &self.synonyms);
        terms
            .iter()
            .filter(|t| !cue_tokens.contains(&t.token))
            .all(|t| !topics.contains(&t.token) && !t.alternatives.iter().any(|a| a.iter().all(|x| topics.contains(x))))
    }

    /// How many articles there are.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// The section of the article `slug` with this heading (in any of its languages), given in
    /// `locale` when the article exists in it.
    pub fn section(&self, slug: &str, heading: &str, locale: Locale) -> Option<Answer> {
        self.articles.iter().enumerate().filter(|(_, a)| a.slug == slug).find_map(|(a, article)| {
            let s = article.sections.iter().position(|s| s.heading.as_deref() == Some(heading))?;
            Some(self.answer_at(a, s, locale, 0.0))
        })
    }

    /// The first section of the article `slug`, in `locale` when it exists in it.
    pub fn first_section(&self, slug: &str, locale: Locale) -> Option<Answer> {
        let a = self
            .articles
            .iter()
            .position(|a| a.slug == slug && a.locale == locale)
            .or_else(|| self.articles.iter().position(|a| a.slug == slug))?;
        let article = &self.articles[a];
        let section = article.sections.first()?;
        Some(Answer {
            slug: article.slug.clone(),
            title: article.title.clone(),
            heading: section.heading.clone(),
            text: section.text.clone(),
            coverage: 0.0,
            specific: 0,
        })
    }

    /// The same section of the article's version in `locale`, when there is one.
    fn translated(&self, a: usize, s: usize, locale: Locale) -> (usize, usize) {
        let article = &self.articles[a];
        if article.locale == locale {
            return (a, s);
        }
        self.articles
            .iter()
            .position(|other| other.slug == article.slug && other.locale == locale && other.sections.len() > s)
            .map_or((a, s), |other| (other, s))
    }
}

/// Reads the synonym groups; a missing file is none.
fn read_synonyms(path: &Path) -> Result<Vec<Vec<String>>, KnowledgeError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(KnowledgeError { path: path.to_owned(), line: 0, message: e.to_string() }),
    };
    let file: SynonymsFile = toml::from_str(&text).map_err(|e| KnowledgeError {
        path: path.to_owned(),
        line: e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(0),
        message: e.message().to_owned(),
    })?;
    Ok(file.groups.into_iter().map(|g| g.into_iter().map(|w| w.trim().to_lowercase()).collect()).collect())
}

/// The asks of a question: its sentences, and the clauses joined by "그리고", "and also", a
/// comma or a question mark, each with enough words to be a question of its own.
pub fn asks(question: &str) -> Vec<String> {
    let mut parts = vec![question.to_owned()];
    for separator in ["?", "？", "!", "\n", ". ", "그리고", " and also ", " also ", ", and ", ",", "고요", "구요"]
    {
        parts = parts.iter().flat_map(|p| p.split(separator).map(str::to_owned).collect::<Vec<_>>()).collect();
    }
    // Korean joins two questions with a clause ending: "배송비 얼마고 얼마 이상이면 무료예요".
    let parts: Vec<String> = parts.iter().flat_map(|p| split_clauses(p)).collect();
    let parts: Vec<String> = parts.into_iter().map(|p| p.trim().to_owned()).filter(|p| !tokens(p).is_empty()).collect();
    if parts.is_empty() { vec![question.to_owned()] } else { parts }
}

/// A Korean sentence split after words that end a clause (`얼마고`, `되는데`), each piece keeping
/// at least one word of its own before and after.
fn split_clauses(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        current.push(word);
        let ends = ["고", "는데", "은데", "인데"].iter().any(|e| word.ends_with(e)) && word.chars().count() >= 2;
        if ends && i + 1 < words.len() {
            out.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Reads one article; errors carry the 1-based line.
fn parse(slug: &str, locale: Locale, text: &str) -> Result<Article, (usize, String)> {
    let mut title = None;
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section { heading: None, text: String::new() };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(heading) = line.strip_prefix("# ") {
            if title.is_some() {
                return Err((n + 1, "only one `# ` title per article; use `## ` for sections".into()));
            }
            title = Some(heading.trim().to_owned());
        } else if let Some(heading) = line.strip_prefix("## ") {
            if !current.text.is_empty() {
                sections.push(std::mem::replace(&mut current, Section { heading: None, text: String::new() }));
            }
            current.heading = Some(heading.trim().to_owned());
        } else if !line.is_empty() {
            if title.is_none() {
                return Err((n + 1, "an article starts with its `# Title`".into()));
            }
            if !current.text.is_empty() {
                current.text.push(' ');
            }
            current.text.push_str(line);
        }
    }
    if !current.text.is_empty() {
        sections.push(current);
    }
    let title = title.ok_or((1, "an article starts with its `# Title`".to_owned()))?;
    if sections.is_empty() {
        return Err((text.lines().count().max(1), "the article has no text".into()));
    }
    Ok(Article { slug: slug.to_owned(), locale, title, sections })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Knowledge {
        Knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/knowledge")).unwrap()
    }

    #[test]
    #[ignore = "prints what a question finds; run with --ignored --nocapture Q=..."]
    fn show() {
        let k = demo();
        let q = std::env::var("Q").unwrap_or_default();
        let locale = Locale::detect(&q, Locale::Ko);
        for (doc, coverage) in k.search(&q).into_iter().take(6) {
            let (a, s) = k.passages[doc];
            println!("{coverage:.2} {} / {:?}", k.articles[a].slug, k.articles[a].sections[s].heading);
        }
        let bar = std::env::var("BAR").ok().and_then(|b| b.parse().ok()).unwrap_or(MIN_COVERAGE);
        println!("{:?}", asks(&q));
        let prefer = std::env::var("PREFER").ok();
        let only = std::env::var("ONLY").ok();
        println!("{:#?}", k.sections_above(&q, locale, only.as_deref(), prefer.as_deref(), bar));
    }

    #[test]
    fn a_question_for_a_kind_of_answer_alone_names_no_topic() {
        let k = demo();
        assert!(k.asks_only_kind("며칠 안에 해야 돼요?"));
        assert!(k.asks_only_kind("how long do I have?"));
        assert!(!k.asks_only_kind("배송비 얼마예요?"));
        assert!(!k.asks_only_kind("how much is gift wrapping?"));
        assert!(!k.asks_only_kind("선물 포장 되나요?"));
    }

    #[test]
    fn the_demo_articles_load_in_both_languages() {
        let k = demo();
        assert_eq!(k.len(), 16);
        for slug in ["shipping-fees", "delivery-times", "payment-methods", "points-membership", "return-policy"] {
            for locale in [Locale::Ko, Locale::En] {
                assert!(k.articles.iter().any(|a| a.slug == slug && a.locale == locale), "{slug} {locale:?}");
            }
        }
    }

    #[test]
    fn questions_find_their_passage_in_the_customers_language() {
        let k = demo();
        let cases = [
            ("배송비 얼마예요?", Locale::Ko, "shipping-fees"),
            ("무료배송은 얼마 이상부터예요", Locale::Ko, "shipping-fees"),
            ("how much is shipping", Locale::En, "shipping-fees"),
            ("카카오페이로 결제 돼요?", Locale::Ko, "payment-methods"),
            ("do you accept paypal", Locale::En, "payment-methods"),
            ("적립금 유효기간이 어떻게 되나요", Locale::Ko, "points-membership"),
            ("선물포장 가능한가요", Locale::Ko, "gift-wrapping"),
            ("do you ship to canada?", Locale::En, "international-shipping"),
            ("반품 배송비는 누가 내요?", Locale::Ko, "return-policy"),
            ("주말에도 배송하나요", Locale::Ko, "delivery-times"),
        ];
        for (question, locale, slug) in cases {
            let answer = k
                .sections(question, locale, None, None)
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("no answer to {question}"));
            assert_eq!(answer.slug, slug, "{question}: {answer:?}");
            assert_eq!(Locale::detect(&answer.text, Locale::En), locale, "{question}: {answer:?}");
        }
    }

    #[test]
    fn the_section_that_answers_the_question() {
        let k = demo();
        let cases = [
            ("배송비 얼마예요?", Locale::Ko, "3,000원"),
            ("무료배송 기준이 어떻게 되나요?", Locale::Ko, "50,000원"),
            ("선물 포장 되나요?", Locale::Ko, "2,000원"),
            ("결제 수단 뭐 있어요?", Locale::Ko, "카카오페이"),
            ("Do you ship abroad?", Locale::En, "EMS"),
            ("do you ship to canada?", Locale::En, "Canada"),
            ("도서산간은 추가 배송비 있어요?", Locale::Ko, "추가 배송비 3,000원"),
            ("관세는 누가 내요?", Locale::Ko, "받으시는 분"),
            ("what about customs?", Locale::En, "recipient"),
            ("can I pay in installments", Locale::En, "interest-free"),
            ("적립금은 언제까지 써야 돼요?", Locale::Ko, "1년"),
            ("gift wrapping?", Locale::En, "₩2,000"),
        ];
        for (question, locale, fact) in cases {
            let found = k.sections(question, locale, None, None);
            let text: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
            assert!(text.join(" ").contains(fact), "{question}: {found:?}");
        }
        let both = k.sections("배송비 얼마예요? 얼마 이상 사면 무료?", Locale::Ko, None, None);
        let text: Vec<&str> = both.iter().map(|s| s.text.as_str()).collect();
        assert!(text.join(" ").contains("3,000원") && text.join(" ").contains("50,000원"), "{both:?}");
    }

    #[test]
    fn unrelated_questions_find_nothing() {
        let k = demo();
        for question in ["오늘 날씨 어때?", "write me a poem about cats", "비트코인 시세 알려줘", "who won the game"]
        {
            assert_eq!(k.sections(question, Locale::Ko, None, None), Vec::new(), "{question}");
        }
    }

    #[test]
    fn broken_articles_name_the_line() {
        assert_eq!(parse("x", Locale::Ko, "text before a title").unwrap_err().0, 1);
        assert_eq!(parse("x", Locale::Ko, "# A\n\n# B\n").unwrap_err().0, 3);
        assert!(parse("x", Locale::Ko, "# Only a title\n").is_err());
        let article = parse("x", Locale::En, "# T\nintro\n## One\nfirst\nline\n## Two\nsecond\n").unwrap();
        assert_eq!(article.sections.len(), 3);
        assert_eq!(article.sections[1].text, "first line");
    }
}
