//! The agent on the live path (webchat answered over SSE, SMS through the outbox), the preview
//! panel, and the scenario scripts in `tests/scenarios/`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::twilio::{self as mock, MESSAGES_PATH, NUMBER, NUMBERS_PATH, SID, TOKEN};
use common::{Backend, PUBLIC_URL, SseReader, TestApp};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path};

const ALL_SKILLS: [&str; 8] = [
    "greeting",
    "order_tracking",
    "order_cancellation",
    "returns_exchanges",
    "product_recommendation",
    "business_hours",
    "faq",
    "human_handoff",
];

/// Configures the webchat channel fully, loads the widget on the allowed origin and turns it on.
async fn webchat_live(app: &TestApp) -> Value {
    let admin = Some(app.admin_token.as_str());
    let settings = json!({
        "intro_message": "안녕하세요! 무엇을 도와드릴까요?",
        "allowed_origins": ["https://shop.example"],
        "skills": ALL_SKILLS,
        "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요. 잠시만 기다려 주세요."},
    });
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", admin, Some(settings)).await.0, 200);
    let loaded = app.load_widget("https://shop.example").await;
    assert_eq!(loaded.status(), 200);
    let (status, live) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!(status, 200, "{live}");
    live
}

/// The next bot message on the stream.
async fn bot_reply(stream: &mut SseReader) -> String {
    loop {
        let event = stream.next(10).await;
        let message: Value = serde_json::from_str(&event.data).unwrap();
        if message["author"] == "bot" {
            return message["text"].as_str().unwrap().to_owned();
        }
    }
}

async fn webchat_answers_live(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    // Opened and written to before the agent is on: that message is never answered.
    let (id, token) = app.open_conversation(json!({"name": "김해피", "email": "happy@example.com"})).await;
    assert_eq!(app.post_message(&id, &token, "주문번호 1001 배송 어디쯤이에요?", "early").await.0, 202);
    webchat_live(&app).await;

    let events = app.http.get(app.url(&format!("/v1/webchat/conversations/{id}/events"))).bearer_auth(&token);
    let mut stream = SseReader::new(events.send().await.unwrap());
    assert_eq!(app.post_message(&id, &token, "주문번호 1001 배송 어디쯤이에요?", "c1").await.0, 202);
    let reply = bot_reply(&mut stream).await;
    assert!(reply.contains("CJ대한통운") && reply.contains("640123456789"), "{reply}");
    assert_eq!(app.post_message(&id, &token, "where is order 1002?", "c2").await.0, 202);
    let reply = bot_reply(&mut stream).await;
    assert!(reply.contains("1002") && reply.contains("delivered"), "{reply}");

    // A person is asked for: the handoff message, the decision recorded, and the agent stops.
    assert_eq!(app.post_message(&id, &token, "상담원 연결해주세요", "c3").await.0, 202);
    assert_eq!(bot_reply(&mut stream).await, "상담원을 연결해 드릴게요. 잠시만 기다려 주세요.");
    let ws = app.running.bootstrapped.as_ref().unwrap().workspace.id;
    let handoff = app.running.store.handoff_of(ws, id.parse().unwrap()).await.unwrap().expect("recorded");
    assert_eq!(handoff.reason.as_str(), "explicit_request");
    assert_eq!(handoff.state.as_str(), "queued", "the queue action needs no ticket");
    assert_eq!(app.post_message(&id, &token, "배송비 얼마예요?", "c4").await.0, 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let history = app.history(&id, &token).await;
    let authors: Vec<&str> = history.iter().map(|m| m["author"].as_str().unwrap()).collect();
    assert_eq!(authors, ["customer", "customer", "bot", "customer", "bot", "customer", "bot", "customer"]);
    app.stop().await;
}

on_each_backend!(webchat_answers_live);

#[tokio::test]
async fn the_preview_panel_runs_the_live_path_and_sends_nothing() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());
    let settings = json!({"skills": ALL_SKILLS, "handoff": {"action": "static", "message": "평일 10-18시에 1588-0000으로 연락 주세요."}});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", admin, Some(settings)).await.0, 200);

    let (status, answer) =
        app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "배송비 얼마예요?"}))).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["replies"][0].as_str().unwrap().contains("3,000원"), "{answer}");
    assert_eq!((answer["trace"]["intent"].as_str(), answer["trace"]["skill"].as_str()), (Some("faq"), Some("faq")));
    assert!(answer["trace"]["confidence"].as_f64().unwrap() > 0.3);
    assert!(answer["trace"]["handoff"].is_null());

    // A session carries the conversation: the order number, then the proof.
    let (_, first) =
        app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "where is order 1001?"}))).await;
    assert!(first["replies"][0].as_str().unwrap().contains("email"), "{first}");
    let session = first["session"].as_str().unwrap();
    let (_, second) = app
        .call(
            "POST",
            "/v1/channels/webchat/preview",
            admin,
            Some(json!({"text": "happy@example.com", "session": session})),
        )
        .await;
    assert!(second["replies"][0].as_str().unwrap().contains("640123456789"), "{second}");

    // A handoff is shown, not recorded; the checklist notes the preview ran.
    let (_, handoff) =
        app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "사람이랑 얘기할래요"}))).await;
    assert_eq!(handoff["trace"]["handoff"]["reason"], "explicit_request", "{handoff}");
    assert_eq!(handoff["replies"][0], "평일 10-18시에 1588-0000으로 연락 주세요.");
    let ticket = &handoff["ticket"]["draft"];
    assert_eq!(handoff["ticket"]["action"], "static", "{handoff}");
    assert!(ticket["transcript_text"].as_str().unwrap().contains("사람이랑 얘기할래요"), "{ticket}");
    assert_eq!(ticket["tags"], json!(["ai_handoff", "explicit_request"]));
    let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", admin, None).await;
    let preview = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "preview_tested").unwrap();
    assert_eq!(preview["done"], true, "{launch}");

    // Bad input and roles.
    let (status, body) = app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "  "}))).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app.call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"say": "hi"}))).await;
    assert!((400..500).contains(&status));
    let (status, body) = app
        .call("POST", "/v1/channels/webchat/preview", admin, Some(json!({"text": "hi", "customer": {"mail": "x"}})))
        .await;
    assert!((400..500).contains(&status), "{body}");
    assert_eq!(app.call("POST", "/v1/channels/webchat/preview", None, Some(json!({"text": "hi"}))).await.0, 401);
    app.stop().await;
}

