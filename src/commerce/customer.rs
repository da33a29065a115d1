//! Who is asking: the email address or phone number an order must belong to.
//!
//! Customers type contact details loosely: `Happy@Example.com `, `010-1234-5678`,
//! `+82 10 1234 5678`, `+82 010-1234-5678`. Emails compare trimmed and case-insensitively. Phones
//! compare on their digits; a number written without a country code (a leading trunk `0`, as in
//! `010…`) matches the same number written with one (`+82 10…`). Two numbers both written with
//! different country codes never match. Anything too short to be a phone number matches nothing,
//! so an empty or sloppy key can never unlock someone's order.

use std::fmt;

/// The contact detail a customer gave to prove an order is theirs.
#[derive(Clone, PartialEq, Eq)]
pub enum CustomerKey {
    /// An email address.
    Email(String),
    /// A phone number in any common notation.
    Phone(String),
}

/// Fewer digits than this cannot identify a phone line.
const MIN_PHONE_DIGITS: usize = 7;

impl CustomerKey {
    /// The key a customer's free text holds: an email when it has an `@`, a phone number when it
    /// is digits with the usual separators; `None` otherwise.
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim();
        if input.contains('@') {
            return normalize_email(input).map(|_| CustomerKey::Email(input.to_owned()));
        }
        let phone_like = input.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        (phone_like && Phone::parse(input).is_some()).then(|| CustomerKey::Phone(input.to_owned()))
    }

    /// Whether this key is the email address `email`.
    pub fn matches_email(&self, email: &str) -> bool {
        match self {
            CustomerKey::Email(mine) => {
                normalize_email(mine).is_some_and(|mine| normalize_email(email).is_some_and(|theirs| mine == theirs))
            }
            CustomerKey::Phone(_) => false,
        }
    }

    /// Whether this key is the phone number `phone`.
    pub fn matches_phone(&self, phone: &str) -> bool {
        match self {
            CustomerKey::Phone(mine) => {
                Phone::parse(mine).zip(Phone::parse(phone)).is_some_and(|(mine, theirs)| mine.same_line(&theirs))
            }
            CustomerKey::Email(_) => false,
        }
    }

    /// Whether this key is any of the given contact details (missing ones are skipped).
    pub fn matches_any<'a>(
        &self,
        emails: impl IntoIterator<Item = Option<&'a str>>,
        phones: impl IntoIterator<Item = Option<&'a str>>,
    ) -> bool {
        emails.into_iter().flatten().any(|email| self.matches_email(email))
            || phones.into_iter().flatten().any(|phone| self.matches_phone(phone))
    }

    /// The email address trimmed and lower-cased, if this is a usable email key.
    pub fn normalized_email(&self) -> Option<String> {
        match self {
            CustomerKey::Email(email) => normalize_email(email),
            CustomerKey::Phone(_) => None,
        }
    }

    /// The phone number in E.164 (`+821012345678`), assuming `default_country` (calling code,
    /// `"82"`) for a number written with a trunk `0`; `None` for email keys, unusable numbers and
    /// numbers whose country cannot be told.
    pub fn e164(&self, default_country: &str) -> Option<String> {
        match self {
            CustomerKey::Phone(phone) => match Phone::parse(phone)? {
                Phone::International(digits) => Some(format!("+{digits}")),
                Phone::National(digits) => Some(format!("+{default_country}{digits}")),
                Phone::Bare(_) => None,
            },
            CustomerKey::Email(_) => None,
        }
    }

    /// A form safe for logs: `h***@example.com`, `***5678`.
    pub fn masked(&self) -> String {
        match self {
            CustomerKey::Email(email) => match email.trim().split_once('@') {
                Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
                None => "***".to_owned(),
            },
            CustomerKey::Phone(phone) => {
                let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
                let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
                format!("***{tail}")
            }
        }
    }
}

/// Debug prints the masked form: keys end up in traces, and contact details must not.
impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerKey::Email(_) => write!(f, "Email({})", self.masked()),
            CustomerKey::Phone(_) => write!(f, "Phone({})", self.masked()),
        }
    }
}

fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible =
        !local.is_empty() && domain.contains('.') && !domain.contains('@') && !email.chars().any(char::is_whitespace);
    plausible.then_some(email)
}

/// A phone number's digits, by how it was written.
#[derive(Debug, PartialEq)]
enum Phone {
    /// Written with `+` or `00`: country code and number.
    International(String),
    /// Written with a trunk `0` (`010…`): the number without the `0`, country unknown.
    National(String),
    /// Neither: either a national number without its `0` or a country code without `+`.
    Bare(String),
}

