//! Handoff end to end: a customer asks for a person on a live channel and the engine creates
//! exactly one ticket in the helpdesk (retries, rate limits and dead letters included), or puts the
//! conversation into the counselor queue; helpdesk integrations, the test handoff and the handoff
//! list over HTTP.

mod common;

use std::time::Duration;

use common::helpdesk::{self as zd, FakeZendesk, ZD_EMAIL, ZD_TOKEN};
use common::{Backend, SseReader, TestApp};
use sangdam::ids::{RoomId, WorkspaceId};
use sangdam::rooms::RoomStatus;
use serde_json::{Value, json};
use wiremock::MockServer;

const SKILLS: [&str; 3] = ["greeting", "order_tracking", "human_handoff"];

/// Configures webchat with `handoff`, loads the widget on the allowed origin and turns it on.
async fn webchat_live(app: &TestApp, handoff: Value) {
    let admin = Some(app.admin_token.as_str());
    let settings = json!({
        "intro_message": "안녕하세요!",
        "allowed_origins": ["https://shop.example"],
        "skills": SKILLS,
        "handoff": handoff,
    });
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", admin, Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    let loaded = app.load_widget("https://shop.example").await;
    assert_eq!(loaded.status(), 200);
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!(status, 200, "{body}");
}

fn workspace(app: &TestApp) -> WorkspaceId {
    app.running.bootstrapped.as_ref().unwrap().workspace.id
}

/// The next bot message on the stream.
async fn bot_reply(stream: &mut SseReader, secs: u64) -> String {
    loop {
        let message: Value = serde_json::from_str(&stream.next(secs).await.data).unwrap();
        if message["author"] == "bot" {
            return message["text"].as_str().unwrap().to_owned();
        }
    }
}

/// Opens a conversation for `email`, asks for a person, and returns (room id, the SSE stream).
async fn ask_for_a_person(app: &TestApp, email: &str) -> (String, SseReader) {
    let (id, token) = app.open_conversation(json!({"name": "김해피", "email": email})).await;
    let events = app.http.get(app.url(&format!("/v1/webchat/conversations/{id}/events"))).bearer_auth(&token);
    let stream = SseReader::new(events.send().await.unwrap());
    assert_eq!(app.post_message(&id, &token, "주문번호 1001 배송 어디쯤이에요?", "m1").await.0, 202);
    let mut stream = stream;
    bot_reply(&mut stream, 10).await;
    assert_eq!(app.post_message(&id, &token, "상담원 연결해주세요", "m2").await.0, 202);
    (id, stream)
}

/// Polls `GET /v1/handoffs` until the room's handoff is in `state`.
async fn handoff_in(app: &TestApp, room: &str, state: &str, secs: u64) -> Value {
    let admin = Some(app.admin_token.as_str());
    for _ in 0..secs * 10 {
        let (status, body) = app.call("GET", "/v1/handoffs", admin, None).await;
        assert_eq!(status, 200, "{body}");
        if let Some(h) = body["handoffs"].as_array().unwrap().iter().find(|h| h["room_id"] == room)
            && h["state"] == state
        {
            return h.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, body) = app.call("GET", "/v1/handoffs", admin, None).await;
    panic!("the handoff of {room} never reached {state}: {body}");
}

async fn zendesk_setup(app: &TestApp, server: &MockServer) {
    let admin = Some(app.admin_token.as_str());
    let body = json!({"base_url": server.uri(), "email": ZD_EMAIL, "api_token": ZD_TOKEN});
    let (status, view) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(body)).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["verified"], true, "{view}");
    assert_eq!(view["secrets_set"], json!(["api_token"]));
    assert!(!view.to_string().contains(ZD_TOKEN), "the token is never returned: {view}");
}

