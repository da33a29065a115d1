//! The shipped helpdesk adapters (`handoff/*.toml`) talking HTTP to a mock of each helpdesk that
//! answers as the vendor documents: the requests they send (method, path, auth, idempotency key,
//! body), what each kind of answer becomes for the outbox, the de-duplication lookups, the
//! credential checks, and the generic webhook's signature checked the way a receiver would.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sangdam::handoff::adapter::{Adapter, Adapters};
use sangdam::handoff::client::{Attempt, HelpdeskClient, Verdict};
use sangdam::handoff::{HelpdeskIntegration, TicketCustomer, TicketDraft, TranscriptLine};
use sangdam::ids::WorkspaceId;
use sangdam::outbound::{AllowList, Outbound};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b10";
const AGENT: &str = "agent@acme.com";

fn adapter(name: &str) -> Adapter {
    // Cargo runs integration tests from the crate root, where the real folder is.
    let adapters = Adapters::load(Path::new("handoff")).expect("the shipped adapters load");
    adapters.get(name).unwrap_or_else(|| panic!("no adapter {name}")).clone()
}

/// The guard of the test servers: the mocks listen on loopback.
fn outbound() -> Outbound {
    Outbound::new(AllowList::parse("127.0.0.1/32").expect("allow list"))
}

fn client() -> HelpdeskClient {
    HelpdeskClient::new(Duration::from_secs(2), &outbound())
}

fn integration(name: &str, config: &[(&str, &str)], secrets: &[(&str, &str)]) -> HelpdeskIntegration {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    HelpdeskIntegration {
        workspace_id: WorkspaceId::new(),
        name: name.to_owned(),
        config: map(config),
        secrets: map(secrets),
        max_attempts: 5,
        check: None,
        updated_at: Utc::now(),
    }
}

/// The integration of each shipped helpdesk, pointed at `base`.
fn integration_for(name: &str, base: &str) -> HelpdeskIntegration {
    match name {
        "zendesk" => integration(name, &[("base_url", base), ("email", AGENT)], &[("api_token", "zd-token")]),
        "freshdesk" => integration(name, &[("base_url", base)], &[("api_key", "fd-key")]),
        "gorgias" => integration(name, &[("base_url", base), ("email", AGENT)], &[("api_key", "gg-key")]),
        "webhook" => integration(name, &[("url", &format!("{base}/hooks/sangdam"))], &[("secret", "wh-secret")]),
        other => panic!("no integration for {other}"),
    }
}

/// Where each helpdesk creates tickets.
fn create_path(name: &str) -> &'static str {
    match name {
        "zendesk" => "/api/v2/tickets.json",
        "freshdesk" => "/api/v2/tickets",
        "gorgias" => "/api/tickets",
        _ => "/hooks/sangdam",
    }
}

fn draft() -> TicketDraft {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let lines = vec![
        TranscriptLine {
            at: at("2026-11-21T10:00:01Z"),
            author: "customer".into(),
            name: "김해피".into(),
            text: "주문 1001 \"환불\" 되나요?".into(),
        },
        TranscriptLine {
            at: at("2026-11-21T10:00:02Z"),
            author: "customer".into(),
            name: "김해피".into(),
            text: "상담원 연결해주세요".into(),
        },
    ];
    TicketDraft {
        key: KEY.into(),
        subject: "[sangdam] webchat 김해피: 상담원 연결해주세요".into(),
        transcript_text: "[2026-11-21 10:00:01 UTC] 김해피: 주문 1001 \"환불\" 되나요?\n[2026-11-21 10:00:02 UTC] 김해피: 상담원 연결해주세요".into(),
        transcript_html: "[2026-11-21 10:00:01 UTC] 김해피: 주문 1001 &quot;환불&quot; 되나요?<br>\n[2026-11-21 10:00:02 UTC] 김해피: 상담원 연결해주세요".into(),
        transcript: lines,
        customer: TicketCustomer {
            id: "cust-42".into(),
            name: "김해피".into(),
            email: Some("happy@example.com".into()),
            phone: Some("+821012345678".into()),
        },
        channel: "webchat".into(),
        reason: "explicit_request".into(),
        detail: "The customer asked for a person.".into(),
        trace: json!({"intent": "human_handoff"}),
        tags: vec!["ai_handoff".into(), "explicit_request".into()],
        room_id: "0193a5f0-7c2e-7d41-9b3a-2f6c1e8d4b11".into(),
        locale: "ko".into(),
        test: false,
        created_at: at("2026-11-21T10:00:02Z"),
    }
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// The one request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("request recording is on");
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.remove(0)
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}

