//! Helpers for counselor-queue tests: counselors with tokens, and rooms handed off to the queue
//! through the live agent, as a customer would get there.

use std::time::Duration;

use serde_json::{Value, json};

use super::TestApp;

/// Turns the webchat agent on with handoff action `queue`: asking for a person puts the
/// conversation into the counselor queue.
pub async fn queue_live(app: &TestApp) {
    let admin = Some(app.admin_token.as_str());
    let settings = json!({
        "intro_message": "안녕하세요!",
        "allowed_origins": ["https://shop.example"],
        "skills": ["greeting", "order_tracking", "human_handoff"],
        "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요."},
    });
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", admin, Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    let loaded = app.load_widget("https://shop.example").await;
    assert_eq!(loaded.status(), 200);
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!(status, 200, "{body}");
}

/// Opens a conversation for `customer`, asks for a person and waits until the room has left
/// the agent; returns (room id, the customer's token).
pub async fn hand_off(app: &TestApp, customer: Value) -> (String, String) {
    let (id, token) = app.open_conversation(customer).await;
    let (status, body) = app.post_message(&id, &token, "상담원 연결해주세요", "handoff-1").await;
    assert_eq!(status, 202, "{body}");
    room_leaves_bot(app, &id).await;
    (id, token)
}

/// Waits until the room is in the counselor queue (any status but `bot`); returns it as the
/// admin sees it.
pub async fn room_leaves_bot(app: &TestApp, id: &str) -> Value {
    let admin = Some(app.admin_token.as_str());
    for _ in 0..100 {
        let (status, room) = app.call("GET", &format!("/v1/rooms/{id}"), admin, None).await;
        assert_eq!(status, 200, "{room}");
        if room["status"] != "bot" {
            return room;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("room {id} never reached the counselor queue");
}

/// Registers, certifies and logs in a counselor; returns (account id, token).
pub async fn counselor(app: &TestApp, login: &str, name: &str, role: &str, manager: Option<&str>) -> (String, String) {
    let admin = Some(app.admin_token.as_str());
    let mut body = json!({"login": login, "password": "s3cret-pass", "name": name, "role": role});
    if let Some(manager) = manager {
        body["manager_id"] = json!(manager);
    }
    let (status, created) = app.call("POST", "/v1/accounts", admin, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, body) = app.call("POST", &format!("/v1/accounts/{id}/certify"), admin, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        app.call("POST", "/v1/auth/login", None, Some(json!({"login": login, "password": "s3cret-pass"}))).await;
    assert_eq!(status, 200, "{body}");
    (id, body["token"].as_str().unwrap().to_owned())
}

/// The ids of the rooms in one tab of the list, as `token` sees it.
pub async fn tab(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, body) = app.call("GET", &format!("/v1/rooms?{query}"), Some(token), None).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["rooms"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

/// `POST /v1/rooms/{id}/{action}` as `token`.
pub async fn act(app: &TestApp, token: &str, id: &str, action: &str, body: Option<Value>) -> (u16, Value) {
    app.call("POST", &format!("/v1/rooms/{id}/{action}"), Some(token), body).await
}