async fn zendesk_tickets_exactly_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = Some(app.admin_token.as_str());
    let server = MockServer::start().await;
    let fake = FakeZendesk::default();
    fake.mount(&server).await;

    // Bad integration bodies are refused, naming what is wrong.
    let (status, body) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(json!({"base_url": server.uri()}))).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .call(
            "PUT",
            "/v1/helpdesks/zendesk",
            admin,
            Some(json!({"base_url": server.uri(), "email": ZD_EMAIL, "api_token": "t", "colour": "red"})),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid_settings")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("colour"), "{body}");
    assert_eq!(app.call("PUT", "/v1/helpdesks/jira", admin, Some(json!({}))).await.0, 404);
    assert_eq!(app.call("POST", "/v1/helpdesks/zendesk/verify", admin, None).await.0, 404);

    // Until the integration exists and is verified, the checklist's handoff item is not done.
    let handoff = json!({"action": "helpdesk", "helpdesk": "zendesk",
        "message": "상담원이 확인 후 답변드릴게요.{{#if ticket_id}} 접수 번호: {{ticket_id}}{{/if}}"});
    let (_, view) = app.call("PATCH", "/v1/channels/webchat", admin, Some(json!({"handoff": handoff}))).await;
    let item = view["launch"]["items"].as_array().unwrap().iter().find(|i| i["id"] == "handoff").unwrap().clone();
    assert_eq!(item["done"], false, "{item}");
    zendesk_setup(&app, &server).await;
    webchat_live(&app, handoff).await;

    // The preview shows the ticket and the request it would send, the token hidden; nothing is sent.
    let (status, preview) =
        app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "상담원 연결해주세요"}))).await;
    assert_eq!(status, 200, "{preview}");
    let request = &preview["ticket"]["request"];
    assert_eq!(request["url"].as_str().unwrap(), format!("{}/api/v2/tickets.json", server.uri()), "{preview}");
    assert!(request["body"]["ticket"]["tags"].as_array().unwrap().contains(&json!("ai_handoff")), "{request}");
    assert!(!request.to_string().contains(ZD_TOKEN) && request.to_string().contains("***"), "{request}");
    assert!(fake.received().is_empty());

    // The test handoff creates a real ticket from a test requester, tagged test.
    let (status, test) = app.call("POST", "/v1/channels/webchat/handoff/test", admin, None).await;
    assert_eq!(status, 200, "{test}");
    assert_eq!(test["ticket"]["id"], "101", "{test}");
    assert_eq!(test["message"], "상담원이 확인 후 답변드릴게요. 접수 번호: 101");
    let sent = fake.received();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body["ticket"]["tags"].as_array().unwrap().contains(&json!("test")), "{}", sent[0].body);
    let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", admin, None).await;
    let tested = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "handoff_tested").unwrap().clone();
    assert_eq!(tested["done"], true, "{tested}");

    // A customer asks for a person: one ticket, the documented body and auth, and the message
    // naming the ticket once it exists.
    let (room, mut stream) = ask_for_a_person(&app, "happy@example.com").await;
    let told = bot_reply(&mut stream, 15).await;
    assert_eq!(told, "상담원이 확인 후 답변드릴게요. 접수 번호: 102");
    let handoff = handoff_in(&app, &room, "delivered", 5).await;
    assert_eq!(handoff["reason"], "explicit_request");
    assert_eq!(handoff["ticket"]["id"], "102");
    assert_eq!(handoff["ticket"]["url"].as_str().unwrap(), format!("{}/agent/tickets/102", server.uri()));
    let posts: Vec<_> =
        fake.received().into_iter().filter(|r| r.body["ticket"]["requester"]["email"] == "happy@example.com").collect();
    assert_eq!(posts.len(), 1, "exactly one POST for one handoff");
    let post = &posts[0];
    assert_eq!(post.key.as_deref(), handoff["id"].as_str(), "the idempotency key is the handoff's id");
    let basic = format!("Basic {}", base64(&format!("{ZD_EMAIL}/token:{ZD_TOKEN}")));
    assert_eq!(post.auth, basic);
    let ticket = &post.body["ticket"];
    assert_eq!(ticket["requester"]["name"], "김해피");
    let tags = ticket["tags"].as_array().unwrap();
    assert!(tags.contains(&json!("ai_handoff")) && tags.contains(&json!("explicit_request")), "{ticket}");
    let body = ticket["comment"]["body"].as_str().or(ticket["comment"]["html_body"].as_str()).unwrap();
    assert!(body.contains("상담원 연결해주세요") && body.contains("주문번호 1001"), "{body}");
    let room_id: RoomId = room.parse().unwrap();
    let stored = app.running.store.room(workspace(&app), room_id).await.unwrap();
    assert_eq!(stored.ticket.as_ref().map(|t| t.id.as_str()), Some("102"), "the ticket is recorded on the room");

    // 429 with Retry-After, then 201: one ticket, both attempts with the same key.
    fake.script("busy@example.com", vec![zd::rate_limited(1)]);
    let (room, mut stream) = ask_for_a_person(&app, "busy@example.com").await;
    assert!(bot_reply(&mut stream, 15).await.contains("접수 번호: 103"));
    let handoff = handoff_in(&app, &room, "delivered", 5).await;
    assert_eq!(handoff["attempts"], 2);
    let keys: Vec<_> = fake
        .received()
        .into_iter()
        .filter(|r| r.body["ticket"]["requester"]["email"] == "busy@example.com")
        .map(|r| r.key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");

    // 500, 500, 201: one ticket.
    fake.script("flaky@example.com", vec![zd::server_error(), zd::server_error()]);
    let (room, mut stream) = ask_for_a_person(&app, "flaky@example.com").await;
    let told = bot_reply(&mut stream, 20).await;
    assert!(told.contains("접수 번호: 104"), "{told}: {}", handoff_in(&app, &room, "dead", 1).await);
    let handoff = handoff_in(&app, &room, "delivered", 5).await;
    assert_eq!(handoff["attempts"], 3);

    // 422: dead-lettered at once with Zendesk's message; the customer is still told; an operator
    // retries it after fixing the cause.
    fake.script("broken@example.com", vec![zd::record_invalid("Requester: Email is not properly formatted")]);
    let (room, mut stream) = ask_for_a_person(&app, "broken@example.com").await;
    assert_eq!(bot_reply(&mut stream, 15).await, "상담원이 확인 후 답변드릴게요.");
    let dead = handoff_in(&app, &room, "dead", 5).await;
    assert_eq!(dead["attempts"], 1);
    let error = dead["last_error"].as_str().unwrap();
    assert!(error.contains("Email is not properly formatted"), "{error}");
    let (status, listed) = app.call("GET", "/v1/handoffs?state=dead", admin, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["handoffs"].as_array().unwrap().len(), 1, "{listed}");
    let id = dead["id"].as_str().unwrap();
    let (status, retried) = app.call("POST", &format!("/v1/handoffs/{id}/retry"), admin, None).await;
    assert_eq!((status, retried["state"].as_str()), (200, Some("pending")), "{retried}");
    handoff_in(&app, &room, "delivered", 5).await;
    assert_eq!(app.call("POST", &format!("/v1/handoffs/{id}/retry"), admin, None).await.0, 409);

    // Attempts are a setting of the integration: after them, a dead letter. Secrets left out of a
    // PUT are kept.
    let (status, view) = app
        .call(
            "PUT",
            "/v1/helpdesks/zendesk",
            admin,
            Some(json!({"base_url": server.uri(), "email": ZD_EMAIL, "max_attempts": 2})),
        )
        .await;
    assert_eq!((status, &view["max_attempts"], &view["verified"]), (200, &json!(2), &json!(true)), "{view}");
    fake.script("down@example.com", vec![zd::server_error(), zd::server_error(), zd::server_error()]);
    let (room, mut stream) = ask_for_a_person(&app, "down@example.com").await;
    assert_eq!(bot_reply(&mut stream, 15).await, "상담원이 확인 후 답변드릴게요.");
    let dead = handoff_in(&app, &room, "dead", 5).await;
    assert_eq!(dead["attempts"], 2);
    assert!(dead["last_error"].as_str().unwrap().starts_with("gave up after 2 attempts"), "{dead}");

    // Bad queries and ids, and another workspace's handoffs.
    assert_eq!(app.call("GET", "/v1/handoffs?state=lost", admin, None).await.0, 400);
    assert_eq!(app.call("GET", "/v1/handoffs?colour=red", admin, None).await.0, 400);
    assert_eq!(app.call("GET", "/v1/handoffs/not-an-id", admin, None).await.0, 404);
    let other = app.second_workspace("other-admin", 3).await;
    let other_token = Some(other.admin_token.expose());
    assert_eq!(app.call("GET", &format!("/v1/handoffs/{id}"), other_token, None).await.0, 404);
    assert_eq!(app.call("POST", &format!("/v1/handoffs/{id}/retry"), other_token, None).await.0, 404);
    let (_, theirs) = app.call("GET", "/v1/handoffs", other_token, None).await;
    assert_eq!(theirs["handoffs"], json!([]));

    // The integration is in use: it can't be removed, and credentials Zendesk rejects are
    // refused while the channel is live.
    assert_eq!(app.call("DELETE", "/v1/helpdesks/zendesk", admin, None).await.0, 409);
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/api/v2/users/me.json"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Basic {}", base64(&format!("{ZD_EMAIL}/token:revoked"))).as_str(),
        ))
        .respond_with(wiremock::ResponseTemplate::new(401).set_body_json(json!({"error": "Couldn't authenticate you"})))
        .with_priority(1)
        .mount(&server)
        .await;
    let wrong = json!({"base_url": server.uri(), "email": ZD_EMAIL, "api_token": "revoked"});
    let (status, body) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(wrong)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("would_break_live")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("email/token"), "{body}");
    let (_, kept) = app.call("GET", "/v1/helpdesks/zendesk", admin, None).await;
    assert_eq!(kept["verified"], true, "the working settings stay: {kept}");
    assert_eq!(fake.tickets().len(), 5, "one ticket per handoff, the test's included");
    app.stop().await;
}