fn header_of<'a>(request: &'a Request, name: &str) -> &'a str {
    request.headers.get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

/// The tag the Freshdesk adapter marks its tickets with: "sangdam-" and 24 hex digits of SHA-256.
fn freshdesk_tag(key: &str) -> String {
    let hex: String = Sha256::digest(key.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("sangdam-{hex}")
}

#[tokio::test]
async fn zendesk_creates_the_ticket_with_basic_token_auth_and_the_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets.json"))
        .and(header("Authorization", basic("agent@acme.com/token", "zd-token").as_str()))
        .and(header("Idempotency-Key", KEY))
        .and(header("Content-Type", "application/json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "ticket": {"id": 35436, "url": "https://acme.zendesk.com/api/v2/tickets/35436.json", "subject": "x"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let zendesk = integration_for("zendesk", &server.uri());
    let attempt = client().create_ticket(&adapter("zendesk"), &zendesk, &draft(), false).await;
    assert_eq!(
        attempt,
        Attempt::Created {
            ticket_id: "35436".into(),
            ticket_url: Some(format!("{}/agent/tickets/35436", server.uri())),
        }
    );
    let body = json_body(&only_request(&server).await);
    let ticket = &body["ticket"];
    assert_eq!(ticket["subject"], "[sangdam] webchat 김해피: 상담원 연결해주세요");
    assert_eq!(ticket["requester"], json!({"name": "김해피", "email": "happy@example.com"}));
    assert_eq!(ticket["tags"], json!(["ai_handoff", "explicit_request"]));
    assert_eq!(ticket["external_id"], KEY);
    assert_eq!(ticket["comment"]["public"], false);
    let comment = ticket["comment"]["body"].as_str().unwrap();
    assert!(comment.starts_with("Handed off by the AI agent: The customer asked for a person."), "{comment}");
    assert!(comment.contains("Customer: 김해피 <happy@example.com> +821012345678"), "{comment}");
    assert!(comment.ends_with("[2026-11-21 10:00:02 UTC] 김해피: 상담원 연결해주세요"), "{comment}");
    assert!(comment.contains("주문 1001 \"환불\" 되나요?"), "{comment}");
}

#[tokio::test]
async fn zendesk_without_an_email_leaves_the_requester_to_the_agent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ticket": {"id": 1}})))
        .mount(&server)
        .await;
    let mut phone_only = draft();
    phone_only.customer.email = None;
    let attempt = client()
        .create_ticket(&adapter("zendesk"), &integration_for("zendesk", &server.uri()), &phone_only, false)
        .await;
    assert!(matches!(attempt, Attempt::Created { .. }), "{attempt:?}");
    let body = json_body(&only_request(&server).await);
    assert!(body["ticket"].get("requester").is_none(), "{body}");
    assert!(body["ticket"]["comment"]["body"].as_str().unwrap().contains("Customer: 김해피 +821012345678"));
}

#[tokio::test]
async fn freshdesk_creates_the_ticket_with_its_api_key_and_the_dedup_tag() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .and(header("Authorization", basic("fd-key", "X").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1, "subject": "x", "status": 2})))
        .expect(1)
        .mount(&server)
        .await;
    let attempt = client()
        .create_ticket(&adapter("freshdesk"), &integration_for("freshdesk", &server.uri()), &draft(), false)
        .await;
    assert_eq!(
        attempt,
        Attempt::Created { ticket_id: "1".into(), ticket_url: Some(format!("{}/a/tickets/1", server.uri())) }
    );
    let request = only_request(&server).await;
    assert!(request.headers.get("Idempotency-Key").is_none());
    let body = json_body(&request);
    assert_eq!(body["subject"], "[sangdam] webchat 김해피: 상담원 연결해주세요");
    assert_eq!(body["email"], "happy@example.com");
    assert_eq!(body["name"], "김해피");
    assert_eq!(
        (body["status"].as_i64(), body["priority"].as_i64(), body["source"].as_i64()),
        (Some(2), Some(2), Some(7))
    );
    let tag = freshdesk_tag(KEY);
    assert!(tag.len() <= 32, "Freshdesk caps tags at 32 characters");
    assert_eq!(body["tags"], json!(["ai_handoff", "explicit_request", tag]));
    let description = body["description"].as_str().unwrap();
    assert!(
        description.contains("<strong>Handed off by the AI agent:</strong> The customer asked for a person."),
        "{description}"
    );
    assert!(description.contains("주문 1001 &quot;환불&quot; 되나요?<br>"), "{description}");
}

