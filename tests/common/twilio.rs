//! A mock Twilio for the engine's tests: answers shaped like Twilio's documented responses.

#![allow(dead_code)]

use std::sync::Arc;

use sangdam::clock::SystemClock;
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

use super::{Backend, TestApp};

/// A mock Twilio and a server configured to call it: the API base is configuration
/// (`twilio_api_base`), never a channel setting.
pub async fn spawn_app(backend: Backend) -> Option<(TestApp, MockServer)> {
    let twilio = MockServer::start().await;
    let uri = twilio.uri();
    let app = TestApp::spawn_with(backend, Arc::new(SystemClock), move |c| c.twilio_api_base = uri).await?;
    Some((app, twilio))
}

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "f1e2d3c4b5a69788796a5b4c3d2e1f00";
pub const NUMBER: &str = "+15551234567";
pub const NUMBERS_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json";
pub const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

/// The IncomingPhoneNumbers list answer holding `phone` (or nothing when `None`).
pub fn numbers(phone: Option<&str>, sms_capable: bool) -> ResponseTemplate {
    let records: Vec<Value> = phone
        .map(|phone| {
            json!({
                "account_sid": SID,
                "capabilities": {"fax": false, "mms": sms_capable, "sms": sms_capable, "voice": true},
                "friendly_name": "(555) 123-4567",
                "phone_number": phone,
                "sid": "PN0123456789abcdef0123456789abcdef",
                "status": "in-use",
            })
        })
        .into_iter()
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "incoming_phone_numbers": records,
        "page": 0,
        "page_size": 50,
        "next_page_uri": null,
    }))
}

/// Twilio's error body.
pub fn error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

/// The Messages create answer: 201, queued.
pub fn message_created(sid: &str, to: &str, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "account_sid": SID,
        "body": body,
        "direction": "outbound-api",
        "from": NUMBER,
        "num_segments": "1",
        "sid": sid,
        "status": "queued",
        "to": to,
    }))
}

/// The Messages endpoint: 201 with a fresh SID per text (`SM` and a 32-digit hex counter from 1).
pub struct Messages(pub std::sync::atomic::AtomicUsize);

impl Messages {
    pub fn new() -> Self {
        Self(std::sync::atomic::AtomicUsize::new(0))
    }

    /// The SID of the `n`th text accepted (from 1).
    pub fn sid(n: usize) -> String {
        format!("SM{n:032x}")
    }
}

impl wiremock::Respond for Messages {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&request.body).unwrap_or_default();
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        message_created(&Self::sid(n), &field("To"), &field("Body"))
    }
}
