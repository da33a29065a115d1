//! Text normalisation for routing: one canonical spelling per utterance, its word tokens, and the
//! jamo spelling of Korean words.
//!
//! Customers type on phones: full-width letters from Korean keyboards, doubled spaces, capitals,
//! typos inside a syllable (`됬` for `됐`) and words run together (`배송조회`). Normalising folds the
//! first three away; the jamo spelling lets the classifier see that two syllables differ by one
//! letter, and character n-grams inside and across tokens cope with missing spaces.

/// First Hangul syllable, `가`.
const SYLLABLE_FIRST: u32 = 0xAC00;
/// Last Hangul syllable, `힣`.
const SYLLABLE_LAST: u32 = 0xD7A3;
/// Syllables per leading consonant: 21 vowels × 28 trailing forms.
const PER_LEAD: u32 = 21 * 28;
/// Syllables per vowel: 28 trailing forms, the first of them "none".
const PER_VOWEL: u32 = 28;

/// Leading consonants in syllable order, as compatibility jamo (the letters a keyboard types).
const LEADS: [char; 19] =
    ['ㄱ', 'ㄲ', 'ㄴ', 'ㄷ', 'ㄸ', 'ㄹ', 'ㅁ', 'ㅂ', 'ㅃ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅉ', 'ㅊ', 'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ'];
/// Trailing consonants in syllable order after "none", as compatibility jamo.
const TAILS: [char; 27] = [
    'ㄱ', 'ㄲ', 'ㄳ', 'ㄴ', 'ㄵ', 'ㄶ', 'ㄷ', 'ㄹ', 'ㄺ', 'ㄻ', 'ㄼ', 'ㄽ', 'ㄾ', 'ㄿ', 'ㅀ', 'ㅁ', 'ㅂ', 'ㅄ', 'ㅅ',
    'ㅆ', 'ㅇ', 'ㅈ', 'ㅊ', 'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ',
];
/// The compatibility vowels are contiguous, `ㅏ` (U+314F) to `ㅣ` (U+3163), in syllable order.
const FIRST_VOWEL: u32 = 0x314F;

/// Lowercases, folds full-width forms to their ASCII spelling and collapses runs of whitespace to
/// one space, trimmed at both ends.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().map(fold_width) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Full-width ASCII (U+FF01..U+FF5E) and the ideographic space become their narrow forms.
fn fold_width(c: char) -> char {
    match c as u32 {
        0x3000 => ' ',
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The words of normalised text: maximal runs of letters and digits (Hangul counts as letters), so
/// punctuation separates words and never ends up inside one.
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty())
}

/// Whether a character is a precomposed Hangul syllable.
pub fn is_syllable(c: char) -> bool {
    (SYLLABLE_FIRST..=SYLLABLE_LAST).contains(&(c as u32))
}

/// Spells a syllable as its two or three letters (compatibility jamo); anything else is itself.
///
/// Syllables are laid out arithmetically: `code = 0xAC00 + (lead × 21 + vowel) × 28 + tail`.
pub fn decompose(c: char, out: &mut impl Extend<char>) {
    if !is_syllable(c) {
        out.extend([c]);
        return;
    }
    let index = c as u32 - SYLLABLE_FIRST;
    let lead = LEADS[(index / PER_LEAD) as usize];
    let vowel = char::from_u32(FIRST_VOWEL + (index % PER_LEAD) / PER_VOWEL).unwrap_or(c);
    match (index % PER_VOWEL) as usize {
        0 => out.extend([lead, vowel]),
        tail => out.extend([lead, vowel, TAILS[tail - 1]]),
    }
}

/// Whether a word holds Korean letters, syllables or loose jamo, and so has a jamo spelling worth
/// looking at.
pub fn has_hangul(word: &str) -> bool {
    word.chars().any(|c| is_syllable(c) || ('\u{3131}'..='\u{318E}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word spelled letter by letter: `배송` becomes `ㅂㅐㅅㅗㅇ`.
    fn jamo(word: &str) -> String {
        let mut out = String::with_capacity(word.len() * 3);
        for c in word.chars() {
            decompose(c, &mut out);
        }
        out
    }

    #[test]
    fn normalising_folds_case_width_and_spaces() {
        assert_eq!(normalize("  Where\tIS   my ＯＲＤＥＲ？ "), "where is my order?");
        assert_eq!(normalize("배송　　조회\n해주세요"), "배송 조회 해주세요");
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize(" \t\n"), "");
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let text = normalize("주문 1001번, 어디쯤이에요?? don't");
        assert_eq!(tokens(&text).collect::<Vec<_>>(), ["주문", "1001번", "어디쯤이에요", "don", "t"]);
    }

    #[test]
    fn syllables_decompose_into_letters() {
        assert_eq!(jamo("가"), "ㄱㅏ");
        assert_eq!(jamo("각"), "ㄱㅏㄱ");
        assert_eq!(jamo("힣"), "ㅎㅣㅎ");
        assert_eq!(jamo("배송"), "ㅂㅐㅅㅗㅇ");
        assert_eq!(jamo("됐어요"), "ㄷㅙㅆㅇㅓㅇㅛ");
        assert_eq!(jamo("닭값"), "ㄷㅏㄺㄱㅏㅄ");
        assert_eq!(jamo("a1가"), "a1ㄱㅏ");
        assert_eq!(jamo("ㅋㅋ"), "ㅋㅋ");
    }

    #[test]
    fn a_typo_inside_a_syllable_changes_one_letter() {
        let right: Vec<char> = jamo("됐어요").chars().collect();
        let typo: Vec<char> = jamo("됬어요").chars().collect();
        assert_eq!(right.len(), typo.len());
        assert_eq!(right.iter().zip(&typo).filter(|(a, b)| a != b).count(), 1);
    }

    #[test]
    fn hangul_is_recognised() {
        assert!(has_hangul("배송"));
        assert!(has_hangul("ㅋㅋ"));
        assert!(has_hangul("abc가"));
        assert!(!has_hangul("order"));
        assert!(!is_syllable('ㄱ'));
    }
}
