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
    let loaded = app
        .http
        .get(app.url("/v1/webchat/settings"))
        .header("X-Widget-Key", &app.widget_key)
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
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

    // The agent no longer answers that room.
    // (Its next message stays unanswered: nothing but the customer's own message arrives.)

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
    assert!(bot_reply(&mut stream, 20).await.contains("접수 번호: 104"));
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
