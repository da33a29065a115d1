//! Ranking products against what a customer typed, in Korean or English.
//!
//! Korean writes particles onto the noun (`크림을`, `선물로`) and often runs nouns together
//! (`겨울선물`), so words cannot be compared whole. A query is split on spaces and punctuation,
//! common particles are cut from the end of each word, filler words (`추천해주세요`, `please`) are
//! dropped, and each remaining term is matched as a substring: the term inside a name or tag
//! (`크림` in `핸드크림`), or a tag inside the term (`선물` and `겨울` in `겨울선물`). A name
//! match weighs as much as an exact tag and more than a partial one; every matching tag counts, so
//! a product tagged both `겨울` and `선물` beats one tagged only `선물`. Ties go to products in
//! stock, then to catalogue order. Good enough for a catalogue of hundreds; a store with real
//! search of its own should use that instead.

use super::model::Product;

/// Particles cut from the end of a Korean word, longest first so `으로` wins over `로`.
const PARTICLES: &[&str] = &[
    "에서는",
    "으로는",
    "이랑",
    "에서",
    "에게",
    "한테",
    "까지",
    "부터",
    "으로",
    "처럼",
    "보다",
    "하고",
    "이나",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "에",
    "로",
    "도",
    "좀",
];

/// Words that say nothing about the product.
const FILLER: &[&str] = &[
    "추천",
    "추천해",
    "추천해줘",
    "추천해주세요",
    "추천좀",
    "주세요",
    "해주세요",
    "있어요",
    "있나요",
    "있을까요",
    "뭐",
    "뭐가",
    "뭘",
    "어떤",
    "좋은",
    "좋을까요",
    "괜찮은",
    "상품",
    "제품",
    "찾아요",
    "찾고",
    "싶어요",
    "요",
    "거",
    "것",
    "a",
    "an",
    "the",
    "for",
    "me",
    "my",
    "i",
    "i'm",
    "im",
    "you",
    "your",
    "to",
    "of",
    "and",
    "or",
    "with",
    "in",
    "is",
    "are",
    "do",
    "have",
    "any",
    "some",
    "looking",
    "want",
    "need",
    "please",
    "can",
    "recommend",
    "what",
];

/// Terms of a query: lower-cased words with particles cut and filler dropped, each once.
pub fn query_terms(query: &str) -> Vec<String> {
    let lowered = query.to_lowercase();
    let mut terms: Vec<String> = Vec::new();
    for word in lowered.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-')) {
        let word = word.trim_matches(|c| c == '\'' || c == '-');
        if word.is_empty() || FILLER.contains(&word) {
            continue;
        }
        let term = strip_particle(word);
        if FILLER.contains(&term) || (!is_hangul(term) && term.chars().count() < 2) {
            continue;
        }
        if !terms.iter().any(|t| t == term) {
            terms.push(term.to_owned());
        }
    }
    terms
}

/// The word without a trailing particle, when what is left is still a word.
fn strip_particle(word: &str) -> &str {
    if !is_hangul(word) {
        return word;
    }
    PARTICLES.iter().find_map(|particle| word.strip_suffix(particle).filter(|stem| !stem.is_empty())).unwrap_or(word)
}

