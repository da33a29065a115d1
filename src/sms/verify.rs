//! Checking an SMS channel's settings against Twilio before it goes live.
//!
//! An operator gives an account SID, an auth token and the brand's phone number. The settings pass
//! only if Twilio accepts the credentials and says the number is on that account and can send and
//! receive SMS. The verdict is worded for the operator: a stable `reason` the console can key on and
//! a sentence that says what to fix. When Twilio cannot be asked, the verdict says so and nothing
//! else; a network blip must not take a working channel off the checklist.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::twilio::{TwilioAccount, TwilioClient, TwilioError};

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Verdict {
    /// The number is on the account and can send and receive SMS.
    Verified {
        /// The number's SID on Twilio, `PN…`.
        number_sid: String,
    },
    /// Twilio said no, or the settings can't work; `reason` is a stable code, `detail` plain words for an operator.
    Rejected {
        /// One of `alphanumeric_sender`, `invalid_number`, `invalid_account_sid`, `bad_credentials`,
        /// `account_not_found`, `number_not_found`, `not_sms_capable`, `twilio_refused`.
        reason: String,
        /// What is wrong and what to do about it.
        detail: String,
    },
    /// Twilio could not be asked (timeout, 5xx, 429, network); try again later. The previous verdict should stand.
    Unreachable {
        /// What happened, and when to try again.
        detail: String,
    },
}

/// What an operator reads when Twilio could not be asked, with Twilio's Retry-After if it sent one.
fn retry_hint(after: Option<std::time::Duration>) -> String {
    let when = after.map(|d| format!(" in {} seconds", d.as_secs().max(1))).unwrap_or_default();
    format!("try POST /v1/channels/sms/verify again{when}.")
}

/// Verifies `phone_number` on `account`; never fails, every outcome is a [`Verdict`].
#[tracing::instrument(skip_all, fields(account = %account.account_sid, phone = %phone_number))]
pub async fn verify(client: &TwilioClient, account: &TwilioAccount, phone_number: &str) -> Verdict {
    if let Err(verdict) = check_sender(phone_number) {
        return verdict;
    }
    if let Err(verdict) = check_account_sid(&account.account_sid) {
        return verdict;
    }
    let verdict = match client.incoming_number(account, phone_number).await {
        Ok(Some(number)) if number.sms_capable => Verdict::Verified { number_sid: number.sid },
        Ok(Some(_)) => rejected(
            "not_sms_capable",
            format!(
                "{phone_number} is on this Twilio account but cannot send or receive SMS (it is voice-only). \
                 Use an SMS-capable long code or toll-free number."
            ),
        ),
        Ok(None) => rejected(
            "number_not_found",
            format!(
                "{phone_number} is not a phone number on Twilio account {}. Check the number, or buy or port \
                 it into this account in the Twilio Console; a number on a subaccount needs that \
                 subaccount's SID and auth token.",
                account.account_sid
            ),
        ),
        Err(error) => from_error(&error, account),
    };
    tracing::info!(outcome = outcome(&verdict), "SMS channel verified against Twilio");
    verdict
}

/// The checks that need no network: `phone_number` must be an E.164 number, not a sender name.
pub fn check_sender(phone_number: &str) -> Result<(), Verdict> {
    if phone_number.chars().any(char::is_alphabetic) {
        return Err(rejected(
            "alphanumeric_sender",
            format!(
                "{phone_number:?} is an alphanumeric sender ID. Those can only send: customers cannot reply \
                 to them, so the agent could never hear back. Use a two-way long code or toll-free number \
                 in E.164 form, such as +15551234567."
            ),
        ));
    }
    if !is_e164(phone_number) {
        return Err(rejected(
            "invalid_number",
            format!(
                "{phone_number:?} is not a phone number in E.164 form. Write it as + then the country code \
                 and number, digits only, such as +15551234567."
            ),
        ));
    }
    Ok(())
}

/// `+`, a country code that does not start with 0, and 7 to 15 digits in all.
fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

fn check_account_sid(sid: &str) -> Result<(), Verdict> {
    let well_formed = sid.len() == 34 && sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed {
        return Ok(());
    }
    Err(rejected(
        "invalid_account_sid",
        format!(
            "{sid:?} is not a Twilio account SID. It is AC followed by 32 hexadecimal characters; copy it \
             from the Account Info panel of the Twilio Console."
        ),
    ))
}

