//! Texts customers read, in Korean and English: the intro, the widget title, the handoff and the
//! fallback messages are written once for every language or per language, and each customer
//! gets the one of the language they write in. Settings saved before texts had languages (plain
//! strings) keep loading on both backends.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use serde_json::{Value, json};

const SKILLS: [&str; 4] = ["greeting", "order_tracking", "faq", "human_handoff"];

/// The settings the widget is given, as it asks for them.
async fn widget_settings(app: &TestApp) -> Value {
    let res = app
        .http
        .get(app.url("/v1/webchat/settings"))
        .header("X-Widget-Key", &app.widget_key)
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn patch_webchat(app: &TestApp, body: Value) -> (u16, Value) {
    app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(body)).await
}

/// The replies of a preview turn that opens a conversation.
async fn preview(app: &TestApp, text: &str) -> Vec<String> {
    let (status, turn) =
        app.call("POST", "/v1/channels/webchat/preview", Some(&app.admin_token), Some(json!({"text": text}))).await;
    assert_eq!(status, 200, "{turn}");
    turn["replies"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_plain_text_serves_every_language_and_an_object_each() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let (status, channel) = patch_webchat(&app, json!({"intro_message": "안녕하세요!", "title": "해피몰"})).await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(channel["settings"]["intro_message"], "안녕하세요!", "a plain string stays one");
    let widget = widget_settings(&app).await;
    assert_eq!((&widget["intro_message"], &widget["title"]), (&json!("안녕하세요!"), &json!("해피몰")));

    let intro = json!({"ko": "안녕하세요! 무엇을 도와드릴까요?", "en": "Hi! How can I help?"});
    let (status, channel) = patch_webchat(&app, json!({"intro_message": intro, "title": {"en": "Happy Mall"}})).await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(channel["settings"]["intro_message"], intro);
    let widget = widget_settings(&app).await;
    assert_eq!((&widget["intro_message"], &widget["title"]), (&intro, &json!({"en": "Happy Mall"})));

    // One language written is enough for the checklist: the other language's customers get it.
    assert_eq!(patch_webchat(&app, json!({"intro_message": {"en": "Hi! How can I help?"}})).await.0, 200);
    let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", Some(&app.admin_token), None).await;
    let item = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "intro_message").unwrap();
    assert_eq!(item["done"], true, "{item}");
    // Blank in both languages is no intro at all.
    assert_eq!(patch_webchat(&app, json!({"intro_message": {"ko": " ", "en": ""}})).await.0, 200);
    let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", Some(&app.admin_token), None).await;
    let item = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "intro_message").unwrap();
    assert_eq!(item["done"], false, "{item}");

    // The API document gives both forms.
    let (_, doc) = app.call("GET", "/openapi.json", None, None).await;
    let patch = doc["components"]["schemas"]["SettingsPatch"]["properties"]["title"].to_string();
    assert!(patch.contains("\"maxLength\":80") && patch.contains("\"ko\"") && patch.contains("\"en\""), "{patch}");
    app.stop().await;
}

#[tokio::test]
async fn unknown_languages_and_overlong_texts_are_refused_by_field() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    for (body, field, says) in [
        (json!({"intro_message": {"ko": "안녕하세요", "fr": "Bonjour"}}), "intro_message", "\"fr\""),
        (json!({"title": {}}), "title", "ko, en or both"),
        (json!({"title": {"en": "a".repeat(81)}}), "title", "the en text"),
        (json!({"handoff": {"action": "queue", "message": {"ja": "少々お待ちください"}}}), "handoff.message", "\"ja\""),
        (json!({"handoff": {"action": "queue", "fallback_message": {"ko": null}}}), "handoff.fallback_message", ""),
        (
            json!({"handoff": {"action": "queue", "message": {"en": "Hi {{order_number}}"}}}),
            "handoff.message",
            "order_number",
        ),
        (
            json!({"handoff": {"action": "helpdesk", "off_hours_message": "내일 오전 9시에 답변드릴게요."}}),
            "handoff.off_hours_message",
            "queue or static",
        ),
    ] {
        let (status, answer) = patch_webchat(&app, body.clone()).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(field) && message.contains(says), "{body} -> {message}");
    }
    let (status, answer) = app
        .call("PATCH", "/v1/channels/sms", Some(&app.admin_token), Some(json!({"help_message": {"kr": "도움말"}})))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("help_message"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn each_customer_gets_the_handoff_and_fallback_text_of_their_language() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let handoff = json!({
        "action": "queue",
        "message": {"ko": "상담원을 바로 연결해 드릴게요.", "en": "Connecting you with a teammate now."},
        "max_fallbacks": 2,
        "fallback_message": {"ko": "죄송해요, 다시 한 번 말씀해 주시겠어요?", "en": "Sorry, could you put that another way?"},
    });
    let (status, body) = patch_webchat(&app, json!({"skills": SKILLS, "handoff": handoff})).await;
    assert_eq!(status, 200, "{body}");

    assert_eq!(preview(&app, "I want to talk to a human").await.last().unwrap(), "Connecting you with a teammate now.");
    assert_eq!(preview(&app, "상담원 연결해주세요").await.last().unwrap(), "상담원을 바로 연결해 드릴게요.");
    assert_eq!(
        preview(&app, "My cat fell asleep on the keyboard again").await,
        ["Sorry, could you put that another way?"]
    );
    assert_eq!(
        preview(&app, "우리 집 고양이가 키보드 위에서 잠들었어요").await,
        ["죄송해요, 다시 한 번 말씀해 주시겠어요?"]
    );

    // Only the Korean text written: English customers get it rather than nothing.
    let korean = json!({"action": "queue", "message": {"ko": "상담원을 연결해 드릴게요."}});
    assert_eq!(patch_webchat(&app, json!({"handoff": korean})).await.0, 200);
    assert_eq!(preview(&app, "I want to talk to a human").await.last().unwrap(), "상담원을 연결해 드릴게요.");
    app.stop().await;
}