#[tokio::test]
async fn freshdesk_reaches_customers_without_email_by_phone_or_external_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 2})))
        .mount(&server)
        .await;
    let freshdesk = integration_for("freshdesk", &server.uri());
    let mut phone_only = draft();
    phone_only.customer.email = None;
    client().create_ticket(&adapter("freshdesk"), &freshdesk, &phone_only, false).await;
    let mut anonymous = phone_only.clone();
    anonymous.customer.phone = None;
    client().create_ticket(&adapter("freshdesk"), &freshdesk, &anonymous, false).await;
    let requests = server.received_requests().await.unwrap();
    let (first, second) = (json_body(&requests[0]), json_body(&requests[1]));
    assert_eq!(
        (first.get("email"), &first["phone"], &first["name"]),
        (None, &json!("+821012345678"), &json!("김해피"))
    );
    assert_eq!((second.get("phone"), &second["unique_external_id"]), (None, &json!("sangdam-cust-42")));
}

#[tokio::test]
async fn gorgias_creates_the_ticket_as_an_api_message_from_the_customer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .and(header("Authorization", basic(AGENT, "gg-key").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 12, "uri": "/api/tickets/12/"})))
        .expect(1)
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("gorgias"), &integration_for("gorgias", &server.uri()), &draft(), false).await;
    assert_eq!(
        attempt,
        Attempt::Created { ticket_id: "12".into(), ticket_url: Some(format!("{}/app/ticket/12", server.uri())) }
    );
    let body = json_body(&only_request(&server).await);
    assert_eq!(body["external_id"], KEY);
    assert_eq!(body["subject"], "[sangdam] webchat 김해피: 상담원 연결해주세요");
    assert_eq!((&body["channel"], &body["via"], &body["from_agent"]), (&json!("api"), &json!("api"), &json!(false)));
    assert_eq!(body["customer"], json!({"email": "happy@example.com", "name": "김해피"}));
    assert_eq!(body["tags"], json!([{"name": "ai_handoff"}, {"name": "explicit_request"}]));
    let message = &body["messages"][0];
    assert_eq!(message["sender"], json!({"email": "happy@example.com", "name": "김해피"}));
    assert_eq!(
        (&message["channel"], &message["via"], &message["from_agent"]),
        (&json!("api"), &json!("api"), &json!(false))
    );
    assert!(message["body_text"].as_str().unwrap().ends_with("김해피: 상담원 연결해주세요"), "{message}");
    assert!(message["body_html"].as_str().unwrap().contains("&lt;happy@example.com&gt;"), "{message}");
}

