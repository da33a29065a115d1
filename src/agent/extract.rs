//! What the agent picks out of a message: an order number, an email address, a phone number.

/// An order number the customer typed: 3 to 10 digits, optionally after `#`, that is not part of
/// a phone number or a longer number.
pub fn order_number(text: &str) -> Option<String> {
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
    }
}