on_each_backend!(zendesk_tickets_exactly_once);

async fn queue_and_static_reach_the_waiting_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = Some(app.admin_token.as_str());
    webchat_live(&app, json!({"action": "static", "message": "상담은 평일 10시-17시에 1588-0000으로 연락 주세요."}))
        .await;
    let (status, test) = app.call("POST", "/v1/channels/webchat/handoff/test", admin, None).await;
    assert_eq!(status, 200, "{test}");
    assert_eq!(test["ticket"], Value::Null);

    let (room, mut stream) = ask_for_a_person(&app, "static@example.com").await;
    assert_eq!(bot_reply(&mut stream, 10).await, "상담은 평일 10시-17시에 1588-0000으로 연락 주세요.");
    let handoff = handoff_in(&app, &room, "queued", 5).await;
    assert_eq!(handoff["action"], "static");
    let stored = app.running.store.room(workspace(&app), room.parse().unwrap()).await.unwrap();
    assert_eq!(stored.status, RoomStatus::Waiting);

    let (status, body) = app
        .call(
            "PATCH",
            "/v1/channels/webchat",
            admin,
            Some(json!({"handoff": {"action": "queue", "message": "잠시만요!"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (room, mut stream) = ask_for_a_person(&app, "queue@example.com").await;
    assert_eq!(bot_reply(&mut stream, 10).await, "잠시만요!");
    assert_eq!(handoff_in(&app, &room, "queued", 5).await["action"], "queue");
    let stored = app.running.store.room(workspace(&app), room.parse().unwrap()).await.unwrap();
    assert_eq!(stored.status, RoomStatus::Waiting);
    app.stop().await;
}

on_each_backend!(queue_and_static_reach_the_waiting_list);

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Receives webhook handoffs and checks each signature by the README's recipe.
#[derive(Clone, Default)]
struct WebhookReceiver(std::sync::Arc<std::sync::Mutex<Vec<(String, bool, Value)>>>);

const HOOK_SECRET: &str = "whsec-0123456789";

impl wiremock::Respond for WebhookReceiver {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        use hmac::{Hmac, KeyInit, Mac};
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let timestamp = header("x-sangdam-timestamp");
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(&request.body);
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let fresh = timestamp.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
        let valid = fresh && header("x-sangdam-signature") == format!("v1={expected}");
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        self.0.lock().unwrap().push((header("x-sangdam-event"), valid, body));
        wiremock::ResponseTemplate::new(200)
            .set_body_json(json!({"ticket_id": "WH-1", "ticket_url": "https://hooks.example/tickets/WH-1"}))
    }
}

/// Freshdesk, Gorgias and the signed webhook through the live path and the outbox.
#[tokio::test]
async fn freshdesk_gorgias_and_the_webhook_end_to_end() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, ResponseTemplate};
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());

    // The webhook: every request signed as the README says.
    let hooks = MockServer::start().await;
    let receiver = WebhookReceiver::default();
    Mock::given(method("POST")).and(path("/hook")).respond_with(receiver.clone()).mount(&hooks).await;
    let body = json!({"url": format!("{}/hook", hooks.uri()), "secret": HOOK_SECRET});
    let (status, view) = app.call("PUT", "/v1/helpdesks/webhook", admin, Some(body)).await;
    assert_eq!((status, &view["verified"]), (200, &json!(true)), "{view}");
    webchat_live(&app, json!({"action": "helpdesk", "helpdesk": "webhook", "message": "접수했어요: {{ticket_id}}"}))
        .await;
    let (room, mut stream) = ask_for_a_person(&app, "hook@example.com").await;
    assert_eq!(bot_reply(&mut stream, 10).await, "접수했어요: WH-1");
    assert_eq!(handoff_in(&app, &room, "delivered", 5).await["ticket"]["url"], "https://hooks.example/tickets/WH-1");
    let received = receiver.0.lock().unwrap().clone();
    assert_eq!(received.iter().map(|(e, ..)| e.as_str()).collect::<Vec<_>>(), ["ping", "handoff.created"]);
    assert!(received.iter().all(|(_, valid, _)| *valid), "every request verifies by the recipe");
    assert_eq!(received[1].2["handoff"]["customer"]["email"], "hook@example.com");

    // Freshdesk: a 429 with Retry-After, then the ticket.
    let fd = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/agents/me"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 7, "contact": {"email": "a@brand.example"}})),
        )
        .mount(&fd)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fd)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 55, "status": 2})))
        .mount(&fd)
        .await;
    let (status, view) = app
        .call("PUT", "/v1/helpdesks/freshdesk", admin, Some(json!({"base_url": fd.uri(), "api_key": "fd-key"})))
        .await;
    assert_eq!((status, &view["verified"]), (200, &json!(true)), "{view}");
    let handoff =
        json!({"handoff": {"action": "helpdesk", "helpdesk": "freshdesk", "message": "접수했어요: {{ticket_id}}"}});
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", admin, Some(handoff)).await;
    assert_eq!(status, 200, "a verified helpdesk keeps the live channel's handoff item done: {body}");
    let (room, mut stream) = ask_for_a_person(&app, "fd@example.com").await;
    assert_eq!(bot_reply(&mut stream, 15).await, "접수했어요: 55");
    let delivered = handoff_in(&app, &room, "delivered", 5).await;
    assert_eq!(
        (delivered["attempts"].as_i64(), delivered["ticket"]["url"].as_str()),
        (Some(2), Some(format!("{}/a/tickets/55", fd.uri()).as_str()))
    );
    let posts: Vec<_> =
        fd.received_requests().await.unwrap().into_iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|r| r.headers.get("authorization").unwrap() == &format!("Basic {}", base64("fd-key:X"))));

    // Gorgias: a 500 leaves the outcome unknown, so the retry looks for the ticket first.
    let gg = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/account"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"domain": "brand"})))
        .mount(&gg)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&gg)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 77, "uri": "/api/tickets/77/"})))
        .mount(&gg)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/tickets"))
        .and(query_param("external_id", ""))
        .respond_with(ResponseTemplate::new(400))
        .mount(&gg)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/tickets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "meta": {"next_cursor": null}})))
        .mount(&gg)
        .await;
    let body = json!({"base_url": gg.uri(), "email": "agent@brand.example", "api_key": "gg-key"});
    let (status, view) = app.call("PUT", "/v1/helpdesks/gorgias", admin, Some(body)).await;
    assert_eq!((status, &view["verified"]), (200, &json!(true)), "{view}");
    let handoff =
        json!({"handoff": {"action": "helpdesk", "helpdesk": "gorgias", "message": "접수했어요: {{ticket_id}}"}});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", admin, Some(handoff)).await.0, 200);
    let (room, mut stream) = ask_for_a_person(&app, "gg@example.com").await;
    assert_eq!(bot_reply(&mut stream, 15).await, "접수했어요: 77");
    assert_eq!(handoff_in(&app, &room, "delivered", 5).await["attempts"], 2);
    let requests = gg.received_requests().await.unwrap();
    let lookups = requests.iter().filter(|r| r.method.as_str() == "GET" && r.url.path() == "/api/tickets").count();
    let creates = requests.iter().filter(|r| r.method.as_str() == "POST").count();
    assert_eq!((lookups, creates), (1, 2), "one lookup between the two attempts");

    // A helpdesk no channel uses can be removed; one in use cannot.
    assert_eq!(app.call("DELETE", "/v1/helpdesks/freshdesk", admin, None).await.0, 204);
    assert_eq!(app.call("DELETE", "/v1/helpdesks/gorgias", admin, None).await.0, 409);
    let (_, list) = app.call("GET", "/v1/helpdesks", admin, None).await;
    let names: Vec<&str> = list["helpdesks"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gorgias", "webhook"]);
    assert_eq!(list["adapters"].as_array().unwrap().len(), 4);
    app.stop().await;
}

