//! What counts as text a person typed: printable, and not blank.
//!
//! The services check names, tags, categories and messages with these rules, and the API document
//! states the same rules as JSON Schema patterns, so a request that the document calls valid is one
//! the service accepts. A value is checked as it was sent (its length and its characters); only
//! what is stored is trimmed.

/// The characters that are control characters or white space (Rust's `char::is_control` and
/// `char::is_whitespace`), as the inside of a regex character class. White space is spelled out:
/// the JSON Schema readers disagree on what `\s` covers.
macro_rules! invisible {
    () => {
        "\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
    };
}
pub(crate) use invisible;

/// A character that is neither a control character nor white space.
macro_rules! visible {
    () => {
        concat!("[^", $crate::text::invisible!(), "]")
    };
}

/// A character that is not a control character.
macro_rules! printable {
    () => {
        "[^\\x00-\\x1f\\x7f-\\x9f]"
    };
}
pub(crate) use printable;

/// The white-space characters (control or not), what `str::trim` removes, as the inside of a
/// regex character class.
macro_rules! white_space {
    () => {
        "\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
    };
}
pub(crate) use white_space;

/// A white-space character.
macro_rules! blank {
    () => {
        concat!("[", $crate::text::white_space!(), "]")
    };
}
pub(crate) use blank;

/// Anything with a character in it that is not white space (the pattern is searched for, not
/// anchored).
pub const NOT_BLANK_PATTERN: &str = concat!("[^", white_space!(), "]");

/// One line of printable text that is not blank: no control characters, at least one character
/// that is not white space.
pub const LINE_PATTERN: &str = concat!("^", printable!(), "*", visible!(), printable!(), "*$");

/// Text that may run over lines (line breaks and tabs allowed, no other control characters) and is
/// not blank.
pub const TEXT_PATTERN: &str = concat!(
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*",
    visible!(),
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
);

/// Whether `value` is one printable line with something in it besides white space.
pub fn is_line(value: &str) -> bool {
    !value.chars().any(char::is_control) && !value.trim().is_empty()
}

/// Whether `value` is printable text with something in it besides white space; line breaks and tabs
/// are allowed.
pub fn is_text(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) && !value.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns and the functions agree, on every kind of character that matters.
    #[test]
    fn the_patterns_say_what_the_checks_do() {
        let line = regex_lite(LINE_PATTERN);
        let text = regex_lite(TEXT_PATTERN);
        let samples = [
            "김해피",
            " Kim ",
            "a\tb",
            "a\nb",
            "\n",
            " ",
            "\u{3000}",
            "\u{a0}x",
            "x\u{85}",
            "\u{7f}",
            "",
            "\r\nhi\r\n",
            "\u{feff}",
            "\u{2028}",
            "tab\t",
        ];
        for s in samples {
            assert_eq!(line(s), is_line(s), "line {s:?}");
            assert_eq!(text(s), is_text(s), "text {s:?}");
        }
        for c in (0..0x3100).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(line(&s), is_line(&s), "line U+{:04X}", c as u32);
            assert_eq!(text(&s), is_text(&s), "text U+{:04X}", c as u32);
        }
    }

    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
        let re = regex::Regex::new(pattern).expect("a valid pattern");
        move |s| re.is_match(s)
    }
}
