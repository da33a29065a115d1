//! The Twilio client and the channel check against a mock Twilio that answers as Twilio documents.

use std::time::{Duration, Instant};

use sangdam::outbound::{AllowList, Outbound};
use sangdam::secret::Secret;
use sangdam::sms::twilio::{IncomingNumber, OutboundSms, SentMessage, TwilioAccount, TwilioClient, TwilioError};
use sangdam::sms::verify::{self, Verdict};
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f1e2d3c4b5a69788796a5b4c3d2e1f00";
const NUMBER: &str = "+15551234567";
const NUMBERS_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

fn account() -> TwilioAccount {
    TwilioAccount { account_sid: SID.to_owned(), auth_token: Secret::new(TOKEN) }
}

/// The guard of the test servers: the mocks listen on loopback.
fn outbound() -> Outbound {
    Outbound::new(AllowList::parse("127.0.0.1/32").expect("allow list"))
}

/// A client for the mock Twilio at `server` (the API base is the client's configuration).
fn client(server: &MockServer) -> TwilioClient {
    TwilioClient::new(Duration::from_millis(300), &server.uri(), &outbound())
}

/// One IncomingPhoneNumber record, trimmed of the fields nobody reads but shaped like Twilio's.
fn number_record(phone: &str, sms: bool) -> Value {
    json!({
        "account_sid": SID,
        "address_requirements": "none",
        "api_version": "2010-04-01",
        "beta": false,
        "capabilities": {"fax": false, "mms": sms, "sms": sms, "voice": true},
        "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
        "date_updated": "Thu, 30 Jul 2015 23:19:04 +0000",
        "friendly_name": "(555) 123-4567",
        "phone_number": phone,
        "sid": "PN0123456789abcdef0123456789abcdef",
        "sms_method": "POST",
        "sms_url": "https://sangdam.example/v1/twilio/sms",
        "status": "in-use",
        "uri": format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/PN0123456789abcdef0123456789abcdef.json"),
    })
}

/// A page of the IncomingPhoneNumbers list.
fn number_page(records: Vec<Value>) -> Value {
    json!({
        "end": records.len().saturating_sub(1),
        "first_page_uri": format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15551234567&PageSize=50&Page=0"),
        "incoming_phone_numbers": records,
        "next_page_uri": null,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": null,
        "start": 0,
        "uri": format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15551234567&PageSize=50&Page=0"),
    })
}

fn twilio_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

async fn mock_numbers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path(NUMBERS_PATH)).respond_with(response).mount(server).await;
}

async fn mock_messages(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST")).and(path(MESSAGES_PATH)).respond_with(response).mount(server).await;
}

fn sms<'a>(callback: Option<&'a str>) -> OutboundSms<'a> {
    OutboundSms {
        from: NUMBER,
        to: "+15557654321",
        body: "주문하신 상품이 출고되었습니다 & more",
        status_callback: callback,
    }
}

fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).expect("a form body")
}

#[tokio::test]
async fn incoming_number_asks_for_the_number_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .and(query_param("PhoneNumber", NUMBER))
        .and(basic_auth(SID, TOKEN))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(number_page(vec![number_record(NUMBER, true)])))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server).incoming_number(&account(), NUMBER).await.expect("found");
    assert_eq!(
        found,
        Some(IncomingNumber {
            sid: "PN0123456789abcdef0123456789abcdef".into(),
            phone_number: NUMBER.into(),
            friendly_name: Some("(555) 123-4567".into()),
            sms_capable: true,
        })
    );
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests[0].url.query(), Some("PhoneNumber=%2B15551234567"), "the + must be escaped");
    let agent = requests[0].headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(agent.starts_with("sangdam/"), "{agent}");
}

#[tokio::test]
async fn incoming_number_is_none_for_an_empty_list_or_only_partial_matches() {
    let server = MockServer::start().await;
    mock_numbers(&server, ResponseTemplate::new(200).set_body_json(number_page(vec![]))).await;
    assert_eq!(client(&server).incoming_number(&account(), NUMBER).await.expect("answered"), None);

    let server = MockServer::start().await;
    let partial = number_page(vec![number_record("+155512345678", true)]);
    mock_numbers(&server, ResponseTemplate::new(200).set_body_json(partial)).await;
    assert_eq!(client(&server).incoming_number(&account(), NUMBER).await.expect("answered"), None);
}