/// Basic auth user and password of a request, decoded.
fn basic_credentials(request: &wiremock::Request) -> Option<String> {
    use base64::Engine;
    let value = request.headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?).ok()
}

/// A manager who moves an integration to another address without giving the secret again is
/// refused, and the stored token never reaches the new address.
async fn a_moved_helpdesk_needs_its_secret_again(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let saved = MockServer::start().await;
    FakeZendesk::default().mount(&saved).await;
    zendesk_setup(&app, &saved).await;
    let (_, manager) = common::rooms::counselor(&app, "manager.m", "박매니저", "manager", None).await;
    let manager = Some(manager.as_str());
    let elsewhere = MockServer::start().await;
    FakeZendesk::default().mount(&elsewhere).await;

    let moved = json!({"base_url": elsewhere.uri(), "email": ZD_EMAIL});
    let (status, body) = app.call("PUT", "/v1/helpdesks/zendesk", manager, Some(moved)).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("secret_required")), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("give api_token again: base_url changed"), "{message}");
    let received = elsewhere.received_requests().await.unwrap();
    assert!(received.iter().all(|r| !r.headers.contains_key("authorization")), "the stored token went out");
    assert!(received.is_empty(), "nothing at all is sent to the new address");
    let (_, view) = app.call("GET", "/v1/helpdesks/zendesk", manager, None).await;
    assert_eq!((view["settings"]["base_url"].as_str(), &view["verified"]), (Some(saved.uri().as_str()), &json!(true)));

    // The same address spelled with a trailing slash, or another email, keeps the stored token.
    let same = json!({"base_url": format!("{}/", saved.uri()), "email": "other@brand.example"});
    let (status, view) = app.call("PUT", "/v1/helpdesks/zendesk", manager, Some(same)).await;
    assert_eq!((status, &view["secrets_set"]), (200, &json!(["api_token"])), "{view}");

    // With the secret given again the move is made, and only the new secret travels.
    let moved = json!({"base_url": elsewhere.uri(), "email": ZD_EMAIL, "api_token": "zd-new-token"});
    let (status, view) = app.call("PUT", "/v1/helpdesks/zendesk", manager, Some(moved)).await;
    assert_eq!((status, &view["verified"]), (200, &json!(true)), "{view}");
    let received = elsewhere.received_requests().await.unwrap();
    assert!(!received.is_empty());
    for request in &received {
        let credentials = basic_credentials(request).unwrap_or_default();
        assert!(credentials.ends_with(":zd-new-token") && !credentials.contains(ZD_TOKEN), "{credentials}");
    }
    app.stop().await;
}

