//! BM25 over tokens that work for Korean and English alike.
//!
//! Korean runs become syllable bigrams, so particles and missing spaces matter little ("배송비는"
//! and "배송비" share "배송" and "송비"); English runs become lower-cased words with stop words
//! dropped and a plural `s` trimmed. Next to the BM25 score, a search reports how much of the
//! question's weight a passage covers: the share that decides whether it answers at all.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::locale::is_hangul;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// English words that carry no topic.
const STOP_WORDS: &[&str] = &[
    "a", "about", "again", "also", "am", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "do",
    "does", "even", "for", "from", "im", "it's", "like", "now", "right", "so", "still", "then", "too", "well", "one",
    "ones", "anyway", "was", "were", "they", "them", "those", "these", "aw", "oh", "get", "have", "hello", "hi", "how",
    "i", "if", "in", "is", "it", "just", "know", "like", "long", "many", "me", "much", "my", "need", "of", "ok", "on",
    "or", "our", "please", "really", "should", "take", "tell", "thank", "thanks", "that", "the", "there", "this", "to",
    "us", "want", "we", "what", "when", "where", "which", "will", "with", "would", "you", "your",
];

/// Korean syllable pairs that are endings or filler, not topics.
const STOP_PAIRS: &[&str] = &[
    "예요", "에요", "나요", "까요", "해요", "어요", "아요", "세요", "니다", "습니", "는데", "은데", "가요", "되나",
    "하나", "할까", "인가", "건가", "려면", "하려", "해주", "주세", "알려", "려주", "궁금", "금해", "는지", "은지",
    "인지", "있나", "있어", "없어", "어떻", "떻게", "되요", "돼요", "하고", "싶어", "은요", "는요", "이요", "나여",
    "되는", "하는", "하면", "으면", "인데", "합니", "입니", "됩니", "있습", "없습", "드립", "립니",
];

/// Amounts of money as customers and articles write them: `50,000원`, `₩50,000`, `5만원`,
/// `2만5천원`, `3천원`, `50k`, `50,000 won`.
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"₩\s?(?P<w>[0-9][0-9,]*)",
        r"|(?P<m>[0-9]+)\s?만\s?(?:(?P<mc>[0-9])\s?천)?\s?원?",
        r"|(?P<c>[0-9]+)\s?천\s?원",
        r"|(?P<n>[0-9][0-9,]*)\s?(?:원|won\b|krw\b)",
        r"|\b(?P<k>[0-9]+)k\b",
    ))
    .expect("the money pattern compiles")
});

/// `text` with every amount of money written as one token, `krw` and the amount in won, so
/// "5만원 넘으면" meets "50,000원 이상".
fn amounts(text: &str) -> std::borrow::Cow<'_, str> {
    MONEY.replace_all(text, |caps: &regex::Captures<'_>| {
        let number = |name: &str| caps.name(name).and_then(|m| m.as_str().replace(',', "").parse::<u64>().ok());
        let won = number("w")
            .or_else(|| number("m").map(|m| m * 10_000 + number("mc").unwrap_or(0) * 1_000))
            .or_else(|| number("c").map(|c| c * 1_000))
            .or_else(|| number("n"))
            .or_else(|| number("k").map(|k| k * 1_000));
        match won {
            Some(won) => format!(" krw{won} "),
            None => caps[0].to_owned(),
        }
    })
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = amounts(&text.to_lowercase()).into_owned();
    let mut out = Vec::new();
    let mut run = String::new();
    let mut run_is_hangul = false;
    for c in lower.chars().chain(std::iter::once(' ')) {
        let hangul = ('\u{AC00}'..='\u{D7A3}').contains(&c);
        let word = c.is_alphanumeric() && !is_hangul(c);
        if (hangul || word) && (run.is_empty() || hangul == run_is_hangul) {
            run.push(c);
            run_is_hangul = hangul;
            continue;
        }
        flush(&mut run, run_is_hangul, &mut out);
        if hangul || word {
            run.push(c);
            run_is_hangul = hangul;
        }
    }
    out
}

/// Particles and endings trimmed off the end of a Korean word, longest first.
const ENDINGS: &[&str] = &[
    "해주세요",
    "입니다",
    "습니다",
    "인가요",
    "이에요",
    "에서는",
    "으로는",
    "까지는",
    "부터는",
    "주세요",
    "예요",
    "에요",
    "나요",
    "까요",
    "해요",
    "세요",
    "어요",
    "아요",
    "는데",
    "은데",
    "으로",
    "에서",
    "부터",
    "까지",
    "이나",
    "이랑",
    "하고",
    "처럼",
    "보다",
    "인가",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "에",
    "의",
    "도",
    "로",
    "와",
    "과",
    "요",
    "랑",
];

