//! From normalised text to a sparse TF-IDF vector over three views of the utterance.
//!
//! - **words**: unigrams and bigrams of the tokens;
//! - **characters**: n-grams over the tokens joined by single spaces, padded with a space at each
//!   end, so `" 배송"` marks a word start; they survive inflection, typos and English plurals;
//! - **jamo**: n-grams over the letter-by-letter spelling of the Korean words, so a typo inside a
//!   syllable or a run-together phrase still shares most of its grams with the clean form.
//!
//! Every gram is hashed to 64 bits (collisions are negligible at that width) and looked up in the
//! vocabulary learned from the training texts; grams never seen in training carry no weight in a
//! linear model, so they are dropped. Each view is weighted with sublinear term frequency and
//! smoothed IDF, L2-normalised on its own, and scaled by its view weight, which keeps one long view
//! (jamo) from drowning the others.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::text;

/// How an utterance is turned into features; part of [`super::TrainOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureOptions {
    /// Weight of the word unigram and bigram view; 0 turns it off.
    pub word_weight: f32,
    /// Weight of the character n-gram view; 0 turns it off.
    pub char_weight: f32,
    /// Shortest and longest character n-gram.
    pub char_ngrams: (usize, usize),
    /// Whether character n-grams may span a space; off by default, as it did not help on the
    /// validation sets (grams inside words already match run-together words).
    pub char_across_words: bool,
    /// Weight of the jamo n-gram view over Korean words; 0 turns it off.
    pub jamo_weight: f32,
    /// Shortest and longest jamo n-gram.
    pub jamo_ngrams: (usize, usize),
    /// Grams seen in fewer training texts than this are left out of the vocabulary.
    pub min_df: u32,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        Self {
            word_weight: 1.0,
            char_weight: 1.0,
            char_ngrams: (1, 5),
            char_across_words: false,
            jamo_weight: 1.0,
            jamo_ngrams: (4, 6),
            min_df: 1,
        }
    }
}

/// A sparse vector: feature ids in increasing order with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Feature ids, increasing.
    pub ids: Vec<u32>,
    /// One value per id.
    pub values: Vec<f32>,
}

/// The views, in the order they are extracted; the index seeds the gram hash.
const VIEWS: usize = 3;

/// Turns text into vectors; learned once from the training texts, then read-only.
#[derive(Debug, Clone)]
pub struct Featurizer {
    options: FeatureOptions,
    /// Gram hash to feature id.
    vocabulary: HashMap<u64, u32, BuildHasherDefault<GramHasher>>,
    /// Inverse document frequency per feature id.
    idf: Vec<f32>,
}

impl Featurizer {
    /// Learns the vocabulary and IDF weights from the training texts.
    pub fn fit<'a>(texts: impl IntoIterator<Item = &'a str>, options: &FeatureOptions) -> Featurizer {
        let mut df: HashMap<u64, u32, BuildHasherDefault<GramHasher>> = HashMap::default();
        let mut grams = Grams::default();
        let mut docs = 0u32;
        for text in texts {
            grams.extract(&text::normalize(text), options);
            for view in &mut grams.views {
                view.sort_unstable();
                view.dedup();
                for &hash in view.iter() {
                    *df.entry(hash).or_insert(0) += 1;
                }
            }
            docs += 1;
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|&(_, count)| count >= options.min_df).collect();
        // Ids in hash order, so the same texts always give the same ids whatever the map's order.
        kept.sort_unstable();
        let n = docs as f32;
        let idf = kept.iter().map(|&(_, count)| ((1.0 + n) / (1.0 + count as f32)).ln() + 1.0).collect();
        let vocabulary = kept.iter().enumerate().map(|(id, &(hash, _))| (hash, id as u32)).collect();
        Featurizer { options: options.clone(), vocabulary, idf }
    }

    /// How many features the vocabulary holds.
    pub fn dimension(&self) -> usize {
        self.idf.len()
    }

    /// The TF-IDF vector of one utterance.
    pub fn vectorize(&self, text: &str) -> SparseVec {
        let mut grams = Grams::default();
        grams.extract(&text::normalize(text), &self.options);
        let weights = [self.options.word_weight, self.options.char_weight, self.options.jamo_weight];
        let mut entries: Vec<(u32, f32)> = Vec::with_capacity(grams.views.iter().map(Vec::len).sum());
        let mut ids = Vec::new();
        for (view, weight) in grams.views.iter().zip(weights) {
            ids.clear();
            ids.extend(view.iter().filter_map(|hash| self.vocabulary.get(hash).copied()));
            ids.sort_unstable();
            let start = entries.len();
            for run in ids.chunk_by(|a, b| a == b) {
                let id = run[0];
                entries.push((id, (1.0 + (run.len() as f32).ln()) * self.idf[id as usize]));
            }
            let norm = entries[start..].iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                entries[start..].iter_mut().for_each(|(_, v)| *v *= weight / norm);
            }
        }
        // Views hash with different seeds, so one id never appears in two views.
        entries.sort_unstable_by_key(|&(id, _)| id);
        SparseVec { ids: entries.iter().map(|e| e.0).collect(), values: entries.iter().map(|e| e.1).collect() }
    }
}

