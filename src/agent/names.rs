//! Matching what a customer types to the names of products and order items shown to them.

/// Whether the ask names a product shown in the last answer.
pub(super) fn names_shown(text: &str, topic: &super::Topic) -> bool {
    shown_named(text, &topic.products).is_some()
}

/// The shown product the ask names by a word of its name ("the one with the candle", "머플러는요?").
pub(super) fn shown_named(text: &str, products: &[super::ShownProduct]) -> Option<usize> {
    let terms = crate::commerce::search::query_terms(text);
    let mut best = None;
    let mut best_hits = 0;
    for (i, p) in products.iter().enumerate() {
        let names = format!("{} {}", p.name_ko, p.name_en);
        let hits = terms.iter().filter(|t| names_word(&names, t)).count();
        if hits > best_hits {
            best = Some(i);
            best_hits = hits;
        }
    }
    best
}

/// Whether a product or item name holds the word: inside a Korean word (`크림` in `수분 크림`,
/// `핸드크림`), or as the start of an English word of three letters or more (`balm` in "Lip
/// Balm", `gloves` for "Gloves", but not `it` in "Knit").
pub(super) fn names_word(names: &str, term: &str) -> bool {
    let names = names.to_lowercase();
    if term.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
        return term.chars().count() >= 2 && names.contains(term);
    }
    let term = term.trim_end_matches('s');
    term.len() >= 3 && names.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(term))
}
