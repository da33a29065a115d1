//! Cues: the words by which the agent tells what a message does, read from `skills/cues.toml`.
//!
//! Korean cues match anywhere in the message, as Korean glues endings onto words; cues in other
//! scripts match whole words, so "no" is not found in "know". Case is ignored.

use std::path::Path;

use serde::Deserialize;

/// The file beside the skill folders.
pub const CUES_FILE: &str = "cues.toml";
/// The shipped cues, used when a skills folder has none of its own.
const DEFAULTS: &str = include_str!("../../skills/cues.toml");

/// Every cue list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cues {
    frustration: Words,
    claim: Words,
    follow_up: Words,
    ordinal: Ordinals,
    confirm: Confirm,
    order_list: Words,
    how_to: Words,
    thanks: Words,
    gift: Words,
    general: Words,
    order_words: Words,
    product_question: Words,
    cheaper: Words,
    others: Words,
    order_facet: Facets,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Facets {
    total: Words,
    items: Words,
    arrival: Words,
    link: Words,
}

/// What a question about an order asks besides where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFacet {
    /// What was paid, or what comes back.
    Total,
    /// What is in it.
    Items,
    /// When it arrives.
    Arrival,
    /// Where to follow the parcel.
    Link,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    ko: Vec<String>,
    en: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ordinals {
    first: Vec<String>,
    second: Vec<String>,
    third: Vec<String>,
    last: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    yes: Vec<String>,
    no: Vec<String>,
}

/// An answer to a yes-or-no question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YesNo {
    /// Go ahead.
    Yes,
    /// Don't.
    No,
}

/// Which item of a list the customer points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordinal {
    /// The n-th, from 0.
    Nth(usize),
    /// The last one.
    Last,
}

impl Ordinal {
    /// The index in a list of `len` items, if there is such an item.
    pub fn index(self, len: usize) -> Option<usize> {
        match self {
            Ordinal::Nth(n) => (n < len).then_some(n),
            Ordinal::Last => len.checked_sub(1),
        }
    }
}

impl Default for Cues {
    fn default() -> Self {
        toml::from_str(DEFAULTS).expect("the shipped cues parse")
    }
}

impl Cues {
    /// The cues of a skills folder: its `cues.toml`, or the shipped ones when it has none.
    pub fn load(skills_dir: &Path) -> Result<Self, String> {
        let path = skills_dir.join(CUES_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(0);
            format!("{}:{line}: {}", path.display(), e.message())
        })
    }

    /// The frustration cue the message shows, if any.
    pub fn frustration<'a>(&'a self, text: &str) -> Option<&'a str> {
        self.frustration.find(text)
    }

    /// The claim cue the message shows, if any.
    pub fn claim<'a>(&'a self, text: &str) -> Option<&'a str> {
        self.claim.find(text)
    }

    /// Whether the message leans on what was said before.
    pub fn follows_up(&self, text: &str) -> bool {
        self.follow_up.find(text).is_some()
    }

    /// Whether the message points back at what was just said ("그거", "that").
    pub fn refers_back(&self, text: &str) -> bool {
        contains_any(
            text,
            &[
                "그거",
                "그건",
                "그것",
                "그게",
                "그것도",
                "이것도",
                "it",
                "that",
                "those",
                "this",
                "them",
                "they",
                "these",
            ],
        )
    }

    /// Whether the customer asks for the list of their orders.
    pub fn lists_orders(&self, text: &str) -> bool {
        self.order_list.find(text).is_some()
    }

    /// Whether the customer looks for a present (a recipient or an occasion is named).
    pub fn gift(&self, text: &str) -> bool {
        self.gift.find(text).is_some()
    }

    /// Whether the question is about how things work in general, not about one's order.
    pub fn general(&self, text: &str) -> bool {
        self.general.find(text).is_some()
    }

    /// Whether the message speaks of an order (its delivery, its courier, its total).
    pub fn about_order(&self, text: &str) -> bool {
        self.order_words.find(text).is_some()
    }

    /// Whether the message asks about one product: its price, stock or page.
    pub fn product_question(&self, text: &str) -> bool {
        self.product_question.find(text).is_some()
    }

    /// What the message asks of an order besides where it is, if anything: the first named of
    /// the total, the items, the arrival and the tracking link.
    pub fn order_facet(&self, text: &str) -> Option<OrderFacet> {
        let facets = &self.order_facet;
        [
            (&facets.link, OrderFacet::Link),
            (&facets.arrival, OrderFacet::Arrival),
            (&facets.items, OrderFacet::Items),
            (&facets.total, OrderFacet::Total),
        ]
        .into_iter()
        .find(|(words, _)| words.find(text).is_some())
        .map(|(_, facet)| facet)
    }

    /// Whether the customer wants something cheaper than what was shown.
    pub fn cheaper(&self, text: &str) -> bool {
        self.cheaper.find(text).is_some()
    }

    /// Whether the customer wants other items than those shown ("다른 거요?", "the other order").
    pub fn others(&self, text: &str) -> bool {
        self.others.find(text).is_some()
    }

    /// Whether the message is a thank-you or a goodbye.
    pub fn thanks(&self, text: &str) -> bool {
        self.thanks.find(text).is_some()
    }

    /// Whether the customer asks how to do something.
    pub fn asks_how(&self, text: &str) -> bool {
        self.how_to.find(text).is_some()
    }

    /// The item of a list the message points at, if it names one.
    pub fn ordinal(&self, text: &str) -> Option<Ordinal> {
        let lists = [
            (&self.ordinal.first, Ordinal::Nth(0)),
            (&self.ordinal.second, Ordinal::Nth(1)),
            (&self.ordinal.third, Ordinal::Nth(2)),
            (&self.ordinal.last, Ordinal::Last),
        ];
        lists.into_iter().find(|(words, _)| words.iter().any(|w| contains(text, w))).map(|(_, o)| o)
    }

    /// Yes or no, when the message says one of them (no wins when both appear: "아니, 취소하지 마").
    pub fn yes_no(&self, text: &str) -> Option<YesNo> {
        if self.confirm.no.iter().any(|w| starts_word(text, w)) {
            Some(YesNo::No)
        } else if self.confirm.yes.iter().any(|w| starts_word(text, w)) {
            Some(YesNo::Yes)
        } else {
            None
        }
    }
}