/// A Korean word without up to two trailing particles or endings, keeping at least two syllables.
fn stem(word: &str) -> &str {
    let mut word = word;
    for _ in 0..2 {
        let trimmed =
            ENDINGS.iter().filter_map(|ending| word.strip_suffix(ending)).find(|rest| rest.chars().count() >= 2);
        match trimmed {
            Some(rest) => word = rest,
            None => break,
        }
    }
    word
}

fn flush(run: &mut String, hangul: bool, out: &mut Vec<String>) {
    if run.is_empty() {
        return;
    }
    if hangul {
        let syllables: Vec<char> = stem(run).chars().collect();
        if syllables.len() == 1 {
            out.push(run.clone());
        }
        for pair in syllables.windows(2) {
            let pair: String = pair.iter().collect();
            if !STOP_PAIRS.contains(&pair.as_str()) {
                out.push(pair);
            }
        }
    } else if !STOP_WORDS.contains(&run.as_str()) && (run.len() > 1 || run.chars().all(|c| c.is_ascii_digit())) {
        out.push(english_stem(run).to_owned());
    }
    run.clear();
}

/// An English word without a plural `s` or an `-ing`/`-ed` ending ("shipping" and "shipped" are
/// "ship"), keeping at least three letters.
fn english_stem(word: &str) -> &str {
    let consonant = |c: u8| !b"aeiou".contains(&c);
    for suffix in ["ing", "ed"] {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.len() >= 3
            && stem.bytes().any(|c| !consonant(c))
        {
            let bytes = stem.as_bytes();
            let n = bytes.len();
            let doubled = n >= 4
                && bytes[n - 1] == bytes[n - 2]
                && consonant(bytes[n - 1])
                && bytes[n - 1] != b'l'
                && bytes[n - 1] != b's';
            return if doubled { &stem[..n - 1] } else { stem };
        }
    }
    match word.strip_suffix('s') {
        Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem,
        _ => word,
    }
}

/// An inverted index of documents.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// Term → (document, frequency).
    postings: HashMap<String, Vec<(usize, f32)>>,
    lengths: Vec<f32>,
    average_length: f32,
}