#[tokio::test]
async fn gorgias_writes_an_internal_note_for_a_customer_known_by_phone_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 13})))
        .mount(&server)
        .await;
    let mut phone_only = draft();
    phone_only.customer.email = None;
    client().create_ticket(&adapter("gorgias"), &integration_for("gorgias", &server.uri()), &phone_only, false).await;
    let body = json_body(&only_request(&server).await);
    let message = &body["messages"][0];
    assert_eq!((&message["channel"], &message["from_agent"]), (&json!("internal-note"), &json!(true)));
    assert_eq!(message["sender"], json!({"email": AGENT}));
    assert!(body.get("customer").is_none());
    assert!(message["body_text"].as_str().unwrap().contains("Customer: 김해피 +821012345678"));
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_the_helpdesks_delay() {
    for name in ["zendesk", "freshdesk", "gorgias", "webhook"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(create_path(name)))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "7")
                    .set_body_json(json!({"message": "Slow down"})),
            )
            .mount(&server)
            .await;
        let attempt =
            client().create_ticket(&adapter(name), &integration_for(name, &server.uri()), &draft(), false).await;
        let Attempt::Retryable { error, retry_after, uncertain } = attempt else { panic!("{name}: {attempt:?}") };
        assert_eq!(retry_after, Some(Duration::from_secs(7)), "{name}");
        assert!(!uncertain, "{name}: a 429 was turned away unread");
        assert!(error.contains("answered 429"), "{name}: {error}");
    }
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_ticket_may_exist() {
    for name in ["zendesk", "freshdesk", "gorgias", "webhook"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"))
            .mount(&server)
            .await;
        let attempt =
            client().create_ticket(&adapter(name), &integration_for(name, &server.uri()), &draft(), false).await;
        let title = adapter(name).title;
        let expected = Attempt::Retryable {
            error: format!("{title} answered 500 Internal Server Error"),
            retry_after: None,
            uncertain: true,
        };
        assert_eq!(attempt, expected, "{name}");
    }
}

#[tokio::test]
async fn no_answer_in_time_is_retried_and_the_ticket_may_exist() {
    for name in ["zendesk", "freshdesk", "gorgias", "webhook"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let client = HelpdeskClient::new(Duration::from_millis(500), &outbound());
        let attempt =
            client.create_ticket(&adapter(name), &integration_for(name, &server.uri()), &draft(), false).await;
        let Attempt::Retryable { error, uncertain, .. } = attempt else { panic!("{name}: {attempt:?}") };
        assert!(uncertain, "{name}");
        assert!(error.ends_with("did not answer within 0.5 s"), "{name}: {error}");
    }
}

#[tokio::test]
async fn nobody_listening_is_retried_and_nothing_was_sent() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let attempt = client()
        .create_ticket(&adapter("zendesk"), &integration_for("zendesk", "http://127.0.0.1:1"), &draft(), false)
        .await;
    let Attempt::Retryable { error, uncertain, .. } = attempt else { panic!("{attempt:?}") };
    assert!(!uncertain);
    // The host and nothing else: the operating system's words would tell closed from filtered.
    assert_eq!(error, "could not connect to 127.0.0.1:1");
}

#[tokio::test]
async fn internal_addresses_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let guarded = HelpdeskClient::new(Duration::from_secs(2), &Outbound::default());
    let port = server.address().port();
    for base in [server.uri(), format!("http://127.1:{port}"), format!("http://[::ffff:127.0.0.1]:{port}")] {
        let verdict = guarded.verify(&adapter("zendesk"), &integration_for("zendesk", &base)).await;
        assert_eq!(
            verdict,
            Verdict::Rejected {
                reason: "not_allowed".into(),
                detail: "the address is not allowed for outbound calls".into()
            },
            "{base}"
        );
        let attempt =
            guarded.create_ticket(&adapter("zendesk"), &integration_for("zendesk", &base), &draft(), false).await;
        assert!(
            matches!(&attempt, Attempt::Refused { status: None, error } if error == "the address is not allowed for outbound calls"),
            "{attempt:?}"
        );
    }
}

#[tokio::test]
async fn validation_errors_are_refused_with_the_helpdesks_words() {
    let cases = [
        (
            "zendesk",
            422,
            json!({"error": "RecordInvalid", "description": "Record validation errors",
                   "details": {"base": [{"description": "Requester: Email is invalid", "error": "InvalidValue"}]}}),
            "Zendesk answered 422: Record validation errors; Requester: Email is invalid",
        ),
        (
            "freshdesk",
            400,
            json!({"description": "Validation failed",
                   "errors": [{"field": "email", "message": "It should be a valid email address", "code": "invalid_value"}]}),
            "Freshdesk answered 400: Validation failed; email: It should be a valid email address",
        ),
        (
            "gorgias",
            400,
            json!({"error": {"msg": "Failed to create ticket", "data": {"customer": {"email": ["Not a valid email address."]}}}}),
            "Gorgias answered 400: Failed to create ticket; customer.email: Not a valid email address.",
        ),
        ("webhook", 400, json!({"error": "unknown event"}), "Webhook answered 400: unknown event"),
    ];
    for (name, status, answer, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(answer))
            .mount(&server)
            .await;
        let attempt =
            client().create_ticket(&adapter(name), &integration_for(name, &server.uri()), &draft(), false).await;
        assert_eq!(attempt, Attempt::Refused { status: Some(status), error: expected.into() }, "{name}");
    }
}