impl Phone {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let phone = if text.starts_with('+') {
            Phone::International(digits)
        } else if let Some(rest) = digits.strip_prefix("00") {
            Phone::International(rest.to_owned())
        } else if let Some(rest) = digits.strip_prefix('0') {
            Phone::National(rest.to_owned())
        } else {
            Phone::Bare(digits)
        };
        let phone = match phone {
            // Koreans often keep the trunk zero after the country code: +82 010-1234-5678.
            Phone::International(digits) if digits.starts_with("820") => {
                Phone::International(format!("82{}", &digits[3..]))
            }
            other => other,
        };
        (phone.digits().len() >= MIN_PHONE_DIGITS && phone.digits().len() <= 15).then_some(phone)
    }

    fn digits(&self) -> &str {
        match self {
            Phone::International(d) | Phone::National(d) | Phone::Bare(d) => d,
        }
    }

    fn same_line(&self, other: &Phone) -> bool {
        use Phone::{Bare, International, National};
        match (self, other) {
            (International(a), International(b)) => a == b,
            (International(full), National(local) | Bare(local))
            | (National(local) | Bare(local), International(full)) => {
                full == local || ends_after_country_code(full, local)
            }
            (National(a), National(b)) | (Bare(a), Bare(b)) | (National(a), Bare(b)) | (Bare(a), National(b)) => {
                a == b || ends_after_country_code(a, b) || ends_after_country_code(b, a)
            }
        }
    }
}

/// Whether `full` is `local` with a one-to-three digit country code in front.
fn ends_after_country_code(full: &str, local: &str) -> bool {
    full.len() > local.len() && full.len() - local.len() <= 3 && full.ends_with(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(s: &str) -> CustomerKey {
        CustomerKey::Phone(s.to_owned())
    }

    #[test]
    fn emails_compare_trimmed_and_case_insensitively() {
        let key = CustomerKey::Email(" Happy@Example.COM ".into());
        assert!(key.matches_email("happy@example.com"));
        assert!(!key.matches_email("happy@example.co"));
        assert!(!key.matches_email("unhappy@example.com"));
        assert!(!key.matches_phone("happy@example.com"));
        assert!(!CustomerKey::Email("".into()).matches_email(""));
        assert!(!CustomerKey::Email("@".into()).matches_email("@"));
        assert_eq!(key.normalized_email().as_deref(), Some("happy@example.com"));
    }

    #[test]
    fn korean_numbers_with_or_without_the_country_code() {
        let stored = "+82 10-1234-5678";
        for typed in ["010-1234-5678", "01012345678", "+82 10 1234 5678", "+821012345678", "0082-10-1234-5678"] {
            assert!(phone(typed).matches_phone(stored), "{typed}");
            assert!(phone(stored).matches_phone(typed), "{typed} reversed");
        }
        assert!(phone("+82 010-1234-5678").matches_phone(stored));
        assert!(phone("821012345678").matches_phone(stored));
        assert!(phone("010-1234-5678").matches_phone("010 1234 5678"));
    }

    #[test]
    fn different_numbers_or_countries_do_not_match() {
        assert!(!phone("010-1234-5679").matches_phone("+82 10-1234-5678"));
        assert!(!phone("+1 10-1234-5678").matches_phone("+82 10-1234-5678"));
        assert!(!phone("5678").matches_phone("5678"));
        assert!(!phone("").matches_phone(""));
        assert!(!phone("1234-5678").matches_phone("+82 10-1234-5678"), "a suffix alone is not the number");
        assert!(!phone("010-1234-5678").matches_email("010-1234-5678"));
    }

    #[test]
    fn parses_free_text_into_a_key() {
        assert_eq!(CustomerKey::parse(" happy@example.com "), Some(CustomerKey::Email("happy@example.com".into())));
        assert_eq!(CustomerKey::parse("010-1234-5678"), Some(phone("010-1234-5678")));
        assert_eq!(CustomerKey::parse("+82 (10) 1234.5678"), Some(phone("+82 (10) 1234.5678")));
        assert_eq!(CustomerKey::parse("주문 1001"), None);
        assert_eq!(CustomerKey::parse("1001"), None);
        assert_eq!(CustomerKey::parse("a@b"), None);
    }

    #[test]
    fn e164_assumes_the_default_country_for_trunk_numbers() {
        assert_eq!(phone("010-1234-5678").e164("82").as_deref(), Some("+821012345678"));
        assert_eq!(phone("+82 010 1234 5678").e164("1").as_deref(), Some("+821012345678"));
        assert_eq!(phone("1012345678").e164("82"), None);
        assert_eq!(CustomerKey::Email("a@b.c".into()).e164("82"), None);
    }

    #[test]
    fn debug_and_masked_hide_the_details() {
        let email = CustomerKey::Email("happy@example.com".into());
        assert_eq!(format!("{email:?}"), "Email(h***@example.com)");
        assert_eq!(format!("{:?}", phone("+82 10-1234-5678")), "Phone(***5678)");
        assert_eq!(phone("12").masked(), "***12");
    }
}