fn is_hangul(word: &str) -> bool {
    word.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// How well a product matches the terms: `(score, terms matched)`; `(0, 0)` for no match.
fn score(product: &Product, terms: &[String]) -> (u32, u32) {
    let names = [product.name_ko.to_lowercase(), product.name_en.to_lowercase()];
    let tags: Vec<String> = product.tags.iter().map(|t| t.to_lowercase()).collect();
    let mut total = 0;
    let mut matched = 0;
    for term in terms {
        let in_name = names.iter().any(|name| name.contains(term.as_str()));
        let tag_score = tags
            .iter()
            .map(|tag| {
                if tag == term {
                    3
                } else if tag.contains(term.as_str()) || (long_enough(tag) && term.contains(tag.as_str())) {
                    2
                } else {
                    0
                }
            })
            .sum::<u32>();
        let term_score = if in_name { 3 } else { 0 } + tag_score;
        if term_score > 0 {
            total += term_score;
            matched += 1;
        }
    }
    (total, matched)
}

/// A tag may be found inside a longer word only when it is specific enough: two Hangul syllables
/// (`선물` in `선물용`) or three letters (`gift` in `gifts`, but not `uv` in anything).
fn long_enough(tag: &str) -> bool {
    let length = tag.chars().count();
    if is_hangul(tag) { length >= 2 } else { length >= 3 }
}

/// The products matching `query`, best first, at most `limit`; empty when nothing matches.
pub fn rank(products: impl IntoIterator<Item = Product>, query: &str, limit: usize) -> Vec<Product> {
    let terms = query_terms(query);
    if terms.is_empty() || limit == 0 {
        return Vec::new();
    }
    let mut scored: Vec<((u32, u32), Product)> = products
        .into_iter()
        .map(|product| (score(&product, &terms), product))
        .filter(|((score, _), _)| *score > 0)
        .collect();
    // A stable sort keeps catalogue order among equals.
    scored.sort_by(|(a, pa), (b, pb)| b.cmp(a).then(pb.in_stock.cmp(&pa.in_stock)));
    scored.into_iter().take(limit).map(|(_, product)| product).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::money::Money;

    fn product(id: &str, name_ko: &str, name_en: &str, tags: &[&str], in_stock: bool) -> Product {
        Product {
            id: id.into(),
            name_ko: name_ko.into(),
            name_en: name_en.into(),
            price: Money::from_minor(10000, "KRW").expect("money"),
            url: None,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            in_stock,
        }
    }

    fn catalogue() -> Vec<Product> {
        vec![
            product("cream", "수분 크림", "Hydrating Cream", &["보습", "moisturizing", "겨울", "winter"], true),
            product("hand", "핸드크림 세트", "Hand Cream Set", &["선물", "gift", "겨울", "winter"], true),
            product("set", "기념일 세트", "Anniversary Set", &["선물", "gift"], false),
            product("gloves", "니트 장갑", "Knit Gloves", &["선물", "gift", "겨울", "winter"], true),
            product("sun", "선크림", "Sunscreen", &["uv", "여름", "summer"], true),
        ]
    }

    fn ids(query: &str) -> Vec<String> {
        rank(catalogue(), query, 10).into_iter().map(|p| p.id).collect()
    }

    #[test]
    fn terms_drop_particles_and_filler() {
        assert_eq!(query_terms("보습크림을 추천해주세요"), ["보습크림"]);
        assert_eq!(query_terms("선물용으로 뭐가 좋을까요?"), ["선물용"]);
        assert_eq!(query_terms("겨울에 선물로 좋은 거 있어요?"), ["겨울", "선물"]);
        assert_eq!(query_terms("Can you recommend a GIFT for me, please?"), ["gift"]);
        assert_eq!(query_terms("크림 크림을"), ["크림"]);
        assert!(query_terms("  ?! ").is_empty());
    }

    #[test]
    fn korean_queries_with_particles_and_run_together_nouns() {
        assert_eq!(ids("크림을 찾아요"), ["cream", "hand", "sun"]);
        assert_eq!(ids("겨울선물"), ["hand", "gloves", "cream", "set"]);
        assert_eq!(ids("선물용으로 뭐가 좋을까요?"), ["hand", "gloves", "set"]);
    }

    #[test]
    fn english_queries_and_the_out_of_stock_tie_break() {
        assert_eq!(ids("gift"), ["hand", "gloves", "set"], "the gift set is out of stock");
        assert_eq!(ids("warm gloves for winter"), ["gloves", "cream", "hand"]);
        assert_eq!(ids("gifts"), ["hand", "gloves", "set"]);
    }

    #[test]
    fn nothing_for_nothing() {
        assert!(ids("").is_empty());
        assert!(ids("추천해주세요").is_empty());
        assert!(ids("우주선").is_empty());
        assert!(ids("uvula").is_empty(), "two-letter tags do not match inside words");
        assert!(rank(catalogue(), "gift", 0).is_empty());
        assert_eq!(rank(catalogue(), "gift", 1).len(), 1);
    }
}