#[tokio::test]
async fn bad_credentials_on_create_are_refused_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "Couldn't authenticate you"})))
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("zendesk"), &integration_for("zendesk", &server.uri()), &draft(), false).await;
    assert_eq!(
        attempt,
        Attempt::Refused { status: Some(401), error: "Zendesk answered 401: Couldn't authenticate you".into() }
    );
}

#[tokio::test]
async fn a_success_without_a_ticket_id_is_refused_with_a_clear_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("gorgias"), &integration_for("gorgias", &server.uri()), &draft(), false).await;
    let expected = "Gorgias answered 201 but its answer does not say which ticket it created (looked at /id)";
    assert_eq!(attempt, Attempt::Refused { status: Some(201), error: expected.into() });
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(301).insert_header("Location", "https://acme.zendesk.com/api/v2/tickets.json"),
        )
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("zendesk"), &integration_for("zendesk", &server.uri()), &draft(), false).await;
    let Attempt::Refused { status: Some(301), error } = attempt else { panic!("{attempt:?}") };
    assert!(error.contains("redirecting to https://acme.zendesk.com/api/v2/tickets.json"), "{error}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn looking_first_finds_the_earlier_ticket_and_does_not_post_again() {
    let cases = [
        (
            "freshdesk",
            "/api/v2/search/tickets",
            "query",
            format!("\"tag:'{}'\"", freshdesk_tag(KEY)),
            json!({"results": [{"id": 77}], "total": 1}),
            "/a/tickets/77",
        ),
        (
            "gorgias",
            "/api/tickets",
            "external_id",
            KEY.to_owned(),
            json!({"object": "list", "data": [{"id": 77}], "meta": {}}),
            "/app/ticket/77",
        ),
        (
            "zendesk",
            "/api/v2/tickets.json",
            "external_id",
            KEY.to_owned(),
            json!({"tickets": [{"id": 77}], "count": 1}),
            "/agent/tickets/77",
        ),
    ];
    for (name, lookup_path, param, value, answer, link) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(lookup_path))
            .and(query_param(param, value.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&server).await;
        let attempt =
            client().create_ticket(&adapter(name), &integration_for(name, &server.uri()), &draft(), true).await;
        let expected = Attempt::Created { ticket_id: "77".into(), ticket_url: Some(format!("{}{link}", server.uri())) };
        assert_eq!(attempt, expected, "{name}");
        server.verify().await;
    }
}

#[tokio::test]
async fn looking_first_and_finding_nothing_creates_the_ticket() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/tickets"))
        .and(query_param("external_id", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [], "meta": {}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .expect(1)
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("gorgias"), &integration_for("gorgias", &server.uri()), &draft(), true).await;
    assert!(matches!(attempt, Attempt::Created { ref ticket_id, .. } if ticket_id == "99"), "{attempt:?}");
}

