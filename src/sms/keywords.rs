//! The opt-out, opt-in and help keywords carriers require an SMS sender to honour.
//!
//! Twilio acts on these itself for long codes and toll-free numbers: after an opt-out it answers
//! our later sends to that customer with error 21610 until they opt back in. It still forwards the
//! message to our webhook, so the engine must record the choice and must not let the agent answer
//! it. A keyword counts only as the whole message, in any letter case, with surrounding whitespace
//! ignored: "stop" opts out, "stop please" is an ordinary message.

use schemars::JsonSchema;
use serde::Serialize;

/// What a keyword message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    /// Stop sending to this customer from this number.
    OptOut,
    /// Resume sending after an opt-out.
    OptIn,
    /// The customer asks who is texting them and how to stop.
    Help,
}

/// Twilio's default opt-out words; REVOKE and OPTOUT were added in May 2025 for the FCC's rule.
const OPT_OUT: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"];
const OPT_IN: &[&str] = &["START", "YES", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// The keyword `text` is, if it is one.
pub fn classify(text: &str) -> Option<Keyword> {
    let word = text.trim();
    let is = |list: &[&str]| list.iter().any(|keyword| keyword.eq_ignore_ascii_case(word));
    if is(OPT_OUT) {
        Some(Keyword::OptOut)
    } else if is(OPT_IN) {
        Some(Keyword::OptIn)
    } else if is(HELP) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_in_any_case() {
        for (words, expected) in [(OPT_OUT, Keyword::OptOut), (OPT_IN, Keyword::OptIn), (HELP, Keyword::Help)] {
            for word in words {
                assert_eq!(classify(word), Some(expected), "{word}");
                assert_eq!(classify(&word.to_lowercase()), Some(expected), "{word}");
            }
        }
        assert_eq!(classify("Stop"), Some(Keyword::OptOut));
        assert_eq!(classify("unStop"), Some(Keyword::OptIn));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(classify("  STOP\n"), Some(Keyword::OptOut));
        assert_eq!(classify("\tyes "), Some(Keyword::OptIn));
        assert_eq!(classify("\u{3000}help\u{3000}"), Some(Keyword::Help), "an ideographic space is whitespace too");
    }

    #[test]
    fn anything_else_is_an_ordinary_message() {
        for text in [
            "stop please",
            "please stop",
            "STOP!",
            "S T O P",
            "stopp",
            "ending",
            "yes please",
            "취소",
            "그만",
            "ＳＴＯＰ",
            "",
            "   ",
        ] {
            assert_eq!(classify(text), None, "{text:?}");
        }
    }

    #[test]
    fn serializes_in_snake_case() {
        assert_eq!(serde_json::to_string(&Keyword::OptOut).ok().as_deref(), Some("\"opt_out\""));
        assert_eq!(serde_json::to_string(&Keyword::Help).ok().as_deref(), Some("\"help\""));
    }
}
