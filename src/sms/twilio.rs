//! A small client for the two Twilio REST calls the engine makes (API version 2010-04-01).
//!
//! It looks up a phone number on an account, to verify a channel's settings, and sends a text.
//! Requests authenticate with HTTP Basic (account SID and auth token). Twilio reports a failure as
//! an HTTP status plus a JSON body carrying its own numeric error code, which is what callers
//! decide on: 20003 wrong credentials, 20404 no such resource, 20429 too many concurrent requests,
//! 21211 an invalid `To`, 21610 the customer has opted out. The auth token never reaches a log:
//! it is a [`Secret`] and is only read to build the Authorization header.
//!
//! Where the API lives is configuration (`SANGDAM_TWILIO_API_BASE`), never a channel setting: a
//! manager cannot send the stored auth token anywhere else. Calls go through the outbound guard.

use std::time::Duration;

use chrono::Utc;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::outbound::{Outbound, OutboundError};
use crate::secret::Secret;

/// The account a channel sends through.
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    /// The account SID, `AC` followed by 32 hex digits; also the Basic auth user name.
    pub account_sid: String,
    /// The account's auth token, the Basic auth password and the webhook signing key.
    pub auth_token: Secret,
}

/// An HTTP client for Twilio's REST API; cheap to clone, and meant to be shared.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    /// Where the API lives, `https://api.twilio.com` in production; tests point it at a mock.
    api_base: String,
    outbound: Outbound,
}

/// A number on the account, as far as the SMS channel cares.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingNumber {
    /// The number's SID, `PN…`.
    pub sid: String,
    /// The number in E.164 form.
    pub phone_number: String,
    /// The label set in the Twilio Console, if any.
    pub friendly_name: Option<String>,
    /// Whether the number can send and receive SMS (`capabilities.sms`).
    pub sms_capable: bool,
}

/// A text to send.
#[derive(Debug, Clone, Copy)]
pub struct OutboundSms<'a> {
    /// Our Twilio number, E.164.
    pub from: &'a str,
    /// The customer's number, E.164.
    pub to: &'a str,
    /// The text; Twilio accepts up to 1,600 characters.
    pub body: &'a str,
    /// Where Twilio should post delivery status changes, if anywhere.
    pub status_callback: Option<&'a str>,
}

/// Twilio's answer to a send: the message is accepted, not yet delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    /// The message SID, `SM…`; status callbacks name it.
    pub sid: String,
    /// Usually `queued`; delivery is reported later through the status callback.
    pub status: String,
    /// The segments Twilio will bill, when it says.
    pub segments: Option<u32>,
}

/// Why a Twilio call failed.
#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    /// Twilio answered with an error: HTTP status, Twilio's error code (e.g. 20003, 20429, 21610,
    /// 21211), its message, and Retry-After when sent.
    #[error("Twilio answered HTTP {status}{}: {message}", code_suffix(*.code))]
    Api { status: u16, code: Option<i64>, message: String, retry_after: Option<Duration> },
    /// The request timed out, connecting or waiting for the answer.
    #[error("Twilio did not answer in time")]
    Timeout,
    /// The request could not be made or the answer not read: DNS, connection, TLS.
    #[error("could not reach Twilio: {0}")]
    Transport(String),
    /// Twilio said yes but with a body we cannot read.
    #[error("unreadable answer from Twilio: {0}")]
    BadResponse(String),
}

fn code_suffix(code: Option<i64>) -> String {
    code.map(|code| format!(" (error {code})")).unwrap_or_default()
}

impl TwilioError {
    /// Twilio's own error code, when it gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            TwilioError::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// How long Twilio asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TwilioError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// 429, 5xx, code 20429, timeouts and transport errors are worth retrying; 4xx otherwise are not.
    ///
    /// An unreadable success is not: the request went through, and sending it again could send
    /// the text twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            TwilioError::Api { status, code, .. } => *status == 429 || *status >= 500 || *code == Some(20429),
            TwilioError::Timeout | TwilioError::Transport(_) => true,
            TwilioError::BadResponse(_) => false,
        }
    }
}

