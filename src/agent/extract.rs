//! What the agent picks out of a message: an order number, an email address, a phone number.

/// An order number the customer typed: 3 to 10 digits, optionally after `#`, that is not part of
/// a phone number or a longer number.
pub fn order_number(text: &str) -> Option<String> {
    // The digits of a phone number written with spaces ("+82 10 1234 5678") are no order.
    let without_phone = phone(text).map(|p| text.replacen(&p, " ", 1));
    let text = without_phone.as_deref().unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        // Part of a phone number (010-1234-5678) or an amount (50,000): not an order.
        let joiner = |at: Option<usize>| at.and_then(|p| chars.get(p)).is_some_and(|c| matches!(c, '-' | ',' | '.'));
        let digit = |at: Option<usize>| at.and_then(|p| chars.get(p)).is_some_and(char::is_ascii_digit);
        let glued = (joiner(start.checked_sub(1)) && digit(start.checked_sub(2)))
            || (joiner(Some(i)) && digit(Some(i + 1)))
            || start.checked_sub(1).and_then(|p| chars.get(p)) == Some(&'+');
        if (3..=10).contains(&digits.len()) && !glued && !digits.starts_with("010") {
            return Some(digits);
        }
    }
    None
}

/// An email address in the text.
pub fn email(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '<' | '>' | '"' | '\''))
        .map(|w| w.trim_end_matches(['.', '!', '?']))
        .find(|w| {
            w.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            })
        })
        .map(str::to_owned)
}

/// A phone number in the text: 9 to 15 digits written together, with spaces, dashes or a `+`.
pub fn phone(text: &str) -> Option<String> {
    let mut best: Option<String> = None;
    let mut current = String::new();
    let mut digits = 0;
    for c in text.chars().chain(std::iter::once('x')) {
        if c.is_ascii_digit() || (matches!(c, '+' | '-' | ' ' | '(' | ')') && (digits > 0 || c == '+')) {
            current.push(c);
            if c.is_ascii_digit() {
                digits += 1;
            }
            continue;
        }
        if (9..=15).contains(&digits) && best.is_none() {
            best = Some(current.trim().trim_end_matches(['-', '(']).to_owned());
        }
        current.clear();
        digits = 0;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers() {
        assert_eq!(order_number("주문번호 1001 배송 어디쯤이에요?").as_deref(), Some("1001"));
        assert_eq!(order_number("where is order #1002?").as_deref(), Some("1002"));
        assert_eq!(order_number("1003번 취소해주세요").as_deref(), Some("1003"));
        assert_eq!(order_number("010-1234-5678"), None);
        assert_eq!(order_number("50,000원 이상"), None);
        assert_eq!(order_number("배송 언제 와요"), None);
        assert_eq!(order_number("12"), None);
        assert_eq!(order_number("order 1001, email a@b.com").as_deref(), Some("1001"));
        assert_eq!(order_number("1,000원").as_deref(), None);
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(email("제 이메일은 happy@example.com 입니다.").as_deref(), Some("happy@example.com"));
        assert_eq!(email("mail: Happy@Example.com."), Some("Happy@Example.com".into()));
        assert_eq!(email("no at sign here"), None);
        assert_eq!(phone("010-1234-5678 이에요").as_deref(), Some("010-1234-5678"));
        assert_eq!(phone("call +82 10 1234 5678 please").as_deref(), Some("+82 10 1234 5678"));
        assert_eq!(phone("주문 1001"), None);
        assert_eq!(order_number("the phone on it is +82 10 1234 5678"), None);
        assert_eq!(order_number("order 1001, phone 010 1234 5678"), Some("1001".into()));
    }
}

/// A price range a customer asked for, in the shop's main unit (won): `2만원 이하` is at most
/// 20,000, `3~4만원대` is 30,000 to 49,999, `under 30k` is below 30,000, `around ₩30,000` is 21,000
/// to 36,000.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Budget {
    /// The lowest price, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest price, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Budget {
    /// Whether a price fits.
    pub fn fits(&self, price: f64) -> bool {
        self.min.is_none_or(|min| price >= min) && self.max.is_none_or(|max| price <= max)
    }
}

