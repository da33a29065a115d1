//! Knowledge articles: what the `faq` and `business_hours` skills answer from.
//!
//! Articles are Markdown files, one language each (`<slug>.ko.md`, `<slug>.en.md`): a `# Title`
//! and `## Section` headings over paragraphs. Every section is a passage. Retrieval is BM25 over
//! tokens that suit both languages ([`tokens`]); an answer is the best passage and its title, and
//! only when the passage covers enough of what was asked, so an unrelated question finds nothing
//! rather than a random paragraph.

mod index;

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use crate::locale::Locale;
use index::Index;
pub use index::tokens;

/// Share of the question's weight a passage must cover to be an answer.
pub const MIN_COVERAGE: f32 = 0.45;

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
        Ok(Self::from_articles(articles))
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
        Self { articles, passages, index }
    }

    /// How many articles there are.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// The best passage for `question`, in `locale` when the article exists in it; `None` when no
    /// passage covers enough of the question. `only_slug` restricts the search to one article.
    pub fn answer(&self, question: &str, locale: Locale, only_slug: Option<&str>) -> Option<Answer> {
        let ranked = self.index.search(question);
        let (doc, coverage) = ranked
            .into_iter()
            .filter(|(doc, _)| only_slug.is_none_or(|slug| self.articles[self.passages[*doc].0].slug == slug))
            .find(|(_, coverage)| *coverage >= MIN_COVERAGE)?;
        let (a, s) = self.passages[doc];
        let (a, s) = self.translated(a, s, locale);
        let (article, section) = (&self.articles[a], &self.articles[a].sections[s]);
        Some(Answer {
            slug: article.slug.clone(),
            title: article.title.clone(),
            heading: section.heading.clone(),
            text: section.text.clone(),
            coverage,
        })
    }

    /// Up to `limit` passages that answer `question`, best first, each in `locale` when its
    /// article exists in it.
    pub fn passages(&self, question: &str, locale: Locale, limit: usize) -> Vec<Answer> {
        let mut out: Vec<Answer> = Vec::new();
        for (doc, coverage) in self.index.search(question) {
            if out.len() >= limit || coverage < MIN_COVERAGE {
                continue;
            }
            let (a, s) = self.passages[doc];
            let (a, s) = self.translated(a, s, locale);
            let (article, section) = (&self.articles[a], &self.articles[a].sections[s]);
            if out.iter().any(|o| o.slug == article.slug && o.heading == section.heading) {
                continue;
            }
            out.push(Answer {
                slug: article.slug.clone(),
                title: article.title.clone(),
                heading: section.heading.clone(),
                text: section.text.clone(),
                coverage,
            });
        }
        out
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
            let answer = k.answer(question, locale, None).unwrap_or_else(|| panic!("no answer to {question}"));
            assert_eq!(answer.slug, slug, "{question}: {answer:?}");
            assert_eq!(Locale::detect(&answer.text, Locale::En), locale, "{question}: {answer:?}");
        }
    }

    #[test]
    fn unrelated_questions_find_nothing() {
        let k = demo();
        for question in ["오늘 날씨 어때?", "write me a poem about cats", "비트코인 시세 알려줘", "who won the game"]
        {
            assert_eq!(k.answer(question, Locale::Ko, None), None, "{question}");
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