on_each_backend!(a_moved_helpdesk_needs_its_secret_again);

/// Internal addresses, in any spelling and behind names, are refused with the same words
/// whether a port is open or closed; nothing is sent.
#[tokio::test]
async fn internal_helpdesk_addresses_are_refused_alike() {
    let clock = std::sync::Arc::new(sangdam::clock::SystemClock);
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, clock, |c| c.outbound_allow = Default::default()).await else {
        return;
    };
    let admin = Some(app.admin_token.as_str());
    let open = MockServer::start().await;
    FakeZendesk::default().mount(&open).await;
    let port = open.address().port();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let addresses = [
        open.uri(),
        format!("http://127.0.0.1:{closed}"),
        "http://127.0.0.1:5432".to_owned(),
        format!("http://127.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("https://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost:{port}"),
        app.base.clone(),
    ];
    for base_url in addresses {
        let body = json!({"base_url": base_url, "email": ZD_EMAIL, "api_token": ZD_TOKEN});
        let (status, view) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(body)).await;
        assert_eq!((status, &view["verified"]), (200, &json!(false)), "{base_url}: {view}");
        let check = &view["check"];
        assert_eq!(check["reason"], "not_allowed", "{base_url}: {view}");
        assert_eq!(check["detail"], "the address is not allowed for outbound calls", "{base_url}: {view}");
        let (status, view) = app.call("POST", "/v1/helpdesks/zendesk/verify", admin, None).await;
        assert_eq!((status, &view["check"]["detail"]), (200, &check["detail"]), "{base_url}: {view}");
    }
    assert!(open.received_requests().await.unwrap().is_empty(), "nothing reached the open port");
    app.stop().await;
}