impl Words {
    fn find(&self, text: &str) -> Option<&str> {
        self.ko.iter().chain(&self.en).find(|w| contains(text, w)).map(String::as_str)
    }
}

/// Whether a word of `text` starts with the cue (Korean) or is it (other scripts): "네" answers
/// in "네 취소해 주세요" and not in "답답하네".
fn starts_word(text: &str, cue: &str) -> bool {
    if cue.chars().any(|c| c.is_ascii_alphanumeric()) {
        return contains(text, cue);
    }
    let text = text.to_lowercase();
    let cue = cue.trim().to_lowercase();
    !cue.is_empty()
        && text.match_indices(&cue).any(|(at, _)| text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
}

/// Whether `text` contains any of the cues.
pub fn contains_any(text: &str, cues: &[&str]) -> bool {
    cues.iter().any(|cue| contains(text, cue))
}

/// Whether `text` contains the cue: anywhere for Korean, as whole words otherwise.
pub fn contains(text: &str, cue: &str) -> bool {
    let cue = cue.to_lowercase();
    if cue.trim().is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    if !cue.chars().any(|c| c.is_ascii_alphanumeric()) {
        return text.contains(&cue);
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '\'');
    text.match_indices(&cue).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + cue.len()..].chars().next();
        !word(before) && !word(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_matches_inside_words_english_only_whole_words() {
        assert!(contains("진짜 짜증나네요", "짜증"));
        assert!(contains("No, keep it", "no"));
        assert!(!contains("I know the order", "no"));
        assert!(contains("and customs?", "and"));
        assert!(!contains("sandals", "and"));
        assert!(contains("THIS BOT IS USELESS", "useless"));
    }

    #[test]
    fn the_shipped_cues_read_messages() {
        let cues = Cues::default();
        assert!(cues.frustration("당장 환불해 주세요 진짜 화나네").is_some());
        assert!(cues.frustration("this bot is useless").is_some());
        assert!(cues.frustration("배송비 얼마예요?").is_none());
        assert!(cues.claim("어제 받은 크림 뚜껑이 깨져서 왔어요").is_some());
        assert!(cues.claim("it says delivered but I never got it").is_some());
        assert!(cues.claim("반품하려는데 반품비 얼마예요?").is_none());
        assert_eq!(cues.ordinal("두 번째 주문이요"), Some(Ordinal::Nth(1)));
        assert_eq!(cues.ordinal("the first one"), Some(Ordinal::Nth(0)));
        assert_eq!(cues.yes_no("네 취소해 주세요"), Some(YesNo::Yes));
        assert_eq!(cues.yes_no("아니요, 그냥 둘게요"), Some(YesNo::No));
        assert_eq!(cues.yes_no("yes please"), Some(YesNo::Yes));
        assert_eq!(cues.yes_no("배송 언제 와요"), None);
        assert_eq!(cues.yes_no("이 봇 진짜 답답하네"), None);
        assert_eq!(cues.yes_no("넵!"), Some(YesNo::Yes));
        assert!(cues.lists_orders("제 주문 내역 보여주세요"));
        assert!(cues.follows_up("도서산간은요?"));
        assert!(cues.follows_up("and customs?"));
        assert_eq!(cues.order_facet("how much did I pay for that order?"), Some(OrderFacet::Total));
        assert_eq!(cues.order_facet("환불 금액은요?"), Some(OrderFacet::Total));
        assert_eq!(cues.order_facet("도착 예정일 알 수 있어요?"), Some(OrderFacet::Arrival));
        assert_eq!(cues.order_facet("지금 어디쯤인지 직접 볼 수 있는 링크 있어요?"), Some(OrderFacet::Link));
        assert_eq!(cues.order_facet("what's in the older one?"), Some(OrderFacet::Items));
        assert_eq!(cues.order_facet("주문 1001 어디쯤 왔어요?"), None);
    }
}
