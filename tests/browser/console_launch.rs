//! The console's Channels and Preview views in a browser: an operator walks the launch checklist
//! from a blocked Turn on button to a live agent, tests the handoff against a helpdesk, and talks
//! to the agent in the preview, saving the conversation as a script `sangdam simulate` passes.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::MockServer;

use crate::common::helpdesk::{FakeZendesk, ZD_EMAIL, ZD_TOKEN};
use crate::common::{Backend, TestApp};
use crate::harness::{Browser, DESKTOP, PHONE};

/// Signs in through the login form, with the page in `lang`, and waits for the console.
async fn sign_in(browser: &Browser, app: &TestApp, lang: &str, hash: &str) {
    browser.goto(&app.url(&format!("/console?lang={lang}{hash}"))).await;
    browser.type_into("input[name=login]", &app.admin_login).await;
    browser.type_into("input[name=password]", &app.admin_password).await;
    press(browser, "form.login button[type=submit]").await;
    browser.find("header .tools .who").await;
}

/// The texts of every element matching `css`.
async fn texts(browser: &Browser, css: &str) -> Vec<String> {
    let found = browser
        .js("return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim());", vec![json!(css)])
        .await;
    found.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// Scrolls the element matching `css` to the top of the page (below the sticky header).
async fn scroll_to(browser: &Browser, css: &str) {
    browser.find(css).await;
    browser
        .js(
            "const el = document.querySelector(arguments[0]); \
             window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 70);",
            vec![json!(css)],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
}

/// Clicks the element matching `css` after scrolling it to the middle of the window, clear of
/// the sticky header.
async fn press(browser: &Browser, css: &str) {
    let el = browser.find(css).await;
    browser.js("arguments[0].scrollIntoView({ block: 'center' });", vec![serde_json::to_value(&el).unwrap()]).await;
    el.click().await.unwrap_or_else(|e| panic!("click `{css}`: {e}"));
}

async fn is_disabled(browser: &Browser, css: &str) -> bool {
    browser.find(css).await;
    browser.js("return document.querySelector(arguments[0]).disabled;", vec![json!(css)]).await == json!(true)
}

async fn item_done(browser: &Browser, id: &str) {
    browser
        .wait_js(
            &format!("the {id} item done"),
            "return document.querySelector(`.check-item.done[data-item=\"${arguments[0]}\"]`) !== null;",
            vec![json!(id)],
        )
        .await;
}

/// The webchat checklist from nothing to live, all in the browser: the greyed-out Turn on with its
/// reasons, each item completed in its section, the widget loaded on the demo page, turned on.
#[tokio::test]
async fn webchat_goes_live_through_the_checklist() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let Some(mut browser) = Browser::start("webchat_goes_live", DESKTOP).await else { return };
    sign_in(&browser, &app, "ko", "#/channels/webchat").await;

    // Blocked, with every required item named next to the button.
    browser.find_text(".launch-head .badge", "설정 중").await;
    assert!(is_disabled(&browser, "#turn-switch").await, "Turn on is greyed out while items are missing");
    let blockers = texts(&browser, "#turn-note .blockers li").await;
    assert_eq!(blockers, ["사이트에 위젯 설치", "소개 메시지", "스킬", "상담 연결(핸드오프)"]);
    assert_eq!(texts(&browser, ".checklist .check-item").await.len(), 6);
    let intro = texts(&browser, ".check-item[data-item=intro_message] .check-detail").await;
    assert!(intro[0].contains("자기소개"), "{intro:?}");
    browser.shot("blocked-ko").await;

    // Intro message: the blocker leads to its section.
    browser.find_text("#turn-note .blockers button", "소개 메시지").await.click().await.unwrap();
    browser
        .wait_js("the intro heading focused", "return document.activeElement.id === 'sec-intro-title';", vec![])
        .await;
    browser
        .type_into("#sec-intro textarea[name=intro_message_ko]", "안녕하세요! 주문·배송을 도와드리는 AI 상담원입니다.")
        .await;
    browser.find_text("#sec-intro .lang-field .hint", "영어로 문의하는 고객에게도 한국어 문구").await;
    press(&browser, "#sec-intro button[type=submit]").await;
    item_done(&browser, "intro_message").await;
    browser.find_text("#sec-intro .mini-chat .bubble", "AI 상담원입니다").await;
    // The English text beside it; the preview follows the box being written in.
    browser.type_into("#sec-intro textarea[name=intro_message_en]", "Hi! I'm the shop's AI assistant.").await;
    browser.find_text("#sec-intro figcaption", "영어").await;
    browser.find_text("#sec-intro .mini-chat .bubble", "AI assistant").await;
    press(&browser, "#sec-intro button[type=submit]").await;
    browser.find_text(".toast", "소개 메시지를 저장했습니다.").await;
    assert_eq!(
        app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await.1["settings"]["intro_message"],
        json!({"ko": "안녕하세요! 주문·배송을 도와드리는 AI 상담원입니다.", "en": "Hi! I'm the shop's AI assistant."})
    );
    scroll_to(&browser, "#sec-intro").await;
    browser.shot("intro-ko").await;

    // Skills: switches.
    press(&browser, "#sec-skills input[role=switch][value=order_tracking]").await;
    item_done(&browser, "skills").await;
    press(&browser, "#sec-skills input[role=switch][value=human_handoff]").await;
    browser.find_text("#sec-skills .section-head .badge", "2개 켜짐").await;
    assert_eq!(
        app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await.1["settings"]["skills"],
        json!(["order_tracking", "human_handoff"])
    );

    // Handoff to the counselor queue, then a test handoff.
    press(&browser, "#sec-handoff input[type=radio][value=queue]").await;
    browser
        .type_into("#sec-handoff textarea[name=handoff_message_ko]", "상담원을 연결해 드릴게요. 잠시만 기다려 주세요.")
        .await;
    press(&browser, "#save-handoff").await;
    item_done(&browser, "handoff").await;
    press(&browser, "#test-handoff").await;
    browser.find_text("#sec-handoff .result.ok", "상담원을 연결해 드릴게요").await;
    item_done(&browser, "handoff_tested").await;
    scroll_to(&browser, "#sec-handoff").await;
    browser.shot("handoff-tested-ko").await;

    // The widget: allow this engine's address, then open the test page.
    assert_eq!(texts(&browser, "#turn-note .blockers li").await, ["사이트에 위젯 설치"]);
    press(&browser, "#sec-setup .add-here").await;
    browser.find_text("#sec-setup .origins .chip", &app.base).await;
    let demo = browser.js("return document.getElementById('open-demo').getAttribute('href');", vec![]).await;
    let demo = demo.as_str().unwrap().to_owned();
    assert!(demo.contains(&app.widget_key), "{demo}");
    scroll_to(&browser, "#sec-setup").await;
    browser.shot("widget-setup-ko").await;

    // The widget's look: a title and a brand colour, in Korean whatever the browser says.
    browser.type_into(".look-form input[name=title_ko]", "해피몰 상담").await;
    browser
        .js(
            "const f = document.querySelector('.look-form');
             f.querySelector('input[name=color]').value = '#0a7d55';
             f.querySelector('select[name=locale]').value = 'ko';",
            vec![],
        )
        .await;
    press(&browser, ".look-form button[type=submit]").await;
    browser.find_text(".toast", "위젯 모양을 저장했습니다.").await;
    let (_, channel) = app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await;
    let look = &channel["settings"];
    assert_eq!(
        (&look["title"], &look["color"], &look["locale"]),
        (&json!({"ko": "해피몰 상담"}), &json!("#0a7d55"), &json!("ko"))
    );

    browser.goto(&app.url(&demo)).await;
    wait_for_item(&app, "webchat", "channel_setup").await;

    // Back in the console: the button is enabled; turn on.
    browser.goto(&app.url("/console?lang=ko#/channels/webchat")).await;
    browser.find_text(".launch-head .badge", "켤 준비 완료").await;
    assert!(!is_disabled(&browser, "#turn-switch").await);
    let seen = texts(&browser, "#sec-setup .seen-list li").await;
    assert!(seen.iter().any(|s| s.contains(&app.base)), "{seen:?}");
    browser.shot("ready-ko").await;
    press(&browser, "#turn-switch").await;
    browser.find_text(".launch-head .badge", "운영 중").await;
    browser.find_text("#turn-switch", "에이전트 끄기").await;
    browser.find_text("#turn-note", "부터 운영 중").await;
    browser.find_text("#sec-history table.history", "운영 중").await;
    let launch = app.call("GET", "/v1/channels/webchat/launch", Some(&app.admin_token), None).await.1;
    assert_eq!(launch["state"], "live");
    assert!(launch["activated_at"].is_string());
    browser.js("window.scrollTo(0, 0);", vec![]).await;
    browser.shot("live-ko").await;

    // The same page in English, the SMS tab, and at phone width.
    browser.goto(&app.url("/console?lang=en#/channels/webchat")).await;
    browser.find_text(".launch-head .badge", "Live").await;
    browser.find_text("#turn-switch", "Turn off").await;
    browser.shot("live-en").await;
    scroll_to(&browser, "#sec-history").await;
    browser.shot("history-en").await;
    press(&browser, ".channel-tabs a[href='#/channels/sms']").await;
    browser.find_text(".launch-head .badge", "Draft").await;
    assert!(is_disabled(&browser, "#turn-switch").await);
    browser.find_text("#turn-note .blockers", "Two-way sending number").await;
    browser.shot("sms-blocked-en").await;
    browser.fit(PHONE).await;
    browser.goto(&app.url("/console?lang=ko#/channels/webchat")).await;
    browser.find_text(".launch-head .badge", "운영 중").await;
    browser.shot("live-ko-phone").await;
    // While live, a change that would break a required item is refused, and the switch stays on.
    press(&browser, "#sec-skills input[role=switch][value=order_tracking]").await;
    browser.find_text("#sec-skills .section-head .badge", "1개 켜짐").await;
    press(&browser, "#sec-skills input[role=switch][value=human_handoff]").await;
    browser.find_text("#sec-skills .form-status", "운영 중이라 스킬 항목을 깨뜨리는 변경은 저장하지 않았습니다").await;
    browser
        .wait_js(
            "the switch back on",
            "const s = document.querySelector('#sec-skills input[value=human_handoff]'); return s.checked && !s.disabled;",
            vec![],
        )
        .await;
    scroll_to(&browser, "#sec-skills").await;
    browser.shot("skills-ko-phone").await;

    // Turning off from the console.
    press(&browser, "#turn-switch").await;
    browser.find_text(".launch-head .badge", "꺼짐").await;
    browser.find_text("#turn-switch", "에이전트 켜기").await;
    browser.finish().await;
    app.stop().await;
}

/// Waits until the engine reports the checklist item `id` of `channel` done.
async fn wait_for_item(app: &TestApp, channel: &str, id: &str) {
    let started = Instant::now();
    loop {
        let (_, view) = app.call("GET", &format!("/v1/channels/{channel}/launch"), Some(&app.admin_token), None).await;
        let item = view["items"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned().unwrap_or(Value::Null);
        if item["done"] == true {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{id} never done: {item}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Everything but the widget set up over the API, for tests about other parts.
async fn configure_webchat(app: &TestApp, skills: &[&str]) {
    let (status, body) = app
        .call(
            "PATCH",
            "/v1/channels/webchat",
            Some(&app.admin_token),
            Some(json!({
                "intro_message": "안녕하세요! 주문·배송을 도와드리는 AI 상담원입니다.",
                "skills": skills,
                "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요. 잠시만 기다려 주세요."},
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Preview turns show the reply and how the agent decided; a request for a person shows the
/// handoff and the ticket; the conversation saved as a script passes `sangdam simulate`.
#[tokio::test]
async fn preview_traces_turns_and_saves_a_script() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    configure_webchat(&app, &["order_tracking", "human_handoff", "greeting", "faq", "business_hours"]).await;
    let Some(mut browser) = Browser::start("preview_traces_turns", DESKTOP).await else { return };
    sign_in(&browser, &app, "ko", "#/preview/webchat").await;
    browser.find_text("h1", "에이전트 미리보기").await;
    browser.find(".suggestions .chip-button").await;
    browser.shot("empty-ko").await;

    browser.type_into("input[name=customer_name]", "김해피").await;
    browser.type_into("input[name=customer_email]", "happy@example.com").await;
    // Enter sends.
    browser.type_into("#preview-input", "주문번호 1001 배송 어디쯤이에요?\u{E007}").await;
    let first = browser.find_text(".turn:nth-child(1) .bubble.bot", "1001").await;
    assert!(first.text().await.unwrap().contains("640123456789"));
    let trace = browser.find(".turn:nth-child(1) .trace").await.text().await.unwrap();
    assert!(trace.contains("주문·배송 조회") && trace.contains("order_tracking"), "{trace}");
    assert!(trace.contains('%') && trace.contains("넘기지 않음"), "{trace}");
    assert!(is_disabled(&browser, "input[name=customer_email]").await, "the customer is fixed mid-conversation");

    browser.type_into("#preview-input", "상담원 연결해주세요").await;
    press(&browser, ".composer button[type=submit]").await;
    let handed = browser.find_text(".turn:nth-child(2) .trace.handed-off", "상담원 요청").await;
    assert!(handed.text().await.unwrap().contains("human_handoff"));
    browser.find_text(".turn:nth-child(2) .bubble.bot", "상담원을 연결해 드릴게요").await;
    let ticket = browser.find(".turn:nth-child(2) .ticket").await.text().await.unwrap();
    assert!(ticket.contains("만들어질 티켓") && ticket.contains("상담원 대기열"), "{ticket}");
    assert!(ticket.contains("happy@example.com") && ticket.contains("ai_handoff"), "{ticket}");
    browser.shot("two-turns-ko").await;

    // Save as a script, check its text, and run it.
    browser.type_into("input[name=script_name]", "주문 조회 후 상담원 연결").await;
    press(&browser, "#make-script").await;
    let yaml =
        browser.wait_js("the script", "return document.querySelector('textarea[name=script]').value;", vec![]).await;
    let yaml = yaml.as_str().unwrap().to_owned();
    for expected in [
        "name: \"주문 조회 후 상담원 연결\"",
        "channel: webchat",
        "customer: { name: \"김해피\", email: \"happy@example.com\" }",
        "\nskills: [",
        "  - say: \"주문번호 1001 배송 어디쯤이에요?\"\n    expect: { skill: order_tracking, handoff: false, reply_contains: [\"1001\"] }",
        "  - say: \"상담원 연결해주세요\"\n    expect: { skill: human_handoff, handoff: true, reply_contains: [\"상담원을 연결해 드릴게요\"] }",
    ] {
        assert!(yaml.contains(expected), "missing {expected:?} in\n{yaml}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sangdam"))
        .args(["simulate", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().last().unwrap(), r#"{"conversations":1,"failed":0,"passed":2,"resolved":1,"turns":2}"#);
    press(&browser, "#download-script").await;
    scroll_to(&browser, "#script-card").await;
    browser.shot("script-ko").await;

    // Switching the language keeps the conversation.
    browser
        .js("const s = document.getElementById('lang'); s.value = 'en'; s.dispatchEvent(new Event('change'));", vec![])
        .await;
    browser.find_text("h1", "Agent preview").await;
    browser.find_text(".turn:nth-child(2) .trace", "Asked for a person").await;
    browser.js("window.scrollTo(0, 0);", vec![]).await;
    browser.shot("two-turns-en").await;
    browser.fit(PHONE).await;
    browser.js("window.scrollTo(0, 0);", vec![]).await;
    browser.shot("en-phone").await;
    scroll_to(&browser, ".turn:nth-child(2)").await;
    browser.shot("ticket-en-phone").await;

    // A new conversation starts empty, with the customer editable again.
    press(&browser, "#new-conversation").await;
    browser.find(".log-empty").await;
    assert!(!is_disabled(&browser, "input[name=customer_email]").await);
    browser.finish().await;
    app.stop().await;
}

/// Handoff to a helpdesk connected in the console: the test handoff links the ticket it made,
/// a refusal shows the helpdesk's own words, and the preview shows the request, secrets hidden.
#[tokio::test]
async fn helpdesk_handoff_is_tested_from_the_console() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    configure_webchat(&app, &["order_tracking", "human_handoff"]).await;
    let zendesk_server = MockServer::start().await;
    let zendesk = FakeZendesk::default();
    zendesk.mount(&zendesk_server).await;
    let Some(mut browser) = Browser::start("helpdesk_handoff", DESKTOP).await else { return };
    sign_in(&browser, &app, "en", "#/channels/webchat").await;

    press(&browser, "#sec-handoff input[type=radio][value=helpdesk]").await;
    browser.find_text("#sec-handoff .helpdesk-box .hint", "No helpdesk is connected yet").await;
    press(&browser, "#sec-handoff details.connect summary").await;
    browser
        .js("const s = document.querySelector('select[name=adapter]'); s.value = 'zendesk'; s.dispatchEvent(new Event('change'));", vec![])
        .await;
    browser.type_into(".connect-form input[name=base_url]", &zendesk_server.uri()).await;
    browser.type_into(".connect-form input[name=email]", ZD_EMAIL).await;
    browser.type_into(".connect-form input[name=api_token]", ZD_TOKEN).await;
    press(&browser, ".connect-form button[type=submit]").await;
    browser.find_text(".connect-form [role=status]", "Zendesk is connected").await;
    let chosen = browser.js("return document.querySelector('select[name=helpdesk]').value;", vec![]).await;
    assert_eq!(chosen, "zendesk");
    // The message set over the API is one text for both languages: both boxes show it.
    let boxes = browser
        .js(
            "return ['ko', 'en'].map((l) => document.querySelector(`textarea[name=handoff_message_${l}]`).value);",
            vec![],
        )
        .await;
    let shared = "상담원을 연결해 드릴게요. 잠시만 기다려 주세요.";
    assert_eq!(boxes, json!([shared, shared]));
    browser.find_text("#sec-handoff .lang-field .hint", "Both languages get this text").await;
    browser
        .type_into("#sec-handoff textarea[name=handoff_message_en]", "A teammate will email you. Ticket: {{ticket_id}}")
        .await;
    browser.find_text("#sec-handoff .lang-field .hint", "Each customer gets the text in the language").await;
    press(&browser, "#save-handoff").await;
    item_done(&browser, "handoff").await;
    // The item was already done before this save: wait for the save itself to land.
    let written = json!({"ko": shared, "en": "A teammate will email you. Ticket: {{ticket_id}}"});
    let mut stored = Value::Null;
    for _ in 0..50 {
        let (_, channel) = app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await;
        stored = channel["settings"]["handoff"]["message"].clone();
        if stored == written {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, written);
    scroll_to(&browser, "#sec-handoff .lang-field").await;
    browser.shot("handoff-two-languages-en").await;

    press(&browser, "#test-handoff").await;
    let ok = browser.find_text("#sec-handoff .result.ok", "Ticket created: zendesk #").await;
    let link = ok.find(fantoccini::Locator::Css("a")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(link.starts_with(&zendesk_server.uri()), "{link}");
    assert_eq!(zendesk.tickets().len(), 1);
    scroll_to(&browser, "#sec-handoff").await;
    browser.shot("helpdesk-ticket-en").await;

    zendesk.script(
        "handoff-test@example.com",
        vec![wiremock::ResponseTemplate::new(422).set_body_json(json!({
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"requester": [{"description": "Requester email is suspended"}]},
        }))],
    );
    press(&browser, "#test-handoff").await;
    let refused = browser.find("#sec-handoff .result.bad").await.text().await.unwrap();
    assert!(refused.contains("The test handoff failed"), "{refused}");
    assert!(refused.to_lowercase().contains("record") || refused.contains("422"), "the helpdesk's words: {refused}");
    browser.shot("helpdesk-refused-en").await;
    // The browser logs the refusal's 502 (the helpdesk failed, not the engine); nothing else.
    let logged = browser.console_errors().await;
    assert!(logged.iter().all(|e| e.contains("/handoff/test") && e.contains("502")), "{logged:#?}");

    // The preview shows the request Zendesk would get, the token hidden.
    browser.goto(&app.url("/console?lang=en#/preview/webchat")).await;
    browser.type_into("#preview-input", "I want to talk to a human\u{E007}").await;
    browser.find_text(".turn .ticket .badge", "zendesk").await;
    press(&browser, ".turn .ticket details:last-of-type summary").await;
    let request = browser.find(".turn .ticket .request").await.text().await.unwrap();
    assert!(request.contains("POST") && request.contains("/api/v2/tickets.json"), "{request}");
    assert!(request.contains("***") && !request.contains(ZD_TOKEN), "{request}");
    scroll_to(&browser, ".turn .ticket").await;
    browser.shot("preview-request-en").await;
    browser.finish().await;
    app.stop().await;
}
