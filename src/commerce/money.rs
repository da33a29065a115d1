//! Amounts of money, exact, with the text a customer should see.
//!
//! Stores send prices as decimal strings (`"39000.00"`, `"12.5"`); floating point would round them.
//! A [`Money`] keeps the amount in minor units of its currency (won have none, cents are 1/100 of
//! a dollar) and serializes three fields for templates: `amount` (`"39000"`, `"12.50"`),
//! `currency` (`"KRW"`) and `display` (`"₩39,000"`, `"$12.50"`), which is what replies print.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// An exact amount in one currency. Built only through [`Money::parse`] or [`Money::from_minor`],
/// so its display text always agrees with its amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Money {
    #[serde(skip)]
    minor: i64,
    /// The amount as a decimal string with the currency's usual decimals: `"39000"`, `"12.50"`.
    amount: String,
    /// ISO 4217 code, upper case: `"KRW"`, `"USD"`.
    currency: String,
    /// The amount as a customer reads it: `"₩39,000"`, `"$12.50"`, `"1,200.00 CAD"`.
    display: String,
}

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal number, or too large.
    #[error("{0:?} is not an amount of money")]
    Amount(String),
    /// Not a three-letter currency code.
    #[error("{0:?} is not a currency code")]
    Currency(String),
}

impl Money {
    /// An amount given as a decimal string in the currency's major unit (`"39000.00"` won).
    ///
    /// Digits beyond the currency's decimals are rounded half away from zero, so a store that
    /// writes won with two decimals (`"39000.00"`) still reads as whole won.
    pub fn parse(decimal: &str, currency: &str) -> Result<Self, MoneyError> {
        let currency = currency_code(currency)?;
        let bad = || MoneyError::Amount(decimal.to_owned());
        let text = decimal.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits_only = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || !digits_only(whole)
            || !digits_only(fraction)
            || (unsigned.contains('.') && fraction.is_empty())
        {
            return Err(bad());
        }
        let exponent = decimals(&currency);
        let mut minor: i64 = whole.parse().map_err(|_| bad())?;
        let fraction = fraction.as_bytes();
        for position in 0..exponent {
            let digit = fraction.get(position).map_or(0, |d| i64::from(d - b'0'));
            minor = minor.checked_mul(10).and_then(|m| m.checked_add(digit)).ok_or_else(bad)?;
        }
        if fraction.get(exponent).is_some_and(|d| *d >= b'5') {
            minor = minor.checked_add(1).ok_or_else(bad)?;
        }
        Ok(Self::build(if negative { -minor } else { minor }, currency))
    }

    /// An amount in minor units of the currency (won, cents).
    pub fn from_minor(minor: i64, currency: &str) -> Result<Self, MoneyError> {
        Ok(Self::build(minor, currency_code(currency)?))
    }

    fn build(minor: i64, currency: String) -> Self {
        let exponent = decimals(&currency);
        let scale = 10u64.pow(exponent as u32);
        let magnitude = minor.unsigned_abs();
        let whole = magnitude / scale;
        let fraction = if exponent == 0 { String::new() } else { format!(".{:0exponent$}", magnitude % scale) };
        let sign = if minor < 0 { "-" } else { "" };
        let amount = format!("{sign}{whole}{fraction}");
        let grouped = format!("{}{fraction}", group_thousands(whole));
        let display = match symbol(&currency) {
            Some(symbol) => format!("{sign}{symbol}{grouped}"),
            None => format!("{sign}{grouped} {currency}"),
        };
        Self { minor, amount, currency, display }
    }

    /// The amount in minor units (won, cents).
    pub fn minor_units(&self) -> i64 {
        self.minor
    }

    /// The amount as a decimal string with the currency's decimals.
    pub fn amount(&self) -> &str {
        &self.amount
    }

    /// The ISO 4217 currency code.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The text customers see: `"₩39,000"`.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn currency_code(code: &str) -> Result<String, MoneyError> {
    let code = code.trim();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(MoneyError::Currency(code.to_owned()))
    }
}

/// Decimal places in the currency's minor unit (ISO 4217); two unless listed.
fn decimals(currency: &str) -> usize {
    match currency {
        "KRW" | "JPY" | "VND" | "CLP" | "ISK" | "PYG" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "JOD" | "KWD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Symbols only where they are unambiguous for our customers; other currencies print their code.
fn symbol(currency: &str) -> Option<&'static str> {
    match currency {
        "KRW" => Some("₩"),
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(decimal: &str, currency: &str) -> (i64, String, String) {
        let money = Money::parse(decimal, currency).expect(decimal);
        (money.minor_units(), money.amount().to_owned(), money.display().to_owned())
    }

    #[test]
    fn won_have_no_decimals_and_group_by_thousands() {
        assert_eq!(shown("39000", "KRW"), (39000, "39000".into(), "₩39,000".into()));
        assert_eq!(shown("39000.00", "krw"), (39000, "39000".into(), "₩39,000".into()));
        assert_eq!(shown("1234567", "KRW"), (1234567, "1234567".into(), "₩1,234,567".into()));
        assert_eq!(shown("999.5", "KRW"), (1000, "1000".into(), "₩1,000".into()));
        assert_eq!(shown("0", "KRW"), (0, "0".into(), "₩0".into()));
    }

    #[test]
    fn dollars_keep_their_cents() {
        assert_eq!(shown("12.5", "USD"), (1250, "12.50".into(), "$12.50".into()));
        assert_eq!(shown("12.504", "USD"), (1250, "12.50".into(), "$12.50".into()));
        assert_eq!(shown("12.505", "USD"), (1251, "12.51".into(), "$12.51".into()));
        assert_eq!(shown("1200", "USD"), (120000, "1200.00".into(), "$1,200.00".into()));
        assert_eq!(shown("-3.07", "EUR"), (-307, "-3.07".into(), "-€3.07".into()));
        assert_eq!(shown("1200", "CAD"), (120000, "1200.00".into(), "1,200.00 CAD".into()));
        assert_eq!(shown("1.5", "KWD"), (1500, "1.500".into(), "1.500 KWD".into()));
    }

    #[test]
    fn minor_units_round_trip() {
        let money = Money::from_minor(4250, "USD").expect("valid");
        assert_eq!((money.amount(), money.currency(), money.to_string().as_str()), ("42.50", "USD", "$42.50"));
        assert_eq!(Money::from_minor(42000, "KRW").expect("valid").display(), "₩42,000");
    }

    #[test]
    fn rejects_what_is_not_money() {
        for bad in ["", "abc", "1,000", "1.", ".5", "1e3", "--1", "12.3.4", "99999999999999999999"] {
            assert_eq!(Money::parse(bad, "KRW"), Err(MoneyError::Amount(bad.to_owned())), "{bad:?}");
        }
        assert_eq!(Money::parse("1", " usd ").map(|m| m.currency().to_owned()), Ok("USD".to_owned()));
        assert_eq!(Money::parse("1", "₩"), Err(MoneyError::Currency("₩".into())));
        assert_eq!(Money::parse("1", "KRWX"), Err(MoneyError::Currency("KRWX".into())));
    }

    #[test]
    fn serializes_what_templates_print() {
        let json = serde_json::to_value(Money::parse("39000.00", "KRW").expect("valid")).expect("serializes");
        assert_eq!(json, serde_json::json!({"amount": "39000", "currency": "KRW", "display": "₩39,000"}));
    }
}
