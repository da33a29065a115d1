//! What a password must be: long enough, not the login, not a common one.
//!
//! Ten characters is the floor: it is what KISA's guidance asks of a password with two kinds of
//! characters (the usual case for Korean operators), it puts an offline guess of a leaked argon2
//! hash out of reach, and it is still short enough to type at the start of every shift. Length
//! alone does not stop `aaaaaaaaaa` or `password123`, so a password must also have a few different
//! characters and must not be on the list of common passwords shipped in
//! `common_passwords.txt` (made by rule; its header says how).

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::locale::Locale;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 10;
/// The most characters a password may have (argon2 takes any length; this bounds the work).
pub const MAX_CHARS: usize = 256;
/// The fewest different characters a password must use.
pub const MIN_DISTINCT: usize = 4;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Weakness {
    /// Fewer than [`MIN_CHARS`] or more than [`MAX_CHARS`] characters.
    #[error("password: use {MIN_CHARS} to {MAX_CHARS} characters")]
    Length,
    /// The password is the login or contains it.
    #[error("password: must not be or contain the login")]
    ContainsLogin,
    /// Fewer than [`MIN_DISTINCT`] different characters.
    #[error("password: use at least {MIN_DISTINCT} different characters")]
    Repetitive,
    /// On the list of common passwords.
    #[error("password: this password is too common; choose one that is harder to guess")]
    Common,
}

impl Weakness {
    /// The refusal in the reader's language.
    pub fn message(self, locale: Locale) -> String {
        match locale {
            Locale::En => self.to_string(),
            Locale::Ko => match self {
                Weakness::Length => format!("비밀번호: {MIN_CHARS}자 이상 {MAX_CHARS}자 이하로 정해 주세요"),
                Weakness::ContainsLogin => "비밀번호: 아이디와 같거나 아이디를 포함하면 안 됩니다".into(),
                Weakness::Repetitive => format!("비밀번호: 서로 다른 문자를 {MIN_DISTINCT}개 이상 써 주세요"),
                Weakness::Common => "비밀번호: 너무 흔한 비밀번호입니다. 추측하기 어려운 것으로 정해 주세요".into(),
            },
        }
    }
}

/// Checks `password` for the account whose login is `login`.
pub fn check(password: &str, login: &str) -> Result<(), Weakness> {
    let chars = password.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&chars) {
        return Err(Weakness::Length);
    }
    let lowered = password.to_lowercase();
    let login = login.to_lowercase();
    if !login.is_empty() && lowered.contains(&login) {
        return Err(Weakness::ContainsLogin);
    }
    if lowered.chars().collect::<HashSet<_>>().len() < MIN_DISTINCT {
        return Err(Weakness::Repetitive);
    }
    if COMMON.contains(lowered.as_str()) {
        return Err(Weakness::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audits_passwords_are_refused() {
        assert_eq!(check("aaaaaaaa", "kim"), Err(Weakness::Length));
        assert_eq!(check("password", "kim"), Err(Weakness::Length));
        assert_eq!(check("aaaaaaaaaa", "kim"), Err(Weakness::Repetitive));
        assert_eq!(check("Password123", "kim"), Err(Weakness::Common));
        assert_eq!(check("QWERTYUIOP", "kim"), Err(Weakness::Common));
        assert_eq!(check("sarang2026!", "kim"), Err(Weakness::Common));
        assert_eq!(check("agent.kim", "agent.kim"), Err(Weakness::Length));
        assert_eq!(check("agent.kim2026", "agent.kim"), Err(Weakness::ContainsLogin));
        assert_eq!(check("xxAGENT.KIMyy", "agent.kim"), Err(Weakness::ContainsLogin));
    }

    #[test]
    fn ordinary_good_passwords_pass() {
        assert_eq!(check("s3cret-pass", "agent.kim"), Ok(()));
        assert_eq!(check("봄비 내리는 오후 3시", "agent.kim"), Ok(()));
        assert_eq!(check(crate::secret::generate_password().expose(), "admin"), Ok(()));
    }

    #[test]
    fn the_list_is_loaded_lowercase_and_long_enough() {
        assert!(COMMON.len() > 3_000, "{}", COMMON.len());
        assert!(COMMON.iter().all(|p| p.chars().count() >= MIN_CHARS && p.to_lowercase() == *p));
    }

    #[test]
    fn every_refusal_reads_in_both_languages() {
        for w in [Weakness::Length, Weakness::ContainsLogin, Weakness::Repetitive, Weakness::Common] {
            assert!(w.message(Locale::En).starts_with("password:"));
            assert!(w.message(Locale::Ko).starts_with("비밀번호:"));
        }
    }
}