impl TwilioClient {
    /// A client for the API at `api_base` whose connect and whole-request time are each bounded
    /// by `timeout`, calling through `outbound`.
    pub fn new(timeout: Duration, api_base: &str, outbound: &Outbound) -> Self {
        let builder = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("sangdam/", env!("CARGO_PKG_VERSION")));
        let http = outbound.client(builder, true).expect("an HTTP client with fixed settings builds");
        Self { http, api_base: api_base.trim_end_matches('/').to_owned(), outbound: outbound.clone() }
    }

    /// Where the API lives.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The number `phone` (E.164) on the account, or `None` when the account has no such number.
    ///
    /// `GET {api_base}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json?PhoneNumber={phone}`.
    /// Twilio's filter also matches partial numbers, so only an exact match is returned.
    #[tracing::instrument(skip_all, fields(account = %account.account_sid, phone = %phone))]
    pub async fn incoming_number(
        &self,
        account: &TwilioAccount,
        phone: &str,
    ) -> Result<Option<IncomingNumber>, TwilioError> {
        let url = account_url(&self.api_base, account, "IncomingPhoneNumbers.json")?;
        let request = self.http.get(url).query(&[("PhoneNumber", phone)]);
        let list: NumberList = self.send(authorize(request, account)).await?;
        Ok(list.incoming_phone_numbers.into_iter().find(|number| number.phone_number == phone).map(|number| {
            IncomingNumber {
                sid: number.sid,
                phone_number: number.phone_number,
                friendly_name: number.friendly_name,
                sms_capable: number.capabilities.sms.unwrap_or(false),
            }
        }))
    }

    /// Sends a text: `POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json` with the form fields
    /// `To`, `From`, `Body` and, when given, `StatusCallback`.
    ///
    /// Twilio has no idempotency key for this call: after a timeout the text may or may not have
    /// been accepted.
    #[tracing::instrument(skip_all, fields(account = %account.account_sid))]
    pub async fn send_message(
        &self,
        account: &TwilioAccount,
        sms: &OutboundSms<'_>,
    ) -> Result<SentMessage, TwilioError> {
        let url = account_url(&self.api_base, account, "Messages.json")?;
        let mut form = vec![("To", sms.to), ("From", sms.from), ("Body", sms.body)];
        if let Some(callback) = sms.status_callback {
            form.push(("StatusCallback", callback));
        }
        let request = self.http.post(url).form(&form);
        let message: MessageRecord = self.send(authorize(request, account)).await?;
        let segments = message.num_segments.as_ref().and_then(number_from_json).and_then(|n| u32::try_from(n).ok());
        Ok(SentMessage { sid: message.sid, status: message.status, segments })
    }

    /// Sends the request through the guard and reads a success body as `T`, or Twilio's error.
    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, TwilioError> {
        let host =
            crate::outbound::host_of(&Url::parse(&self.api_base).map_err(|e| TwilioError::Transport(e.to_string()))?);
        let response = self.outbound.send(request).await.map_err(transport)?;
        let status = response.status();
        let retry_after = crate::retry_after::parse(response.headers(), Utc::now());
        let body = response.text().await.map_err(|e| transport(crate::outbound::describe(&e, &host)))?;
        if !status.is_success() {
            let error = api_error(status, retry_after, &body);
            tracing::debug!(status = status.as_u16(), code = ?error.code(), "Twilio refused the request");
            return Err(error);
        }
        serde_json::from_str(&body)
            .map_err(|e| TwilioError::BadResponse(format!("HTTP {status} with a body that does not parse: {e}")))
    }
}

/// `{api_base}/2010-04-01/Accounts/{sid}/{resource}`, the SID percent-encoded where needed.
fn account_url(api_base: &str, account: &TwilioAccount, resource: &str) -> Result<Url, TwilioError> {
    let unusable = |why: &str| TwilioError::Transport(format!("the Twilio API base {api_base:?} {why}"));
    let mut url = Url::parse(api_base).map_err(|e| unusable(&format!("is not a URL: {e}")))?;
    url.path_segments_mut().map_err(|()| unusable("cannot take a path"))?.pop_if_empty().extend([
        "2010-04-01",
        "Accounts",
        &account.account_sid,
        resource,
    ]);
    Ok(url)
}

fn authorize(request: reqwest::RequestBuilder, account: &TwilioAccount) -> reqwest::RequestBuilder {
    request.basic_auth(&account.account_sid, Some(account.auth_token.expose())).header("Accept", "application/json")
}