/// The gram hashes of one utterance, per view; reused between texts to save allocations.
#[derive(Default)]
struct Grams {
    views: [Vec<u64>; VIEWS],
    chars: Vec<char>,
    words: Vec<u64>,
}

impl Grams {
    fn extract(&mut self, normalized: &str, options: &FeatureOptions) {
        self.views.iter_mut().for_each(Vec::clear);
        if options.word_weight > 0.0 {
            self.words.clear();
            self.words.extend(text::tokens(normalized).map(|token| token.chars().fold(seed(0), mix)));
            self.views[0].extend_from_slice(&self.words);
            for pair in self.words.windows(2) {
                self.views[0].push((pair[0].rotate_left(23) ^ pair[1]).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            }
        }
        if options.char_weight > 0.0 {
            self.chars.clear();
            for token in text::tokens(normalized) {
                self.chars.push(' ');
                self.chars.extend(token.chars());
            }
            self.chars.push(' ');
            push_ngrams(&self.chars, options.char_ngrams, options.char_across_words, seed(1), &mut self.views[1]);
        }
        if options.jamo_weight > 0.0 {
            self.chars.clear();
            for token in text::tokens(normalized).filter(|t| text::has_hangul(t)) {
                self.chars.push(' ');
                for c in token.chars() {
                    text::decompose(c, &mut self.chars);
                }
            }
            if !self.chars.is_empty() {
                self.chars.push(' ');
                push_ngrams(&self.chars, options.jamo_ngrams, options.char_across_words, seed(2), &mut self.views[2]);
            }
        }
    }
}

/// Hashes every n-gram of `chars` with `min <= n <= max`. Unless `across` is set, a space may only
/// open or close a gram, as in a word padded with spaces.
fn push_ngrams(chars: &[char], (min, max): (usize, usize), across: bool, seed: u64, out: &mut Vec<u64>) {
    for start in 0..chars.len() {
        let mut hash = seed;
        for (n, &c) in chars[start..].iter().take(max).enumerate() {
            hash = mix(hash, c);
            // A lone space says nothing about the text.
            if n + 1 >= min && (n > 0 || c != ' ') {
                out.push(hash);
            }
            if c == ' ' && n > 0 && !across {
                break;
            }
        }
    }
}

/// The starting hash of a view.
fn seed(view: u64) -> u64 {
    0xcbf2_9ce4_8422_2325 ^ view.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// FNV-1a over whole characters.
fn mix(hash: u64, c: char) -> u64 {
    (hash ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3)
}

/// Keys of the vocabulary are hashes already; this only stirs their bits so the map's bucket and
/// tag bits are both well spread.
#[derive(Default)]
struct GramHasher(u64);

impl Hasher for GramHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &SparseVec, b: &SparseVec) -> f32 {
        let mut sum = 0.0;
        let (mut i, mut j) = (0, 0);
        while i < a.ids.len() && j < b.ids.len() {
            match a.ids[i].cmp(&b.ids[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += a.values[i] * b.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }

    #[test]
    fn char_grams_stay_inside_words_unless_asked() {
        let chars: Vec<char> = " ab cd ".chars().collect();
        let mut inside = Vec::new();
        push_ngrams(&chars, (2, 3), false, 0, &mut inside);
        let mut across = Vec::new();
        push_ngrams(&chars, (2, 3), true, 0, &mut across);
        // Inside: " a", " ab", "ab", "ab ", "b ", " c", " cd", "cd", "cd ", "d ".
        assert_eq!(inside.len(), 10);
        // Across adds only "b c", the one gram with a space inside.
        assert_eq!(across.len(), 11);
    }

    #[test]
    fn vectors_are_unit_length_per_view_and_sorted() {
        let options = FeatureOptions::default();
        let featurizer = Featurizer::fit(["배송 조회 해주세요", "where is my order"], &options);
        let v = featurizer.vectorize("배송 조회 부탁해요");
        assert!(v.ids.windows(2).all(|w| w[0] < w[1]));
        let squared: f32 = v.values.iter().map(|x| x * x).sum();
        let expected = options.word_weight.powi(2) + options.char_weight.powi(2) + options.jamo_weight.powi(2);
        assert!((squared - expected).abs() < 1e-4, "{squared} vs {expected}");
        assert_eq!(featurizer.vectorize("완전히 다른 말"), featurizer.vectorize("완전히 다른 말"));
        assert!(featurizer.vectorize("zzz qqq").ids.is_empty());
    }

    #[test]
    fn jamo_grams_tie_a_typo_to_the_clean_spelling() {
        let texts = ["결제 취소 됐어요", "결제가 안 돼요", "배송 언제 와요"];
        let with = Featurizer::fit(texts, &FeatureOptions::default());
        let without = Featurizer::fit(texts, &FeatureOptions { jamo_weight: 0.0, ..FeatureOptions::default() });
        let similarity = |f: &Featurizer| dot(&f.vectorize("결제 취소 됬어요"), &f.vectorize("결제 취소 됐어요"));
        assert!(similarity(&with) > similarity(&without) + 0.05, "{} vs {}", similarity(&with), similarity(&without));
    }
}