/// `SANGDAM_OUTBOUND_ALLOW` lets a deployment reach an internal helpdesk, by range or by name;
/// the engine's own address stays refused even inside an allowed range.
#[tokio::test]
async fn allowed_internal_addresses_are_reached() {
    let clock = std::sync::Arc::new(sangdam::clock::SystemClock);
    let allow = sangdam::outbound::AllowList::parse("localhost").unwrap();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, clock, |c| c.outbound_allow = allow).await else { return };
    let admin = Some(app.admin_token.as_str());
    let server = MockServer::start().await;
    FakeZendesk::default().mount(&server).await;
    let by_name = format!("http://localhost:{}", server.address().port());
    let body = json!({"base_url": by_name, "email": ZD_EMAIL, "api_token": ZD_TOKEN});
    let (status, view) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(body)).await;
    assert_eq!((status, &view["verified"]), (200, &json!(true)), "{view}");
    // The name is allowed, not the address it resolves to.
    let body = json!({"base_url": server.uri(), "email": ZD_EMAIL, "api_token": ZD_TOKEN});
    let (_, view) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(body)).await;
    assert_eq!(view["check"]["reason"], "not_allowed", "{view}");
    app.stop().await;

    // The suite's servers allow 127.0.0.1, and still refuse to call themselves.
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());
    let body = json!({"base_url": app.base, "email": ZD_EMAIL, "api_token": ZD_TOKEN});
    let (_, view) = app.call("PUT", "/v1/helpdesks/zendesk", admin, Some(body)).await;
    assert_eq!(view["check"]["detail"], "the address is not allowed for outbound calls", "{view}");
    app.stop().await;
}
