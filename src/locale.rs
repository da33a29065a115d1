//! The two languages the product speaks, and telling which one a customer wrote in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
}