#[tokio::test]
async fn a_failed_lookup_is_retried_without_posting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("Retry-After", "3").set_body_json(json!({"code": "rate_limited"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&server).await;
    let attempt = client()
        .create_ticket(&adapter("freshdesk"), &integration_for("freshdesk", &server.uri()), &draft(), true)
        .await;
    let expected = Attempt::Retryable {
        error: "Looking for the ticket of an earlier attempt: Freshdesk answered 429: rate_limited".into(),
        retry_after: Some(Duration::from_secs(3)),
        uncertain: true,
    };
    assert_eq!(attempt, expected);
}

#[tokio::test]
async fn verification_accepts_good_credentials() {
    let cases = [
        (
            "zendesk",
            "/api/v2/users/me.json",
            json!({"user": {"id": 7, "email": AGENT, "role": "admin"}}),
            "Zendesk accepted agent@acme.com's API token.",
        ),
        (
            "freshdesk",
            "/api/v2/agents/me",
            json!({"id": 9, "contact": {"email": AGENT}}),
            "Freshdesk accepted the API key.",
        ),
        (
            "gorgias",
            "/api/account",
            json!({"domain": "acme", "status": {"status": "active"}}),
            "Gorgias accepted agent@acme.com's API key.",
        ),
    ];
    for (name, verify_path, answer, words) in cases {
        let server = MockServer::start().await;
        let auth = match name {
            "zendesk" => basic("agent@acme.com/token", "zd-token"),
            "freshdesk" => basic("fd-key", "X"),
            _ => basic(AGENT, "gg-key"),
        };
        Mock::given(method("GET"))
            .and(path(verify_path))
            .and(header("Authorization", auth.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
        let verdict = client().verify(&adapter(name), &integration_for(name, &server.uri())).await;
        assert_eq!(verdict, Verdict::Verified { detail: words.into() }, "{name}");
    }
}

#[tokio::test]
async fn verification_explains_rejections_in_plain_words() {
    let cases = [
        (
            "zendesk",
            401,
            json!({"error": "Couldn't authenticate you"}),
            "bad_credentials",
            "Zendesk rejected the email/token pair: check the agent's email and the API token.".to_owned(),
        ),
        (
            "zendesk",
            404,
            json!({"error": "InvalidEndpoint"}),
            "not_found",
            "There is no Zendesk account at BASE.".to_owned(),
        ),
        (
            "freshdesk",
            401,
            json!({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}),
            "bad_credentials",
            "Freshdesk rejected the API key: copy it again from the agent's profile settings.".to_owned(),
        ),
        (
            "gorgias",
            401,
            json!({"error": {"msg": "Unauthorized"}}),
            "bad_credentials",
            "Gorgias rejected the email/API key pair: check agent@acme.com and the REST API key.".to_owned(),
        ),
        (
            "gorgias",
            400,
            json!({"error": {"msg": "Bad request"}}),
            "rejected",
            "Gorgias answered 400: Bad request".to_owned(),
        ),
    ];
    for (name, status, answer, reason, words) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(answer))
            .mount(&server)
            .await;
        let verdict = client().verify(&adapter(name), &integration_for(name, &server.uri())).await;
        let expected = Verdict::Rejected { reason: reason.into(), detail: words.replace("BASE", &server.uri()) };
        assert_eq!(verdict, expected, "{name} {status}");
    }
}

#[tokio::test]
async fn zendesk_answering_as_an_anonymous_visitor_is_not_verified() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user": {"id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com", "role": "end-user"}
        })))
        .mount(&server)
        .await;
    let verdict = client().verify(&adapter("zendesk"), &integration_for("zendesk", &server.uri())).await;
    let Verdict::Rejected { reason, detail } = verdict else { panic!("{verdict:?}") };
    assert_eq!(reason, "bad_credentials");
    assert!(detail.contains("anonymous visitor"), "{detail}");
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": {"id": 5, "role": "end-user"}})))
        .mount(&server)
        .await;
    let verdict = client().verify(&adapter("zendesk"), &integration_for("zendesk", &server.uri())).await;
    assert!(matches!(verdict, Verdict::Rejected { ref reason, .. } if reason == "forbidden"), "{verdict:?}");
}

#[tokio::test]
async fn verification_that_cannot_get_an_answer_is_unreachable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"description": "Maintenance"})))
        .mount(&server)
        .await;
    let verdict = client().verify(&adapter("zendesk"), &integration_for("zendesk", &server.uri())).await;
    assert_eq!(verdict, Verdict::Unreachable { detail: "Zendesk answered 503: Maintenance".into() });
}