#[tokio::test]
async fn wrong_credentials_are_error_20003() {
    let server = MockServer::start().await;
    mock_numbers(&server, twilio_error(401, 20003, "Authenticate")).await;
    let error = client(&server).incoming_number(&account(), NUMBER).await.expect_err("refused");
    assert!(
        matches!(&error, TwilioError::Api { status: 401, code: Some(20003), message, retry_after: None } if message == "Authenticate"),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn send_message_posts_the_form_and_reads_the_message() {
    let server = MockServer::start().await;
    let created = json!({
        "account_sid": SID,
        "api_version": "2010-04-01",
        "body": "주문하신 상품이 출고되었습니다 & more",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": null,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": NUMBER,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": "SM0123456789abcdef0123456789abcdef",
        "status": "queued",
        "subresource_uris": {"media": format!("/2010-04-01/Accounts/{SID}/Messages/SM0123456789abcdef0123456789abcdef/Media.json")},
        "to": "+15557654321",
        "uri": format!("/2010-04-01/Accounts/{SID}/Messages/SM0123456789abcdef0123456789abcdef.json"),
    });
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created))
        .expect(2)
        .mount(&server)
        .await;

    let callback = "https://sangdam.example/v1/twilio/status?ws=1";
    let sent = client(&server).send_message(&account(), &sms(Some(callback))).await.expect("sent");
    assert_eq!(
        sent,
        SentMessage { sid: "SM0123456789abcdef0123456789abcdef".into(), status: "queued".into(), segments: Some(1) }
    );
    client(&server).send_message(&account(), &sms(None)).await.expect("sent");

    let requests = server.received_requests().await.expect("recorded");
    let pairs = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let common = [("To", "+15557654321"), ("From", NUMBER), ("Body", "주문하신 상품이 출고되었습니다 & more")];
    let mut with_callback = common.to_vec();
    with_callback.push(("StatusCallback", callback));
    assert_eq!(form(&requests[0]), pairs(&with_callback));
    assert_eq!(form(&requests[1]), pairs(&common), "no StatusCallback when none is given");
}