/// An amount with its unit: `2만5천원`, `20,000원`, `만원`, `₩30,000`, `30k`, `40,000 won`.
const AMOUNT: &str = r"(?:[₩$]\s*)?(?:(?:(?P<man>\d+(?:\.\d+)?)\s*|\b)만\s*(?:(?P<cheon>\d)\s*천)?|(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>천|k\b|K\b)?)\s*(?:원|won\b|krw\b)?";

static BUDGET: std::sync::LazyLock<Vec<(BudgetKind, regex::Regex)>> = std::sync::LazyLock::new(|| {
    let a = AMOUNT;
    let b = AMOUNT
        .replace("?P<man>", "?P<man2>")
        .replace("?P<cheon>", "?P<cheon2>")
        .replace("?P<num>", "?P<num2>")
        .replace("?P<unit>", "?P<unit2>");
    let patterns = [
        (BudgetKind::Range, format!(r"(?:between\s+)?(?P<a>{a})\s*(?:~|-|–|to|and|에서)\s*(?P<b>{b})\s*(?P<band>대)?")),
        (
            BudgetKind::Max,
            format!(
                r"(?:under|below|less than|up to|within|no more than|cheaper than|at most|max(?:imum)?|budget(?: is| of)?)\s+(?P<a>{a})"
            ),
        ),
        (BudgetKind::Min, format!(r"(?:over|above|more than|at least|from|starting at)\s+(?P<a>{a})")),
        (BudgetKind::Around, format!(r"(?:around|about|roughly|approximately)\s+(?P<a>{a})")),
        (
            BudgetKind::Max,
            format!(
                r"(?P<a>{a})\s*(?:이하|까지|미만|아래|밑|안쪽|안으로|이내|내로|내에서|or less|or under|or below|max\b)"
            ),
        ),
        (BudgetKind::Min, format!(r"(?P<a>{a})\s*(?:이상|넘는|넘게|초과|부터|or more|and up|plus\b)")),
        (BudgetKind::Band, format!(r"(?P<a>{a})\s*대")),
        (BudgetKind::Around, format!(r"(?P<a>{a})\s*(?:정도|쯤|내외|선|짜리|range)")),
    ];
    patterns.into_iter().map(|(kind, p)| (kind, regex::Regex::new(&p).expect("the budget patterns compile"))).collect()
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BudgetKind {
    Range,
    Max,
    Min,
    Around,
    Band,
}

/// The price range the text asks for, if it names one. An amount needs a unit or a word of
/// price around it, so order numbers and quantities are not budgets.
pub fn budget(text: &str) -> Option<Budget> {
    let text = text.to_lowercase();
    for (kind, pattern) in BUDGET.iter() {
        let Some(caps) = pattern.captures(&text) else { continue };
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let first = amount(&caps, "");
        match kind {
            BudgetKind::Range => {
                let (Some(low), Some(high)) = (first, amount(&caps, "2")) else { continue };
                // "3~4만원" : the unit written once serves both ends.
                let (low, high) = match (
                    caps.name("man").is_some() || caps.name("unit").is_some(),
                    caps.name("man2"),
                    caps.name("unit2"),
                ) {
                    (false, Some(_), _) if caps.name("num").is_some() => (low * 10_000.0, high),
                    (false, _, Some(u)) if u.as_str() == "천" || u.as_str() == "k" => (low * 1_000.0, high),
                    _ => (low, high),
                };
                if !has_unit(whole) || low > high {
                    continue;
                }
                let high = if caps.name("band").is_some() { band_top(high) } else { high };
                return Some(Budget { min: Some(low), max: Some(high) });
            }
            _ => {
                let Some(value) = first else { continue };
                if !has_unit(whole) && !matches!(kind, BudgetKind::Max | BudgetKind::Min | BudgetKind::Around) {
                    continue;
                }
                // A bare number after "under" is a price only when it is big enough to be one.
                if !has_unit(whole) && value < 1_000.0 {
                    continue;
                }
                return Some(match kind {
                    BudgetKind::Max => Budget { min: None, max: Some(value) },
                    BudgetKind::Min => Budget { min: Some(value), max: None },
                    BudgetKind::Band => Budget { min: Some(value), max: Some(band_top(value)) },
                    _ => Budget { min: Some((value * 0.7).round()), max: Some((value * 1.2).round()) },
                });
            }
        }
    }
    None
}

/// The top of a band: `3만원대` runs to 39,999.
fn band_top(value: f64) -> f64 {
    let step = if value >= 10_000.0 { 10_000.0 } else { 1_000.0 };
    value + step - 1.0
}

fn has_unit(text: &str) -> bool {
    ["원", "만", "천", "won", "krw", "₩", "$", "k"].iter().any(|u| text.contains(u))
}

/// The amount of the `AMOUNT` group with the name suffix `n`, in won.
fn amount(caps: &regex::Captures<'_>, n: &str) -> Option<f64> {
    let group = |name: &str| caps.name(&format!("{name}{n}")).map(|m| m.as_str());
    if let Some(num) = group("num") {
        let value: f64 = num.replace(',', "").parse().ok()?;
        return Some(match group("unit") {
            Some("천") | Some("k") => value * 1_000.0,
            _ => value,
        });
    }
    // `만` alone is ten thousand; `2만5천` is 25,000.
    let whole = caps.get(0)?.as_str();
    let man_written = if n.is_empty() {
        caps.name("a").is_some_and(|m| m.as_str().contains('만')) || whole.contains('만')
    } else {
        caps.name("b").is_some_and(|m| m.as_str().contains('만'))
    };
    if !man_written {
        return None;
    }
    let man: f64 = group("man").map_or(Some(1.0), |m| m.parse().ok())?;
    let cheon: f64 = group("cheon").map_or(Some(0.0), |c| c.parse().ok())?;
    Some(man * 10_000.0 + cheon * 1_000.0)
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    fn range(text: &str) -> (Option<f64>, Option<f64>) {
        let b = budget(text).unwrap_or_else(|| panic!("no budget in {text:?}"));
        (b.min, b.max)
    }

    #[test]
    fn korean_budgets() {
        assert_eq!(range("2만원 이하 선물 추천해 주세요"), (None, Some(20_000.0)));
        assert_eq!(range("3~4만원대 선물"), (Some(30_000.0), Some(49_999.0)));
        assert_eq!(range("5만원 이상"), (Some(50_000.0), None));
        assert_eq!(range("만원대 립밤"), (Some(10_000.0), Some(19_999.0)));
        assert_eq!(range("30,000원 미만으로"), (None, Some(30_000.0)));
        assert_eq!(range("2만5천원까지"), (None, Some(25_000.0)));
        assert_eq!(range("3만원 정도 되는 거"), (Some(21_000.0), Some(36_000.0)));
    }

    #[test]
    fn english_budgets() {
        assert_eq!(range("something below 40,000 won"), (None, Some(40_000.0)));
        assert_eq!(range("gift under 30k please"), (None, Some(30_000.0)));
        assert_eq!(range("under ₩25,000"), (None, Some(25_000.0)));
        assert_eq!(range("between 20,000 and 40,000 won"), (Some(20_000.0), Some(40_000.0)));
        assert_eq!(range("around 30000 won"), (Some(21_000.0), Some(36_000.0)));
        assert_eq!(range("50,000 won or less"), (None, Some(50_000.0)));
    }

    #[test]
    fn numbers_that_are_not_budgets() {
        assert_eq!(budget("주문번호 1003 취소해 주세요"), None);
        assert_eq!(budget("order 1001 please"), None);
        assert_eq!(budget("2개 주문했어요"), None);
        assert_eq!(budget("under 3 days"), None);
    }
}