/// HMAC-SHA256 as a receiver would write it (RFC 2104), checked against RFC 4231's first vector.
fn receiver_hmac(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new().chain_update(block.map(|b| b ^ 0x36)).chain_update(message).finalize();
    let outer = Sha256::new().chain_update(block.map(|b| b ^ 0x5c)).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a request's signature the way the README tells receivers to.
fn assert_signed(request: &Request, secret: &str) {
    let timestamp = header_of(request, "X-Sangdam-Timestamp");
    let sent_at: i64 = timestamp.parse().expect("unix seconds");
    assert!((Utc::now().timestamp() - sent_at).abs() < 60, "timestamp {timestamp}");
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let expected = format!("v1={}", receiver_hmac(secret.as_bytes(), &signed));
    assert_eq!(header_of(request, "X-Sangdam-Signature"), expected);
    let forged = format!("v1={}", receiver_hmac(b"another secret", &signed));
    assert_ne!(header_of(request, "X-Sangdam-Signature"), forged);
}

#[tokio::test]
async fn the_webhook_posts_the_signed_handoff() {
    assert_eq!(
        receiver_hmac(&[0x0b; 20], b"Hi There"),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/sangdam"))
        .and(header("X-Sangdam-Event", "handoff.created"))
        .and(header("Idempotency-Key", KEY))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ticket_id": "EXT-9", "ticket_url": "https://desk.example/t/9"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let attempt =
        client().create_ticket(&adapter("webhook"), &integration_for("webhook", &server.uri()), &draft(), false).await;
    assert_eq!(
        attempt,
        Attempt::Created { ticket_id: "EXT-9".into(), ticket_url: Some("https://desk.example/t/9".into()) }
    );
    let request = only_request(&server).await;
    assert!(request.headers.get("Authorization").is_none());
    assert_signed(&request, "wh-secret");
    let body = json_body(&request);
    assert_eq!(body["event"], "handoff.created");
    assert_eq!(body["handoff"], serde_json::to_value(draft()).unwrap());
}

#[tokio::test]
async fn a_webhook_that_names_no_ticket_is_delivered_under_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(202)).mount(&server).await;
    let attempt =
        client().create_ticket(&adapter("webhook"), &integration_for("webhook", &server.uri()), &draft(), false).await;
    assert_eq!(attempt, Attempt::Created { ticket_id: KEY.into(), ticket_url: None });
}

#[tokio::test]
async fn the_webhook_check_is_a_signed_ping() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks/sangdam"))
        .and(header("X-Sangdam-Event", "ping"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let webhook = integration_for("webhook", &server.uri());
    let verdict = client().verify(&adapter("webhook"), &webhook).await;
    assert_eq!(
        verdict,
        Verdict::Verified { detail: format!("The endpoint at {}/hooks/sangdam accepted a signed ping.", server.uri()) }
    );
    let request = only_request(&server).await;
    assert_signed(&request, "wh-secret");
    let ping = json_body(&request);
    assert_eq!(ping["event"], "ping");
    assert!(DateTime::parse_from_rfc3339(ping["sent_at"].as_str().unwrap()).is_ok(), "{ping}");

    server.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let verdict = client().verify(&adapter("webhook"), &webhook).await;
    assert!(
        matches!(verdict, Verdict::Rejected { ref reason, ref detail } if reason == "bad_credentials" && detail.contains("same secret")),
        "{verdict:?}"
    );
}

#[tokio::test]
async fn the_preview_shows_the_request_with_secrets_redacted() {
    let zendesk = adapter("zendesk");
    let integration = integration_for("zendesk", "https://acme.zendesk.com");
    let preview = zendesk.preview(&integration, &draft()).unwrap();
    assert_eq!(preview.method, "POST");
    assert_eq!(preview.url, "https://acme.zendesk.com/api/v2/tickets.json");
    let headers: BTreeMap<&str, &str> = preview.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(headers["Authorization"], "***");
    assert_eq!(headers["Idempotency-Key"], KEY);
    assert!(!format!("{preview:?}").contains("zd-token"));
    assert_eq!(preview.body["ticket"]["external_id"], KEY);

    let webhook = adapter("webhook").preview(&integration_for("webhook", "https://hooks.example"), &draft()).unwrap();
    let headers: BTreeMap<&str, &str> = webhook.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(headers["X-Sangdam-Signature"], "***");
    assert_eq!(webhook.url, "https://hooks.example/hooks/sangdam");
}