#[tokio::test]
async fn too_many_requests_says_when_to_retry() {
    let server = MockServer::start().await;
    mock_messages(&server, twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7")).await;
    let error = client(&server).send_message(&account(), &sms(None)).await.expect_err("throttled");
    assert_eq!(error.code(), Some(20429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_opted_out_customer_is_final() {
    let server = MockServer::start().await;
    mock_messages(&server, twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")).await;
    let error = client(&server).send_message(&account(), &sms(None)).await.expect_err("blocked");
    assert_eq!(error.code(), Some(21610));
    assert_eq!(error.retry_after(), None);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn server_errors_are_retryable_json_or_not() {
    let server = MockServer::start().await;
    mock_messages(&server, twilio_error(500, 20500, "Internal Server Error")).await;
    let error = client(&server).send_message(&account(), &sms(None)).await.expect_err("failed");
    assert!(matches!(error, TwilioError::Api { status: 500, code: Some(20500), .. }), "{error:?}");
    assert!(error.is_retryable());

    let server = MockServer::start().await;
    mock_messages(&server, ResponseTemplate::new(503).set_body_string("<html><body>Service Unavailable</body></html>"))
        .await;
    let error = client(&server).send_message(&account(), &sms(None)).await.expect_err("failed");
    assert!(
        matches!(&error, TwilioError::Api { status: 503, code: None, message, .. } if message.contains("503")),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_slow_twilio_is_a_timeout() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_body_json(number_page(vec![])).set_delay(Duration::from_secs(3));
    mock_numbers(&server, slow).await;
    let started = Instant::now();
    let error = client(&server).incoming_number(&account(), NUMBER).await.expect_err("timed out");
    assert!(matches!(error, TwilioError::Timeout), "{error:?}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2), "gave up after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let client = TwilioClient::new(Duration::from_millis(300), &format!("http://127.0.0.1:{port}"), &outbound());
    let error = client.incoming_number(&account(), NUMBER).await.expect_err("refused");
    // Only the host: the operating system's words would tell a closed port from a filtered one.
    assert!(
        matches!(&error, TwilioError::Transport(why) if why == &format!("could not connect to 127.0.0.1:{port}")),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_internal_api_base_is_refused_unless_allowed() {
    let server = MockServer::start().await;
    mock_numbers(&server, ResponseTemplate::new(200).set_body_json(number_page(vec![]))).await;
    for base in [server.uri(), server.uri().replace("127.0.0.1", "127.1"), "http://2130706433:9".to_owned()] {
        let guarded = TwilioClient::new(Duration::from_millis(300), &base, &Outbound::default());
        let error = guarded.incoming_number(&account(), NUMBER).await.expect_err("refused");
        assert_eq!(
            error.to_string(),
            "could not reach Twilio: the address is not allowed for outbound calls",
            "{base}"
        );
    }
    assert!(server.received_requests().await.expect("recorded").is_empty());
    assert_eq!(client(&server).incoming_number(&account(), NUMBER).await.expect("allowed"), None);
}

#[tokio::test]
async fn an_unreadable_success_is_a_bad_response() {
    let server = MockServer::start().await;
    mock_messages(&server, ResponseTemplate::new(201).set_body_string("<Response><Message/></Response>")).await;
    let error = client(&server).send_message(&account(), &sms(None)).await.expect_err("unreadable");
    assert!(matches!(error, TwilioError::BadResponse(_)), "{error:?}");
    assert!(!error.is_retryable(), "the text may have gone out");
}

// The channel check, end to end.

async fn verdict_for(response: ResponseTemplate) -> Verdict {
    let server = MockServer::start().await;
    mock_numbers(&server, response).await;
    verify::verify(&client(&server), &account(), NUMBER).await
}

fn reason_of(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Rejected { reason, .. } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn detail_of(verdict: &Verdict) -> &str {
    match verdict {
        Verdict::Rejected { detail, .. } | Verdict::Unreachable { detail } => detail,
        Verdict::Verified { .. } => "",
    }
}

#[tokio::test]
async fn verify_accepts_an_sms_capable_number() {
    let verdict =
        verdict_for(ResponseTemplate::new(200).set_body_json(number_page(vec![number_record(NUMBER, true)]))).await;
    assert_eq!(verdict, Verdict::Verified { number_sid: "PN0123456789abcdef0123456789abcdef".into() });
}

#[tokio::test]
async fn verify_rejects_what_twilio_refuses() {
    let verdict = verdict_for(ResponseTemplate::new(200).set_body_json(number_page(vec![]))).await;
    assert_eq!(reason_of(&verdict), "number_not_found");
    assert!(detail_of(&verdict).contains(NUMBER) && detail_of(&verdict).contains(SID));

    let voice_only = number_page(vec![number_record(NUMBER, false)]);
    let verdict = verdict_for(ResponseTemplate::new(200).set_body_json(voice_only)).await;
    assert_eq!(reason_of(&verdict), "not_sms_capable");

    let verdict = verdict_for(twilio_error(401, 20003, "Authenticate")).await;
    assert_eq!(reason_of(&verdict), "bad_credentials");
    assert!(!detail_of(&verdict).contains(TOKEN), "the token never appears");

    let not_found = format!("The requested resource {NUMBERS_PATH} was not found");
    let verdict = verdict_for(twilio_error(404, 20404, &not_found)).await;
    assert_eq!(reason_of(&verdict), "account_not_found");

    let verdict = verdict_for(twilio_error(403, 20005, "Account not active")).await;
    assert_eq!(reason_of(&verdict), "twilio_refused");
    assert!(detail_of(&verdict).contains("Account not active"));
}

#[tokio::test]
async fn verify_rejects_bad_settings_without_asking_twilio() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;

    let verdict = verify::verify(&client(&server), &account(), "MYBRAND").await;
    assert_eq!(reason_of(&verdict), "alphanumeric_sender");
    let verdict = verify::verify(&client(&server), &account(), "555-123-4567").await;
    assert_eq!(reason_of(&verdict), "invalid_number");
    let mut bad_sid = account();
    bad_sid.account_sid = "SK0123456789abcdef0123456789abcdef".into();
    let verdict = verify::verify(&client(&server), &bad_sid, NUMBER).await;
    assert_eq!(reason_of(&verdict), "invalid_account_sid");
    assert!(detail_of(&verdict).contains("SK0123456789abcdef0123456789abcdef"));
}

#[tokio::test]
async fn verify_is_unreachable_when_twilio_cannot_answer() {
    for response in [
        twilio_error(500, 20500, "Internal Server Error"),
        twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7"),
        ResponseTemplate::new(200).set_body_json(number_page(vec![])).set_delay(Duration::from_secs(3)),
    ] {
        let verdict = verdict_for(response).await;
        assert!(matches!(verdict, Verdict::Unreachable { .. }), "{verdict:?}");
        assert!(detail_of(&verdict).contains("try POST /v1/channels/sms/verify again"), "{verdict:?}");
    }
    let throttled = verdict_for(twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7")).await;
    assert!(detail_of(&throttled).ends_with("try POST /v1/channels/sms/verify again in 7 seconds."), "{throttled:?}");
    let timeout = verdict_for(ResponseTemplate::new(200).set_delay(Duration::from_secs(3))).await;
    assert_eq!(detail_of(&timeout), "Twilio did not answer in time; try POST /v1/channels/sms/verify again.");
}
