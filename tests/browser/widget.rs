//! The customer's chat widget on the engine's demo page, in a real browser: the channel goes live
//! through the demo page's own load, a customer asks the agent, keeps the conversation across a
//! reload, asks for a person, hears a counselor live, and ends the conversation; in Korean at
//! desktop width and in English at phone width.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::common::rooms::{act, counselor, room_leaves_bot};
use crate::common::{Backend, TestApp};
use crate::harness::{Browser, DESKTOP, PHONE};

/// The widget lives in a shadow root; these helpers look inside it.
const IN_WIDGET: &str = "const root = document.querySelector('[data-sangdam-widget]');
     return root && root.shadowRoot ? root.shadowRoot : null;";

/// The first element in the widget matching `css`, waiting for it to be there and shown.
async fn part(browser: &Browser, css: &str) -> Element {
    let started = Instant::now();
    loop {
        if let Ok(host) = browser.client.find(Locator::Css("[data-sangdam-widget]")).await
            && let Ok(root) = host.shadow_root().await
            && let Ok(el) = root.find(Locator::Css(css)).await
            && el.is_displayed().await.unwrap_or(false)
        {
            return el;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the widget shows no `{css}`");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn press(browser: &Browser, css: &str) {
    part(browser, css).await.click().await.unwrap_or_else(|e| panic!("click `{css}` in the widget: {e}"));
}

/// Waits until an element of the widget matching `css` shows `needle`.
async fn shows(browser: &Browser, css: &str, needle: &str) {
    let script = format!(
        "const r = (() => {{ {IN_WIDGET} }})(); if (!r) return false;
         return Array.from(r.querySelectorAll(arguments[0])).some((n) => n.textContent.includes(arguments[1]));"
    );
    browser
        .wait_js(&format!("the widget's `{css}` to show \"{needle}\""), &script, vec![json!(css), json!(needle)])
        .await;
}

/// Runs `body` (a script over the shadow root `r`) in the page.
async fn in_widget(browser: &Browser, body: &str) -> Value {
    browser.js(&format!("const r = (() => {{ {IN_WIDGET} }})(); {body}"), vec![]).await
}

/// Types into the widget's message box and sends with Enter.
async fn say(browser: &Browser, text: &str) {
    let input = part(browser, "textarea").await;
    input.send_keys(text).await.expect("type a message");
    input.send_keys(&char::from(Key::Enter).to_string()).await.expect("press Enter");
    shows(browser, ".row.customer .text", text).await;
}

/// The webchat channel configured for the demo store, listing the engine's own origin.
async fn configure(app: &TestApp) {
    let settings = json!({
        "intro_message": "안녕하세요, 하루결 AI 상담원이에요. 주문, 배송, 상품 추천을 도와드릴게요.",
        "title": "하루결 고객센터",
        "allowed_origins": [app.base],
        "skills": ["greeting", "order_tracking", "product_recommendation", "human_handoff"],
        "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요. 잠시만 기다려 주세요."},
    });
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
}

/// Waits until the launch checklist's `channel_setup` is done, and returns its detail.
async fn channel_set_up(app: &TestApp) -> String {
    for _ in 0..100 {
        let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", Some(&app.admin_token), None).await;
        let item = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "channel_setup").unwrap().clone();
        if item["done"] == true {
            return item["detail"].as_str().unwrap_or_default().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("loading the demo page never completed channel_setup");
}

/// The conversation the widget keeps in the page's storage.
async fn stored_conversation(browser: &Browser, key: &str) -> (String, String) {
    let stored = browser
        .wait_js("a stored conversation", "return localStorage.getItem('sangdam:' + arguments[0]);", vec![json!(key)])
        .await;
    let stored: Value = serde_json::from_str(stored.as_str().unwrap()).unwrap();
    (stored["conversation_id"].as_str().unwrap().to_owned(), stored["token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn widget_on_the_demo_page() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let Some(mut browser) = Browser::start("widget_on_the_demo_page", DESKTOP).await else { return };
    let admin = app.admin_token.clone();
    configure(&app).await;
    let (_, kim) = counselor(&app, "kim.counselor", "김상담", "agent", None).await;

    // Without a key the page says what to add.
    browser.goto(&app.url("/demo?lang=ko")).await;
    browser.find_text(".nokey", "위젯 키가 필요해요").await;
    browser.shot("no-key-ko").await;

    // Loading the page records the engine's origin: the checklist's channel setup is done.
    let key = app.widget_key.clone();
    browser.goto(&app.url(&format!("/demo?key={key}&lang=ko"))).await;
    browser.find_text(".testbar", "웹채팅 테스트 페이지").await;
    let launcher = part(&browser, ".launcher").await;
    assert_eq!(launcher.attr("aria-label").await.unwrap().as_deref(), Some("상담 창 열기"));
    let detail = channel_set_up(&app).await;
    assert!(detail.contains(&app.base), "{detail}");
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-on", Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");
    browser.shot("demo-ko").await;

    // Open: the intro, the title, focus in the message box.
    launcher.click().await.unwrap();
    shows(&browser, ".row.bot .text", "하루결 AI 상담원이에요").await;
    shows(&browser, ".head h2", "하루결 고객센터").await;
    let focused = in_widget(&browser, "return r.activeElement && r.activeElement.tagName;").await;
    assert_eq!(focused, "TEXTAREA");

    // A question the demo shop answers.
    say(&browser, "주문번호 1001 배송 어디쯤이에요?").await;
    shows(&browser, ".row.bot .text", "640123456789").await;
    shows(&browser, ".row.bot .meta", "AI 상담원").await;
    browser.shot("answered-ko").await;

    // A reload keeps the conversation; it is shown when the panel opens again.
    let (room, _) = stored_conversation(&browser, &key).await;
    browser.client.refresh().await.expect("reload");
    press(&browser, ".launcher").await;
    shows(&browser, ".row.customer .text", "주문번호 1001 배송 어디쯤이에요?").await;
    shows(&browser, ".row.bot .text", "640123456789").await;
    assert_eq!(stored_conversation(&browser, &key).await.0, room, "the same conversation after the reload");

    // Asking for a person: the handoff message, tagged, and the notice of who takes over.
    say(&browser, "상담원 연결해주세요").await;
    shows(&browser, ".msg.handoff .text", "상담원을 연결해 드릴게요").await;
    shows(&browser, ".note.handoff", "상담원에게 연결해 드렸어요").await;
    shows(&browser, ".state", "상담원 연결 대기 중").await;
    room_leaves_bot(&app, &room).await;
    browser.shot("handoff-ko").await;

    // A counselor takes the room and replies: it appears live, under the counselor's name.
    assert_eq!(act(&app, &kim, &room, "receive", None).await.0, 200);
    shows(&browser, ".state", "김상담 상담원과 대화 중").await;
    let reply = json!({"text": "안녕하세요, 상담원 김상담입니다. 1001번 주문은 내일 도착 예정이에요."});
    assert_eq!(act(&app, &kim, &room, "messages", Some(reply)).await.0, 201);
    shows(&browser, ".row.counselor .text", "내일 도착 예정이에요").await;
    shows(&browser, ".row.counselor .meta", "김상담").await;
    browser.shot("counselor-ko").await;

    // Escape closes the panel and gives focus back to the launcher; a reply meanwhile lights its dot.
    part(&browser, "textarea").await.send_keys(&char::from(Key::Escape).to_string()).await.unwrap();
    browser
        .wait_js(
            "the panel closed with focus on the launcher",
            &format!("const r = (() => {{ {IN_WIDGET} }})(); return r.querySelector('.panel').hidden && r.activeElement === r.querySelector('.launcher');"),
            vec![],
        )
        .await;
    assert_eq!(act(&app, &kim, &room, "messages", Some(json!({"text": "더 궁금한 점 있으세요?"}))).await.0, 201);
    let launcher = part(&browser, ".launcher.unread").await;
    assert_eq!(launcher.attr("aria-label").await.unwrap().as_deref(), Some("상담 창 열기 (새 메시지 있음)"));
    browser.shot("unread-ko").await;
    launcher.click().await.unwrap();
    shows(&browser, ".row.counselor .text", "더 궁금한 점 있으세요?").await;

    // The customer ends it, after a confirmation inside the panel.
    press(&browser, ".end").await;
    shows(&browser, ".sheet h3", "상담을 종료할까요?").await;
    browser.shot("confirm-end-ko").await;
    press(&browser, ".sheet .btn:not(.danger)").await; // keep chatting
    part(&browser, "textarea").await;
    press(&browser, ".end").await;
    press(&browser, ".sheet .btn.danger").await;
    shows(&browser, ".sheet", "상담을 종료했어요").await;
    shows(&browser, ".state", "종료된 상담").await;
    let (_, closed) = app.call("GET", &format!("/v1/rooms/{room}"), Some(&admin), None).await;
    assert_eq!((closed["status"].as_str(), closed["close_type"].as_str()), (Some("closed"), Some("customer")));
    browser.shot("ended-ko").await;

    // Starting over: a fresh conversation with only the intro.
    press(&browser, ".sheet .btn.primary").await;
    part(&browser, "textarea").await;
    let rows = in_widget(&browser, "return r.querySelectorAll('.row').length;").await;
    assert_eq!(rows, 1, "only the intro is left");
    browser.finish().await;

    english_on_a_phone(&app, &kim).await;
    app.stop().await;
}

/// The same path in English at phone width, where the panel fills the screen.
async fn english_on_a_phone(app: &TestApp, kim: &str) {
    // The brand writes its texts in both languages; the English page shows the English ones.
    let settings = json!({
        "intro_message": {
            "ko": "안녕하세요, 하루결 AI 상담원이에요. 주문, 배송, 상품 추천을 도와드릴게요.",
            "en": "Hi, I'm Haru Living's AI assistant. I can help with orders, delivery and gift ideas.",
        },
        "title": {"ko": "하루결 고객센터", "en": "Haru Living Support"},
        "handoff": {"action": "queue", "message": {
            "ko": "상담원을 연결해 드릴게요. 잠시만 기다려 주세요.",
            "en": "I'm connecting you with our team. Please hold on a moment.",
        }},
    });
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    let Some(mut browser) = Browser::start("widget_on_a_phone", PHONE).await else { return };
    browser.goto(&app.url("/demo?lang=en")).await;
    browser.find_text(".nokey", "A widget key is needed").await;
    browser.shot("no-key-en").await;
    browser.goto(&app.url(&format!("/demo?key={}&lang=en", app.widget_key))).await;
    browser.find_text("h1", "Soft days").await;
    browser.shot("demo-en").await;

    press(&browser, ".launcher").await;
    let size =
        in_widget(&browser, "const b = r.querySelector('.panel').getBoundingClientRect(); return [b.width, b.height];")
            .await;
    assert_eq!(size, json!([375, 740]), "the panel fills a phone's screen");
    shows(&browser, ".row.bot .text", "Haru Living's AI assistant").await;
    shows(&browser, ".head h2", "Haru Living Support").await;
    browser.shot("intro-en").await;
    say(&browser, "Where is order 1001?").await;
    shows(&browser, ".row.bot .text", "1001").await;
    shows(&browser, ".row.bot .meta", "AI assistant").await;
    browser.shot("answered-en").await;

    say(&browser, "I want to talk to a person").await;
    shows(&browser, ".note.handoff", "connected to our support team").await;
    shows(&browser, ".state", "Waiting for an agent").await;
    let (room, _) = stored_conversation(&browser, &app.widget_key).await;
    room_leaves_bot(app, &room).await;
    assert_eq!(act(app, kim, &room, "receive", None).await.0, 200);
    let reply = json!({"text": "Hi, this is Kim from support. Order 1001 arrives tomorrow."});
    assert_eq!(act(app, kim, &room, "messages", Some(reply)).await.0, 201);
    shows(&browser, ".row.counselor .text", "arrives tomorrow").await;
    shows(&browser, ".state", "Chatting with 김상담").await;
    browser.shot("counselor-en").await;

    press(&browser, ".end").await;
    shows(&browser, ".sheet h3", "End this conversation?").await;
    browser.shot("confirm-end-en").await;
    press(&browser, ".sheet .btn.danger").await;
    shows(&browser, ".sheet", "You ended the conversation").await;
    browser.shot("ended-en").await;

    // A counselor's close reaches an open widget live too.
    press(&browser, ".sheet .btn.primary").await;
    say(&browser, "I want to talk to a person").await;
    shows(&browser, ".state", "Waiting for an agent").await;
    let (room, _) = stored_conversation(&browser, &app.widget_key).await;
    room_leaves_bot(app, &room).await;
    assert_eq!(act(app, kim, &room, "receive", None).await.0, 200);
    assert_eq!(act(app, kim, &room, "close", None).await.0, 200);
    shows(&browser, ".sheet", "This conversation has ended").await;
    browser.finish().await;
}