#[tokio::test]
async fn sms_is_answered_through_the_outbox() {
    let Some((app, twilio)) = mock::spawn_app(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .respond_with(mock::numbers(Some(NUMBER), true))
        .mount(&twilio)
        .await;
    Mock::given(method("POST")).and(path(MESSAGES_PATH)).respond_with(mock::Messages::new()).mount(&twilio).await;
    let settings = json!({
        "twilio_account_sid": SID, "twilio_auth_token": TOKEN, "phone_number": NUMBER,
        "skills": ALL_SKILLS, "handoff": {"action": "queue", "message": "상담원이 곧 답장드릴게요."},
    });
    assert_eq!(app.call("PATCH", "/v1/channels/sms", admin, Some(settings)).await.0, 200);
    assert_eq!(app.call("POST", "/v1/channels/sms/launch/turn-on", admin, None).await.1["state"], "live");

    let params: Vec<(String, String)> = [
        ("Body", "1001 배송조회 부탁해요"),
        ("From", "+821012345678"),
        ("MessageSid", "SM00000000000000000000000000000abc"),
        ("To", NUMBER),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let signature = sangdam::sms::signature::sign(TOKEN, &format!("{PUBLIC_URL}/v1/sms/twilio"), &params);
    let res = app
        .http
        .post(app.url("/v1/sms/twilio"))
        .header("X-Twilio-Signature", signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&params).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The customer's own number proves the order; the reply is the short SMS variant.
    let mut body = String::new();
    for _ in 0..100 {
        let sent = twilio.received_requests().await.unwrap();
        if let Some(request) = sent.iter().find(|r| r.method.as_str() == "POST") {
            let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&request.body).unwrap();
            body = form.into_iter().find(|(k, _)| k == "Body").unwrap().1;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(body.contains("640123456789") && !body.contains("https://"), "{body:?}");
    app.stop().await;
}

/// Every script in `tests/scenarios/` passes, through the real binary.
#[test]
fn the_scenario_scripts_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10);
    let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).arg("simulate").arg("--json").args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["failed"], 0, "{stdout}");
    assert!(summary["turns"].as_u64().unwrap() >= 30);
}