fn transport(error: OutboundError) -> TwilioError {
    match error {
        OutboundError::Timeout(_) => TwilioError::Timeout,
        other => TwilioError::Transport(other.to_string()),
    }
}

/// Twilio's JSON error body; any other body still yields an error named after the status.
fn api_error(status: StatusCode, retry_after: Option<Duration>, body: &str) -> TwilioError {
    #[derive(Deserialize)]
    struct ErrorBody {
        code: Option<serde_json::Value>,
        message: Option<String>,
    }
    let parsed = serde_json::from_str::<ErrorBody>(body).ok();
    let code = parsed.as_ref().and_then(|b| b.code.as_ref()).and_then(number_from_json);
    let message = parsed.and_then(|b| b.message).filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or("error")).trim_end().to_owned()
    });
    TwilioError::Api { status: status.as_u16(), code, message, retry_after }
}

/// Twilio sends some numbers as JSON strings (`"num_segments": "2"`) and others as numbers.
fn number_from_json(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(Deserialize)]
struct NumberList {
    incoming_phone_numbers: Vec<NumberRecord>,
}

#[derive(Deserialize)]
struct NumberRecord {
    sid: String,
    phone_number: String,
    #[serde(default)]
    friendly_name: Option<String>,
    #[serde(default)]
    capabilities: Capabilities,
}

#[derive(Deserialize, Default)]
struct Capabilities {
    /// Lower case on IncomingPhoneNumbers; the AvailablePhoneNumbers resource spells it `SMS`.
    #[serde(default, alias = "SMS")]
    sms: Option<bool>,
}

#[derive(Deserialize)]
struct MessageRecord {
    sid: String,
    status: String,
    #[serde(default)]
    num_segments: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_json_or_not() {
        let body = r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#;
        let error = api_error(StatusCode::UNAUTHORIZED, None, body);
        assert_eq!(error.code(), Some(20003));
        assert_eq!(error.to_string(), "Twilio answered HTTP 401 (error 20003): Authenticate");
        assert!(!error.is_retryable());

        let error = api_error(StatusCode::BAD_GATEWAY, None, "<html>Bad Gateway</html>");
        assert_eq!(error.code(), None);
        assert_eq!(error.to_string(), "Twilio answered HTTP 502: HTTP 502 Bad Gateway");
        assert!(error.is_retryable());

        let error = api_error(StatusCode::BAD_REQUEST, None, r#"{"code": "21610", "message": ""}"#);
        assert_eq!(error.code(), Some(21610));
        assert_eq!(error.to_string(), "Twilio answered HTTP 400 (error 21610): HTTP 400 Bad Request");
    }

    #[test]
    fn retryable_kinds() {
        let api = |status: u16, code: Option<i64>| TwilioError::Api {
            status,
            code,
            message: String::new(),
            retry_after: None,
        };
        assert!(api(429, None).is_retryable());
        assert!(api(503, None).is_retryable());
        assert!(api(400, Some(20429)).is_retryable());
        assert!(!api(400, Some(21211)).is_retryable());
        assert!(!api(404, Some(20404)).is_retryable());
        assert!(TwilioError::Timeout.is_retryable());
        assert!(TwilioError::Transport("refused".into()).is_retryable());
        assert!(!TwilioError::BadResponse("junk".into()).is_retryable());
        assert_eq!(TwilioError::Timeout.code(), None);
    }

    #[test]
    fn account_urls_keep_the_base_path_and_encode_the_sid() {
        let account = |sid: &str| TwilioAccount { account_sid: sid.to_owned(), auth_token: Secret::new("t") };
        let url = account_url("https://api.twilio.com", &account("AC1"), "Messages.json").expect("url");
        assert_eq!(url.as_str(), "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
        let url = account_url("http://proxy.local/twilio/", &account("AC1"), "Messages.json").expect("url");
        assert_eq!(url.as_str(), "http://proxy.local/twilio/2010-04-01/Accounts/AC1/Messages.json");
        let url = account_url("https://api.twilio.com", &account("AC/../x?y"), "Messages.json").expect("url");
        assert_eq!(url.path(), "/2010-04-01/Accounts/AC%2F..%2Fx%3Fy/Messages.json");
        assert!(matches!(account_url("not a url", &account("AC1"), "Messages.json"), Err(TwilioError::Transport(_))));
    }
}
