//! What kind of answer a question wants, and which passages give that kind.
//!
//! "포장비 얼마예요?" wants an amount, "며칠 걸려요?" a time, "어디서 신청해요?" a place or a path,
//! "who pays?" a party, "what can't be returned?" a refusal. Within an article, a section that
//! gives the kind asked for answers better than one that only shares a word with the question
//! (the gift-wrapping fee rather than the note about prices on receipts); after an answer, a
//! short "fee?" or "how long?" is about the article just given when one of its sections gives
//! that kind.
//!
//! These are words of the two languages, not of one brand's articles, so they live here rather
//! than beside the articles.

use std::sync::LazyLock;

use regex::Regex;

/// A kind of answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A price, a fee, a refund amount.
    Amount,
    /// A duration, a date, an hour, a deadline.
    Time,
    /// Where to go or what to press.
    Place,
    /// Who pays or who does something.
    Party,
    /// What is not possible.
    Refusal,
}

const KINDS: [Kind; 5] = [Kind::Amount, Kind::Time, Kind::Place, Kind::Party, Kind::Refusal];

/// Words that ask for each kind, lower-cased; Korean ones may sit inside a word ("얼마예요").
#[rustfmt::skip]
fn cues(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Amount => &[
            "얼마",
            "비용",
            "금액",
            "요금",
            "수수료",
            "how much",
            "cost",
            "what's the price",
            "what is the price",
            "price of",
            "fee",
            "charge",
            "pay for",
            "amount",
        ],
        Kind::Time => &[
            "언제",
            "며칠",
            "몇 시",
            "몇시",
            "얼마나 걸",
            "걸려",
            "걸리",
            "기간",
            "늦어",
            "늦게",
            "지연",
            "빨리",
            "이내",
            "안에",
            "지났",
            "지나서",
            "지난",
            "됐는데",
            "일주일",
            "한 달",
            "when",
            "how long",
            "ago",
            "weeks",
            "a week",
            "a month",
            "passed",
            "how many days",
            "how soon",
            "what time",
            "deadline",
            "slower",
            "delay",
            "late",
            "days",
        ],
        Kind::Place => &["어디서", "어디에서", "어디로", "어디에", "어디 ", "where", "which page", "what page"],
        Kind::Party => &["누가", "누구", "부담", "who pays", "who covers", "who will pay", "who's paying"],
        Kind::Refusal => &[
            "안 되는",
            "안되는",
            "안 돼는",
            "불가",
            "못 하는",
            "못하는",
            "제외",
            "can't",
            "cannot",
            "can not",
            "not allowed",
            "isn't allowed",
            "excluded",
            "exceptions",
        ],
    }
}

/// What a passage that gives each kind contains.
static GIVES: LazyLock<Vec<(Kind, Regex)>> = LazyLock::new(|| {
    [
        (Kind::Amount, r"[0-9][0-9,]*\s?원|₩\s?[0-9]|[0-9]+\s?%|만원|무료|free"),
        (
            Kind::Time,
            r"[0-9]+\s?(~|-|to)?\s?[0-9]*\s?(일|영업일|개월|시간|시|분|business days?|days?|months?|hours?|am|pm)|오전|오후|월요일|monday|다음 영업일|next business",
        ),
        (Kind::Place, r"마이페이지|my page|>|주문서|checkout|사이트|site|성수|seoul"),
        (Kind::Party, r"부담|저희가|받으시는 분|we pay|on you|on us|paid by|recipient"),
        (Kind::Refusal, r"어렵|할 수 없|불가|can't be|cannot be|can not be|not accepted|isn't possible"),
    ]
    .into_iter()
    .map(|(kind, pattern)| (kind, Regex::new(&format!("(?i){pattern}")).expect("the kind patterns compile")))
    .collect()
});

/// The kinds of answer `question` asks for.
pub(super) fn asked(question: &str) -> Vec<Kind> {
    let lower = format!("{} ", question.to_lowercase());
    KINDS.into_iter().filter(|&kind| cues(kind).iter().any(|cue| lower.contains(cue))).collect()
}

/// The kind cues `question` contains.
pub(super) fn cue_words(question: &str) -> Vec<&'static str> {
    let lower = format!("{} ", question.to_lowercase());
    KINDS.into_iter().flat_map(|kind| cues(kind).iter().copied()).filter(|cue| lower.contains(cue)).collect()
}

/// Whether `text` gives one of `kinds`.
pub(super) fn gives(text: &str, kinds: &[Kind]) -> bool {
    GIVES.iter().any(|(kind, pattern)| kinds.contains(kind) && pattern.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_ask_for_kinds() {
        assert_eq!(asked("포장비 얼마예요?"), [Kind::Amount]);
        assert_eq!(asked("며칠 걸려요?"), [Kind::Time]);
        assert_eq!(asked("who pays the shipping in that case"), [Kind::Party]);
        assert_eq!(asked("what kind of stuff can't be returned?"), [Kind::Refusal]);
        assert!(asked("선물 포장 되나요?").is_empty());
    }

    #[test]
    fn passages_give_kinds() {
        assert!(gives("상품 1개당 2,000원에 포장해 드립니다.", &[Kind::Amount]));
        assert!(!gives("가격이 적힌 영수증을 넣지 않습니다.", &[Kind::Amount]));
        assert!(gives("usually takes 7 to 14 days", &[Kind::Time]));
        assert!(gives("We pay shipping for faulty items.", &[Kind::Party]));
    }
}