/// A live webchat conversation in English is handed to the queue with the English message.
async fn live_handoff_in_the_customers_language(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let settings = json!({
        "intro_message": {"ko": "안녕하세요!", "en": "Hi there!"},
        "allowed_origins": ["https://shop.example"],
        "skills": SKILLS,
        "handoff": {"action": "queue", "message": {"ko": "상담원을 연결해 드릴게요.", "en": "A teammate will be with you shortly."}},
    });
    assert_eq!(patch_webchat(&app, settings).await.0, 200);
    assert_eq!(app.load_widget("https://shop.example").await.status(), 200);
    let (status, live) = app.call("POST", "/v1/channels/webchat/launch/turn-on", Some(&app.admin_token), None).await;
    assert_eq!(status, 200, "{live}");

    for (text, expected) in [
        ("Can I talk to a real person, please?", "A teammate will be with you shortly."),
        ("사람이랑 얘기하고 싶어요", "상담원을 연결해 드릴게요."),
    ] {
        let (id, token) = app.open_conversation(json!({"name": "Alex"})).await;
        assert_eq!(app.post_message(&id, &token, text, "c1").await.0, 202);
        assert_eq!(last_bot_message(&app, &id, &token).await, expected);
    }
    app.stop().await;
}

on_each_backend!(live_handoff_in_the_customers_language);

/// The text of the conversation's bot message, once there is one.
async fn last_bot_message(app: &TestApp, id: &str, token: &str) -> String {
    let started = Instant::now();
    loop {
        let history = app.history(id, token).await;
        if let Some(bot) = history.iter().rev().find(|m| m["author"] == "bot") {
            return bot["text"].as_str().unwrap().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no bot message: {history:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Settings stored as plain strings, as every version before per-language texts wrote them, load
/// and serve both languages.
async fn plain_strings_stored_before_load(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let stored = json!({
        "intro_message": "안녕하세요! 무엇을 도와드릴까요?",
        "title": "해피몰",
        "skills": SKILLS,
        "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요.", "fallback_message": "다시 말씀해 주세요."},
    });
    write_settings_directly(&app, &stored).await;

    let (status, channel) = app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(channel["settings"]["intro_message"], stored["intro_message"]);
    assert_eq!(channel["settings"]["handoff"], stored["handoff"]);
    assert_eq!(widget_settings(&app).await["title"], "해피몰");
    assert_eq!(preview(&app, "I want to talk to a human").await.last().unwrap(), "상담원을 연결해 드릴게요.");
    app.stop().await;
}

on_each_backend!(plain_strings_stored_before_load);

/// Overwrites the webchat channel's stored settings, as an older version left them.
async fn write_settings_directly(app: &TestApp, settings: &Value) {
    let sql = format!("UPDATE channels SET settings = '{settings}' WHERE kind = 'webchat'");
    assert!(!settings.to_string().contains('\''), "the settings go into the SQL as a literal");
    let changed = match &app.db.location {
        sangdam::store::Location::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
            pool.close().await;
            done.rows_affected()
        }
        _ => {
            let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
            let done = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
            pool.close().await;
            done.rows_affected()
        }
    };
    assert_eq!(changed, 1);
}