fn from_error(error: &TwilioError, account: &TwilioAccount) -> Verdict {
    let sid = &account.account_sid;
    match error {
        TwilioError::Api { status: 401, .. } | TwilioError::Api { code: Some(20003), .. } => rejected(
            "bad_credentials",
            format!(
                "Twilio did not accept the account SID {sid} with this auth token (HTTP 401, error 20003). \
                 Copy both again from the Twilio Console; if the token was rotated, use the new primary \
                 auth token."
            ),
        ),
        TwilioError::Api { status: 404, .. } | TwilioError::Api { code: Some(20404), .. } => rejected(
            "account_not_found",
            format!(
                "Twilio has no account {sid} that these credentials can see (HTTP 404). Check the account \
                 SID; a subaccount has its own SID and auth token."
            ),
        ),
        TwilioError::Timeout => unreachable(format!("Twilio did not answer in time; {}", retry_hint(None))),
        TwilioError::Transport(why) => {
            unreachable(format!("Twilio could not be reached ({why}); {}", retry_hint(None)))
        }
        TwilioError::BadResponse(why) => {
            unreachable(format!("Twilio answered in a form sangdam could not read ({why}); {}", retry_hint(None)))
        }
        error if error.is_retryable() => {
            unreachable(format!("Twilio is busy or failing right now ({error}); {}", retry_hint(error.retry_after())))
        }
        error => rejected(
            "twilio_refused",
            format!("Twilio refused the check for account {sid}: {error}. Fix what it names, then verify again."),
        ),
    }
}

fn rejected(reason: &str, detail: String) -> Verdict {
    Verdict::Rejected { reason: reason.to_owned(), detail }
}

fn unreachable(detail: String) -> Verdict {
    Verdict::Unreachable { detail }
}

fn outcome(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Verified { .. } => "verified",
        Verdict::Rejected { reason, .. } => reason,
        Verdict::Unreachable { .. } => "unreachable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<(), Verdict>) -> Option<String> {
        match result {
            Err(Verdict::Rejected { reason, .. }) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn e164_numbers_pass() {
        for number in ["+15551234567", "+821012345678", "+4420794600", "+123456789012345"] {
            assert_eq!(check_sender(number), Ok(()), "{number}");
        }
    }

    #[test]
    fn sender_names_are_not_two_way() {
        for name in ["MYBRAND", "Acme-Co", "+1555CALLNOW", "브랜드"] {
            assert_eq!(reason(check_sender(name)).as_deref(), Some("alphanumeric_sender"), "{name}");
        }
        let Err(Verdict::Rejected { detail, .. }) = check_sender("MYBRAND") else { panic!("not rejected") };
        assert!(detail.contains("\"MYBRAND\"") && detail.contains("reply") && detail.contains("toll-free"));
    }

    #[test]
    fn other_shapes_are_invalid_numbers() {
        for number in [
            "",
            "15551234567",
            "+1 555 123 4567",
            "+1-555-123-4567",
            "+0123456789",
            "+12345",
            "+1234567890123456",
            "12345",
        ] {
            assert_eq!(reason(check_sender(number)).as_deref(), Some("invalid_number"), "{number:?}");
        }
    }

    #[test]
    fn account_sids_are_ac_and_32_hex() {
        assert_eq!(check_account_sid("AC0123456789abcdef0123456789ABCDEF"), Ok(()));
        for sid in [
            "",
            "AC123",
            "ac0123456789abcdef0123456789abcdef",
            "AC0123456789abcdef0123456789abcdeg",
            "SK0123456789abcdef0123456789abcdef",
            "AC0123456789abcdef0123456789abcdef0",
        ] {
            assert_eq!(reason(check_account_sid(sid)).as_deref(), Some("invalid_account_sid"), "{sid:?}");
        }
    }

    #[test]
    fn verdicts_serialize_with_an_outcome_tag() {
        let json = serde_json::to_value(Verdict::Verified { number_sid: "PN1".into() }).expect("json");
        assert_eq!(json, serde_json::json!({"outcome": "verified", "number_sid": "PN1"}));
        let json = serde_json::to_value(rejected("invalid_number", "x".into())).expect("json");
        assert_eq!(json, serde_json::json!({"outcome": "rejected", "reason": "invalid_number", "detail": "x"}));
        let back: Verdict =
            serde_json::from_value(serde_json::json!({"outcome": "unreachable", "detail": "d"})).expect("json");
        assert_eq!(back, unreachable("d".into()));
    }
}