impl Index {
    pub(super) fn build(docs: &[String]) -> Self {
        let mut postings: HashMap<String, Vec<(usize, f32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        for (d, doc) in docs.iter().enumerate() {
            let terms = tokens(doc);
            lengths.push(terms.len() as f32);
            let mut counts: HashMap<String, f32> = HashMap::new();
            for term in terms {
                *counts.entry(term).or_default() += 1.0;
            }
            for (term, count) in counts {
                postings.entry(term).or_default().push((d, count));
            }
        }
        let average_length = lengths.iter().sum::<f32>() / lengths.len().max(1) as f32;
        Self { postings, lengths, average_length }
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.lengths.len() as f32;
        (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln()
    }

    /// Documents matching the query terms, best BM25 score first, each with the share of the
    /// query's weight it covers. A term may be met by any of its alternatives, each a list of
    /// tokens that must all be in the document (a synonym of several syllables): the document
    /// counts the best, and the term weighs what it weighs itself. Words the index has never seen
    /// count as much as its rarest word (half for Korean pairs): an off-topic question is mostly
    /// such words.
    pub(super) fn search_terms(&self, terms: &[Term]) -> Vec<(usize, f32)> {
        let rarest = self.idf(1);
        let mut scores: HashMap<usize, (f32, f32)> = HashMap::new();
        let mut total = 0.0;
        for term in terms {
            let Some(postings) = self.postings.get(&term.token) else {
                if term.alternatives.is_empty() {
                    // An unseen Korean pair is often what is left of an ending; an unseen English
                    // word is a topic the articles don't have.
                    let korean = term.token.chars().next().is_some_and(is_hangul);
                    total += if korean { 0.5 * rarest } else { rarest };
                    continue;
                }
                total += rarest;
                self.add_alternatives(term, rarest, &mut scores);
                continue;
            };
            let weight = self.idf(postings.len());
            total += weight;
            let mut best: HashMap<usize, f32> =
                postings.iter().map(|&(doc, tf)| (doc, self.bm25(weight, tf, doc))).collect();
            for (doc, score) in self.alternative_scores(term) {
                let entry = best.entry(doc).or_default();
                *entry = entry.max(score);
            }
            for (doc, score) in best {
                let entry = scores.entry(doc).or_default();
                entry.0 += score;
                entry.1 += weight;
            }
        }
        let mut ranked: Vec<(usize, f32, f32)> =
            scores.into_iter().map(|(doc, (score, covered))| (doc, score, covered / total.max(f32::EPSILON))).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().map(|(doc, _, coverage)| (doc, coverage)).collect()
    }

    fn bm25(&self, idf: f32, tf: f32, doc: usize) -> f32 {
        let norm = tf + K1 * (1.0 - B + B * self.lengths[doc] / self.average_length.max(1.0));
        idf * tf * (K1 + 1.0) / norm
    }

    /// Per document, the best score of an alternative whose tokens are all in it.
    fn alternative_scores(&self, term: &Term) -> HashMap<usize, f32> {
        let mut best: HashMap<usize, f32> = HashMap::new();
        for tokens in &term.alternatives {
            let lists: Option<Vec<&Vec<(usize, f32)>>> = tokens.iter().map(|t| self.postings.get(t)).collect();
            let Some(lists) = lists else { continue };
            let Some((first, rest)) = lists.split_first() else { continue };
            for &(doc, _) in first.iter() {
                if !rest.iter().all(|l| l.iter().any(|&(d, _)| d == doc)) {
                    continue;
                }
                let score = lists
                    .iter()
                    .map(|l| {
                        let tf = l.iter().find(|&&(d, _)| d == doc).map_or(0.0, |&(_, tf)| tf);
                        self.bm25(self.idf(l.len()), tf, doc)
                    })
                    .sum::<f32>()
                    / lists.len() as f32;
                let entry = best.entry(doc).or_default();
                *entry = entry.max(score);
            }
        }
        best
    }

    fn add_alternatives(&self, term: &Term, weight: f32, scores: &mut HashMap<usize, (f32, f32)>) {
        for (doc, score) in self.alternative_scores(term) {
            let entry = scores.entry(doc).or_default();
            entry.0 += score;
            entry.1 += weight;
        }
    }
}

/// One token of a question and what else may stand for it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Term {
    /// The token.
    pub token: String,
    /// Synonyms, each as its tokens (all of which a document must have).
    pub alternatives: Vec<Vec<String>>,
}

/// The terms of `query`, each with the synonyms that may stand for it: the other words of every
/// synonym group one of whose words the query contains, in the same script (every article exists
/// in both languages, and an English synonym would let English passages answer Korean).
pub(super) fn alternatives(query: &str, synonyms: &[Vec<String>]) -> Vec<Term> {
    let mut terms: Vec<Term> = Vec::new();
    for token in tokens(query) {
        if !terms.iter().any(|t| t.token == token) {
            terms.push(Term { token, alternatives: Vec::new() });
        }
    }
    let lower = query.to_lowercase();
    for group in synonyms {
        for word in group.iter().filter(|w| lower.contains(w.as_str())) {
            let korean = word.chars().any(is_hangul);
            let others: Vec<Vec<String>> = group
                .iter()
                .filter(|w| *w != word && w.chars().any(is_hangul) == korean)
                .map(|w| tokens(w))
                .filter(|t| !t.is_empty())
                .collect();
            for own in tokens(word) {
                if let Some(term) = terms.iter_mut().find(|t| t.token == own) {
                    for other in &others {
                        if !term.alternatives.contains(other) {
                            term.alternatives.push(other.clone());
                        }
                    }
                }
            }
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_becomes_syllable_pairs_and_english_words() {
        assert_eq!(tokens("배송비는 얼마예요?"), ["배송", "송비", "얼마"]);
        assert_eq!(tokens("무료배송은 이상부터예요"), ["무료", "료배", "배송", "이상"]);
        assert_eq!(tokens("How much is Shipping to Canada"), ["ship", "canada"]);
        assert_eq!(tokens("shipped wrapping items"), ["ship", "wrap", "item"]);
        assert_eq!(tokens("gift boxes 선물"), ["gift", "boxe", "선물"]);
        assert_eq!(tokens("주문 1001번"), ["주문", "1001", "번"]);
        assert_eq!(tokens("5만원 넘으면"), ["krw50000", "넘으"]);
        assert_eq!(tokens("50,000원 이상"), ["krw50000", "이상"]);
        assert_eq!(tokens("over ₩50,000 or 50k"), ["over", "krw50000", "krw50000"]);
        assert_eq!(tokens("2만5천원"), ["krw25000"]);
    }
}