/// The dialogue development set: multi-turn conversations written from the customer's side. The
/// share of conversations in which every turn passes must not fall below what the agent reached;
/// the figure is printed.
#[test]
fn the_dialogue_set_does_not_regress() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dialogues");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 80, "{} dialogues", files.len());
    let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).arg("simulate").arg("--json").args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(2), "a broken script: {}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let (resolved, conversations) = (summary["resolved"].as_u64().unwrap(), summary["conversations"].as_u64().unwrap());
    let share = resolved as f64 / conversations as f64;
    println!("{resolved} of {conversations} dialogues resolved ({:.1}%)", 100.0 * share);
    let failing: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|t| t["failures"].as_array().is_some_and(|f| !f.is_empty()))
        .map(|t| format!("{}#{}: {}", t["file"], t["turn"], t["failures"]))
        .collect();
    assert!(share >= 0.78, "{resolved} of {conversations} resolved; failing turns:\n{}", failing.join("\n"));
}

/// A handoff in a script shows the ticket it would create (and sends nothing anywhere).
#[test]
fn simulate_shows_the_ticket_a_handoff_would_create() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/fallbacks_then_ticket.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).args(["simulate", "--json"]).arg(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let turns: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(turns.len(), 4, "three turns and the summary: {stdout}");
    assert!(turns[1]["ticket"].is_null(), "the first miss asks to rephrase: {}", turns[1]);
    let ticket = &turns[2]["ticket"];
    assert_eq!(ticket["tags"], json!(["ai_handoff", "repeated_fallbacks"]));
    assert_eq!(ticket["customer"]["email"], "happy@example.com");
    let transcript = ticket["transcript_text"].as_str().unwrap();
    assert!(transcript.contains("주문번호 1001") && transcript.contains("드라마 결말"), "{transcript}");
    assert_eq!(turns[3]["failed"], 0);
}

/// A failed expectation exits 1 and says which; a broken script exits 2 naming the line.
#[test]
fn simulate_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("failing.yaml");
    std::fs::write(&failing, "name: wrong on purpose\nturns:\n  - say: \"안녕하세요\"\n    expect: { skill: faq }\n")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).args(["simulate", "--json"]).arg(&failing).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("expected skill faq, got greeting"), "{stdout}");
    assert_eq!(stdout.lines().last().unwrap(), r#"{"conversations":1,"failed":1,"passed":0,"resolved":0,"turns":1}"#);

    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "name: typo\nturns:\n  - say: hi\n    expekt: {}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).arg("simulate").arg(&broken).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.yaml:4") && stderr.contains("expekt"), "{stderr}");

    for (name, skills, complaint) in [
        ("unknown.yaml", "[greeting, refunds]", "unknown skill \"refunds\""),
        ("elsewhere.yaml", "[greeting]\nchannel: sms", ""),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("name: skills\nskills: {skills}\nturns:\n  - say: 안녕하세요\n")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_sangdam")).arg("simulate").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if complaint.is_empty() {
            assert!(out.status.success(), "{name}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains(name) && stderr.contains(complaint), "{stderr}");
        }
    }
}

/// A message acknowledged just before a crash is answered when the engine starts again, once.
#[tokio::test]
async fn messages_left_unanswered_are_answered_after_a_restart() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    webchat_live(&app).await;
    let (id, token) = app.open_conversation(json!({"email": "happy@example.com"})).await;
    let ws = app.running.bootstrapped.as_ref().unwrap().workspace.id;
    let room = id.parse().unwrap();
    // Stored as the webchat endpoint stores it, but the process "died" before the agent ran.
    let message = sangdam::rooms::NewMessage {
        id: sangdam::ids::MessageId::new(),
        author: sangdam::rooms::Author::Customer,
        author_account_id: None,
        text: "1002 배송 완료됐나요?".into(),
        client_message_id: Some("before-crash".into()),
        created_at: sangdam::clock::truncate(chrono::Utc::now()),
    };
    app.running.store.append_message(ws, room, &message).await.unwrap();
    let window = chrono::TimeDelta::minutes(15);
    assert_eq!(app.running.agent.answer_unanswered(window).await.unwrap(), 1);
    let history = app.history(&id, &token).await;
    assert_eq!(history.len(), 2);
    assert!(history[1]["text"].as_str().unwrap().contains("1002"), "{history:?}");
    assert_eq!(app.running.agent.answer_unanswered(window).await.unwrap(), 0);
    assert_eq!(app.history(&id, &token).await.len(), 2);
    app.stop().await;
}
