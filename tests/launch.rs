//! The launch checklist through the HTTP API: what blocks turning on, turning on and off, the
//! audit trail, and SMS verification against a mock Twilio.

mod common;

use common::twilio::{self as mock, NUMBER, NUMBERS_PATH, SID, TOKEN};
use common::{Backend, TestApp};
use sangdam::channels::ChannelKind;
use sangdam::launch::agent_may_answer;
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, method, path, query_param};
use wiremock::{Mock, MockServer};

fn blocking(body: &Value) -> Vec<&str> {
    body["blocking"].as_array().expect("blocking list").iter().map(|v| v.as_str().unwrap()).collect()
}

fn item<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap_or_else(|| panic!("no item {id}"))
}

/// An agent-role account of the first workspace, logged in; returns its token.
async fn agent_token(app: &TestApp) -> String {
    let admin = Some(app.admin_token.as_str());
    let (status, agent) = app
        .call(
            "POST",
            "/v1/accounts",
            admin,
            Some(json!({"login": "agent.lee", "password": "s3cret-pass", "name": "이상담", "role": "agent"})),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let id = agent["id"].as_str().unwrap();
    assert_eq!(app.call("POST", &format!("/v1/accounts/{id}/certify"), admin, None).await.0, 200);
    let (status, login) =
        app.call("POST", "/v1/auth/login", None, Some(json!({"login": "agent.lee", "password": "s3cret-pass"}))).await;
    assert_eq!(status, 200, "{login}");
    login["token"].as_str().unwrap().to_owned()
}

async fn widget_loaded_on(app: &TestApp, origin: &str) -> u16 {
    app.load_widget(origin).await.status().as_u16()
}

/// The settings call of a widget on `origin`, bringing `load` as its load token if any.
async fn settings_call(app: &TestApp, base: &str, origin: &str, load: Option<&str>) -> u16 {
    let mut req = app.http.get(format!("{base}/v1/webchat/settings")).header("X-Widget-Key", &app.widget_key);
    req = req.header("Origin", origin);
    if let Some(load) = load {
        req = req.header("X-Widget-Load", load);
    }
    req.send().await.unwrap().status().as_u16()
}

/// Whether `channel_setup` is done, and the origins recorded.
async fn setup_done(app: &TestApp) -> (bool, Vec<String>) {
    let (_, channel) = app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await;
    let done = item(&channel["launch"], "channel_setup")["done"].as_bool().unwrap();
    let seen = channel["seen_origins"].as_array().unwrap().iter().map(|o| o["origin"].as_str().unwrap().to_owned());
    (done, seen.collect())
}

/// A request that only names the brand's origin proves nothing; the widget script's own load
/// token, once, completes `channel_setup`, on any engine process sharing the database.
async fn only_the_widget_itself_sets_up_the_channel(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = Some(app.admin_token.as_str());
    let listed = json!({"allowed_origins": ["https://shop.example", "https://shop2.example"]});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", admin, Some(listed)).await.0, 200);

    // A bare Origin header, a made-up token, a token with a forged signature: answered, not recorded.
    assert_eq!(settings_call(&app, &app.base, "https://shop.example", None).await, 200);
    assert_eq!(settings_call(&app, &app.base, "https://shop.example", Some("wl1.4102444800.bm9uY2U.dGFn")).await, 200);
    let script = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(script.headers()["cache-control"], "private, max-age=300");
    let token = common::load_token(&script.text().await.unwrap());
    let (payload, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{payload}.{}", "A".repeat(43));
    assert_eq!(settings_call(&app, &app.base, "https://shop.example", Some(&forged)).await, 200);
    let far_future = token.replacen(&token[4..14], "4102444800", 1);
    assert_eq!(settings_call(&app, &app.base, "https://shop.example", Some(&far_future)).await, 200);
    assert_eq!(setup_done(&app).await, (false, vec![]), "nothing but the served script's token counts");

    // The served token is checked by another engine process on the same database, and used up
    // there: shown again to the first process, or for another listed origin, it records nothing.
    let over = sangdam::config::Overrides {
        addr: Some("127.0.0.1:0".into()),
        database_url: Some(app.db.url.clone()),
        ..Default::default()
    };
    let config = sangdam::config::Config::resolve(Default::default(), over, None).unwrap();
    let clock = std::sync::Arc::new(sangdam::clock::SystemClock);
    let other = sangdam::http::server::start_with(&config, app.db.store().await, clock).await.unwrap();
    let other_base = format!("http://{}", other.addr);
    assert_eq!(settings_call(&app, &other_base, "https://shop.example", Some(&token)).await, 200);
    assert_eq!(setup_done(&app).await, (true, vec!["https://shop.example".to_owned()]));
    assert_eq!(settings_call(&app, &app.base, "https://shop2.example", Some(&token)).await, 200);
    assert_eq!(setup_done(&app).await.1, ["https://shop.example"], "a token counts once");

    // A token from the other process works here too.
    let script = app.http.get(format!("{other_base}/widget.js")).send().await.unwrap().text().await.unwrap();
    let token = common::load_token(&script);
    assert_eq!(settings_call(&app, &app.base, "https://shop2.example", Some(&token)).await, 200);
    assert_eq!(setup_done(&app).await.1.len(), 2);
    other.stop().await.unwrap();
    app.stop().await;
}

on_each_backend!(only_the_widget_itself_sets_up_the_channel);

async fn webchat_walkthrough(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = Some(app.admin_token.as_str());

    // A fresh workspace: the greyed-out button, with its reasons.
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("launch_blocked")), "{body}");
    assert_eq!(blocking(&body), ["channel_setup", "intro_message", "skills", "handoff"]);
    assert!(body["message"].as_str().unwrap().contains("intro_message ("), "{body}");
    let (status, body) = app.call("POST", "/v1/channels/sms/launch/turn-on", admin, None).await;
    assert_eq!((status, blocking(&body)), (409, vec!["channel_setup", "skills", "handoff"]), "{body}");
    let (_, view) = app.call("GET", "/v1/channels/webchat/launch", admin, None).await;
    assert_eq!((view["state"].as_str(), view["activated_at"].is_null()), (Some("draft"), true));
    let ids: Vec<_> = view["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["channel_setup", "intro_message", "skills", "handoff", "handoff_tested", "preview_tested"]);
    assert!(view["items"].as_array().unwrap().iter().all(|i| !i["detail"].as_str().unwrap().is_empty()));

    // Configure everything but the widget.
    let (status, channel) = app
        .call(
            "PATCH",
            "/v1/channels/webchat",
            admin,
            Some(json!({
                "intro_message": "안녕하세요! 주문과 배송을 도와드리는 상담봇입니다.",
                "allowed_origins": ["https://shop.example"],
                "skills": ["greeting", "human_handoff"],
                "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요. 잠시만 기다려 주세요."},
            })),
        )
        .await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(blocking(&channel["launch"]), ["channel_setup"]);
    assert!(item(&channel["launch"], "channel_setup")["detail"].as_str().unwrap().contains("https://shop.example"));

    // The widget on another site is refused; on the brand's site it completes the setup.
    assert_eq!(widget_loaded_on(&app, "https://copycat.example").await, 403);
    assert_eq!(app.call("GET", "/v1/channels/webchat/launch", admin, None).await.1["state"], "draft");
    assert_eq!(widget_loaded_on(&app, "https://shop.example").await, 200);
    let (_, view) = app.call("GET", "/v1/channels/webchat/launch", admin, None).await;
    assert_eq!((view["state"].as_str(), blocking(&view).len()), (Some("ready"), 0), "{view}");

    // Agents may not turn the agent on; admins may.
    let agent = agent_token(&app).await;
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-on", Some(&agent), None).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let ws = app.running.bootstrapped.as_ref().unwrap().workspace.id;
    let (room, token) = app.open_conversation(json!({})).await;
    assert_eq!(app.post_message(&room, &token, "켜기 전에 보낸 메시지", "before-1").await.0, 202);
    let (status, live) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!((status, live["state"].as_str()), (200, Some("live")), "{live}");
    let activated = live["activated_at"].as_str().expect("activated_at").to_owned();
    assert_eq!(app.post_message(&room, &token, "켠 다음의 메시지", "after-1").await.0, 202);

    // Only what arrived after activation is the agent's.
    let store = app.running.store.as_ref();
    let channel = store.channel(ws, ChannelKind::Webchat).await.unwrap();
    let room_id = room.parse().unwrap();
    let messages = store.recent_messages(ws, room_id, 10).await.unwrap();
    let eligible: Vec<bool> = messages
        .iter()
        .filter(|m| m.author == sangdam::rooms::Author::Customer)
        .map(|m| agent_may_answer(channel.state, channel.activated_at, m.created_at))
        .collect();
    assert_eq!(eligible, [false, true]);

    // While live, a change that breaks a required item is refused and names it.
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", admin, Some(json!({"skills": []}))).await;
    assert_eq!((status, body["error"].as_str(), blocking(&body)), (409, Some("would_break_live"), vec!["skills"]));
    // The demo shop and the knowledge articles meet the order and FAQ skills' prerequisites.
    let (status, body) = app
        .call("PATCH", "/v1/channels/webchat", admin, Some(json!({"skills": ["greeting", "order_tracking", "faq"]})))
        .await;
    assert_eq!((status, body["launch"]["state"].as_str()), (200, Some("live")), "{body}");
    assert!(item(&body["launch"], "skills")["detail"].as_str().unwrap().contains("order_tracking"), "{body}");
    let (status, body) = app
        .call("PATCH", "/v1/channels/webchat", admin, Some(json!({"allowed_origins": ["https://new.example"]})))
        .await;
    assert_eq!((status, blocking(&body)), (409, vec!["channel_setup"]), "{body}");
    let (status, body) = app.call("PATCH", "/v1/channels/webchat", admin, Some(json!({"handoff": null}))).await;
    assert_eq!((status, blocking(&body)), (409, vec!["handoff"]), "{body}");
    // A change that keeps everything working goes through while live.
    let (status, body) = app
        .call("PATCH", "/v1/channels/webchat", admin, Some(json!({"intro_message": "Hi! Ask me about orders."})))
        .await;
    assert_eq!((status, body["launch"]["state"].as_str()), (200, Some("live")), "{body}");
    assert_eq!(item(&body["launch"], "preview_tested")["done"], false);

    // Off, off again (nothing to do), and on again with a new activation time.
    let (status, off) = app.call("POST", "/v1/channels/webchat/launch/turn-off", admin, None).await;
    assert_eq!((status, off["state"].as_str()), (200, Some("off")));
    assert_eq!(app.call("POST", "/v1/channels/webchat/launch/turn-off", admin, None).await.1["state"], "off");
    let (status, body) = app.call("POST", "/v1/channels/webchat/launch/turn-off", Some(&agent), None).await;
    assert_eq!(status, 403, "{body}");
    let (_, again) = app.call("POST", "/v1/channels/webchat/launch/turn-on", admin, None).await;
    assert_eq!(again["state"], "live");
    assert!(again["activated_at"].as_str().unwrap() > activated.as_str());

    // The audit trail: who, when, from, to, why; newest first.
    let (status, history) = app.call("GET", "/v1/channels/webchat/launch/history", admin, None).await;
    assert_eq!(status, 200);
    let steps: Vec<(String, String, Value, String)> = history["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(t["at"].is_string());
            (
                t["from"].as_str().unwrap().into(),
                t["to"].as_str().unwrap().into(),
                t["actor"]["name"].clone(),
                t["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let admin_name = app.running.bootstrapped.as_ref().unwrap().admin.name.clone();
    assert_eq!(
        steps,
        [
            ("off".into(), "live".into(), json!(admin_name), "turned on".into()),
            ("live".into(), "off".into(), json!(admin_name), "turned off".into()),
            ("ready".into(), "live".into(), json!(admin_name), "turned on".into()),
            ("draft".into(), "ready".into(), Value::Null, "widget loaded on https://shop.example".into()),
        ]
    );
    assert_eq!(app.call("GET", "/v1/channels/webchat/launch/history", Some(&agent), None).await.0, 403);

    // Another workspace sees its own channel, untouched.
    let other = app.second_workspace("other.admin", 3).await;
    let (_, theirs) = app.call("GET", "/v1/channels/webchat/launch", Some(other.admin_token.expose()), None).await;
    assert_eq!((theirs["state"].as_str(), blocking(&theirs).len()), (Some("draft"), 4));
    let (_, theirs) =
        app.call("GET", "/v1/channels/webchat/launch/history", Some(other.admin_token.expose()), None).await;
    assert_eq!(theirs["transitions"], json!([]));
    app.stop().await;
}

on_each_backend!(webchat_walkthrough);

#[tokio::test]
async fn settings_are_validated_and_the_token_never_shown() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());
    for (channel, body, field) in [
        ("webchat", json!({"intro": "x"}), "intro"),
        ("webchat", json!({"skills": ["teleport"]}), "skills"),
        ("webchat", json!({"allowed_origins": ["shop.example"]}), "allowed_origins"),
        ("webchat", json!({"handoff": {"action": "email"}}), "handoff"),
        ("webchat", json!({"phone_number": NUMBER}), "phone_number"),
        ("sms", json!({"twilio_account_sid": "AB123"}), "twilio_account_sid"),
        ("sms", json!({"max_segments": 11}), "max_segments"),
    ] {
        let (status, body) = app.call("PATCH", &format!("/v1/channels/{channel}"), admin, Some(body)).await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert!(body["message"].as_str().unwrap().contains(field), "{field}: {body}");
    }
    assert_eq!(app.call("PATCH", "/v1/channels/fax", admin, Some(json!({}))).await.0, 404);
    assert_eq!(app.call("GET", "/v1/channels/fax/launch", admin, None).await.0, 404);
    assert_eq!(app.call("POST", "/v1/channels/webchat/launch/turn-on", None, None).await.0, 401);

    let (status, body) = app
        .call("PATCH", "/v1/channels/sms", admin, Some(json!({"twilio_auth_token": TOKEN, "phone_number": NUMBER})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["twilio_auth_token_set"], true);
    assert!(!body.to_string().contains(TOKEN), "the token is write-only: {body}");
    assert_eq!(body["sms_webhook_url"], "https://sangdam.test/v1/sms/twilio");
    let (_, history) = app.call("GET", "/v1/channels/sms/launch/history", admin, None).await;
    assert!(!history.to_string().contains(TOKEN));
    app.stop().await;
}

/// Configures the SMS channel (against the mock Twilio of the server's configuration) and
/// returns the channel view.
async fn configure_sms(app: &TestApp, phone: &str) -> (u16, Value) {
    let body = json!({
        "twilio_account_sid": SID,
        "twilio_auth_token": TOKEN,
        "phone_number": phone,
        "skills": ["greeting"],
        "handoff": {"action": "static", "message": "Call us at 1588-0000 on weekdays."},
    });
    app.call("PATCH", "/v1/channels/sms", Some(&app.admin_token), Some(body)).await
}

async fn twilio_answers(twilio: &MockServer, response: wiremock::ResponseTemplate) {
    twilio.reset().await;
    Mock::given(method("GET")).and(path(NUMBERS_PATH)).respond_with(response).mount(twilio).await;
}

#[tokio::test]
async fn sms_setup_is_verified_with_twilio() {
    let Some((app, twilio)) = mock::spawn_app(Backend::Sqlite).await else { return };
    let admin = Some(app.admin_token.as_str());
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .and(query_param("PhoneNumber", NUMBER))
        .and(basic_auth(SID, TOKEN))
        .respond_with(mock::numbers(Some(NUMBER), true))
        .expect(1)
        .mount(&twilio)
        .await;
    let (status, channel) = configure_sms(&app, NUMBER).await;
    assert_eq!(status, 200, "{channel}");
    let setup = item(&channel["launch"], "channel_setup");
    assert_eq!(setup["done"], true, "{setup}");
    assert!(setup["detail"].as_str().unwrap().contains(NUMBER));
    assert_eq!(channel["launch"]["state"], "ready");
    twilio.verify().await;

    // Each of Twilio's refusals becomes a detail an operator can act on.
    let cases = [
        (mock::error(401, 20003, "Authenticate"), "auth token"),
        (mock::numbers(None, true), "is not a phone number on Twilio account"),
        (mock::numbers(Some(NUMBER), false), "cannot send or receive SMS"),
    ];
    for (response, expected) in cases {
        twilio_answers(&twilio, response).await;
        let (status, view) = app.call("POST", "/v1/channels/sms/verify", admin, None).await;
        assert_eq!(status, 200, "{view}");
        let setup = item(&view, "channel_setup");
        assert_eq!(setup["done"], false, "{expected}: {setup}");
        assert!(setup["detail"].as_str().unwrap().contains(expected), "{expected}: {setup}");
        assert_eq!(blocking(&view), ["channel_setup"]);
    }

    // An alphanumeric sender is explained without asking Twilio.
    twilio.reset().await;
    let (status, channel) = configure_sms(&app, "MYBRAND").await;
    assert_eq!(status, 200, "{channel}");
    let detail = item(&channel["launch"], "channel_setup")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("alphanumeric sender ID") && detail.contains("cannot reply"), "{detail}");
    assert!(twilio.received_requests().await.unwrap().is_empty());

    // Verified again, turned on; then Twilio is down: the last verdict stands and the agent stays live.
    twilio_answers(&twilio, mock::numbers(Some(NUMBER), true)).await;
    let (status, channel) = configure_sms(&app, NUMBER).await;
    assert_eq!((status, channel["launch"]["state"].as_str()), (200, Some("ready")), "{channel}");
    assert_eq!(app.call("POST", "/v1/channels/sms/launch/turn-on", admin, None).await.1["state"], "live");
    twilio_answers(&twilio, mock::error(503, 20503, "Service Unavailable")).await;
    let (_, view) = app.call("POST", "/v1/channels/sms/verify", admin, None).await;
    assert_eq!((view["state"].as_str(), item(&view, "channel_setup")["done"].as_bool()), (Some("live"), Some(true)));
    assert!(
        item(&view, "channel_setup")["detail"]
            .as_str()
            .unwrap()
            .contains("did not reach Twilio, so this result stands"),
        "{view}"
    );

    // Switching a live channel to a number Twilio rejects is refused before anything changes.
    twilio_answers(&twilio, mock::numbers(None, true)).await;
    let (status, body) =
        app.call("PATCH", "/v1/channels/sms", admin, Some(json!({"phone_number": "+15559876543"}))).await;
    assert_eq!((status, blocking(&body)), (409, vec!["channel_setup"]), "{body}");
    assert!(body["message"].as_str().unwrap().contains("+15559876543"), "{body}");
    let (_, channel) = app.call("GET", "/v1/channels/sms", admin, None).await;
    assert_eq!(channel["settings"]["phone_number"], NUMBER);

    // Twilio now says the live number is gone: the agent stops answering, and the trail says why.
    let (_, view) = app.call("POST", "/v1/channels/sms/verify", admin, None).await;
    assert_eq!(view["state"], "off", "{view}");
    let (_, history) = app.call("GET", "/v1/channels/sms/launch/history", admin, None).await;
    let last = &history["transitions"][0];
    assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some("live"), Some("off")));
    assert!(last["reason"].as_str().unwrap().starts_with("Twilio verification: "), "{last}");

    // Two workspaces cannot claim one number.
    let other = app.second_workspace("other.admin", 3).await;
    let (status, body) = app
        .call("PATCH", "/v1/channels/sms", Some(other.admin_token.expose()), Some(json!({"phone_number": NUMBER})))
        .await;
    assert_eq!((status, body["error"].as_str()), (409, Some("taken")), "{body}");

    // Settings Twilio could never be asked about are not verified, and the detail says why.
    twilio_answers(&twilio, mock::error(503, 20503, "Service Unavailable")).await;
    let settings = json!({
        "twilio_account_sid": SID,
        "twilio_auth_token": TOKEN,
        "phone_number": "+15550001111",
    });
    let (status, body) = app.call("PATCH", "/v1/channels/sms", Some(other.admin_token.expose()), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    let setup = item(&body["launch"], "channel_setup");
    assert_eq!(setup["done"], false);
    assert!(setup["detail"].as_str().unwrap().starts_with("Not verified yet: Twilio is busy"), "{setup}");
    app.stop().await;
}

/// The skill catalogue the console's switches come from: names and descriptions in both languages,
/// a few examples, and the prerequisites the deployment does not meet.
#[tokio::test]
async fn the_skill_catalogue_names_unmet_prerequisites() {
    let no_articles = tempfile::tempdir().unwrap();
    let dir = no_articles.path().to_owned();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, std::sync::Arc::new(sangdam::clock::SystemClock), move |c| {
        c.agent.knowledge_dir = dir;
    })
    .await
    else {
        return;
    };
    let admin = Some(app.admin_token.as_str());
    let (status, body) = app.call("GET", "/v1/skills?channel=sms", admin, None).await;
    assert_eq!(status, 200, "{body}");
    let skills = body["skills"].as_array().unwrap();
    let ids: Vec<_> = skills.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"order_tracking") && ids.contains(&"human_handoff"), "{ids:?}");
    let skill = |id: &str| skills.iter().find(|s| s["id"] == id).unwrap();
    let tracking = skill("order_tracking");
    assert_eq!(tracking["name"]["ko"], "주문·배송 조회");
    assert!(!tracking["description"]["en"].as_str().unwrap().is_empty());
    assert_eq!(tracking["prerequisites"], json!(["commerce"]));
    assert_eq!(tracking["unmet"], json!([]), "the demo shop is the commerce integration");
    assert!((1..=3).contains(&tracking["examples"]["ko"].as_array().unwrap().len()));
    let faq = skill("faq");
    assert_eq!(faq["unmet"][0]["prerequisite"], "knowledge", "{faq}");
    assert!(faq["unmet"][0]["detail"].as_str().unwrap().contains("knowledge article"));

    // Switching on a skill whose prerequisite is unmet leaves the checklist's item open, saying why.
    let (_, channel) = app.call("PATCH", "/v1/channels/sms", admin, Some(json!({"skills": ["faq"]}))).await;
    let detail = item(&channel["launch"], "skills")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("faq needs at least one knowledge article"), "{detail}");

    assert_eq!(app.call("GET", "/v1/skills?channel=fax", admin, None).await.0, 404);
    assert_eq!(app.call("GET", "/v1/skills?chanel=sms", admin, None).await.0, 400);
    assert_eq!(app.call("GET", "/v1/skills", None, None).await.0, 401);
    let agent = agent_token(&app).await;
    assert_eq!(app.call("GET", "/v1/skills", Some(&agent), None).await.0, 403);
    app.stop().await;
}

/// The Twilio API base is configuration: a channel setting that names one is refused, so a
/// manager cannot send the stored auth token elsewhere.
#[tokio::test]
async fn the_twilio_api_base_is_not_a_channel_setting() {
    let Some((app, twilio)) = mock::spawn_app(Backend::Sqlite).await else { return };
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .respond_with(mock::numbers(Some(NUMBER), true))
        .mount(&twilio)
        .await;
    let (status, channel) = configure_sms(&app, NUMBER).await;
    assert_eq!((status, &item(&channel["launch"], "channel_setup")["done"]), (200, &json!(true)), "{channel}");
    let before = twilio.received_requests().await.unwrap().len();

    let elsewhere = MockServer::start().await;
    let patch = json!({"twilio_api_base": elsewhere.uri()});
    let (status, body) = app.call("PATCH", "/v1/channels/sms", Some(&app.admin_token), Some(patch)).await;
    assert!((400..500).contains(&status), "{status}: {body}");
    assert!(body["message"].as_str().unwrap().contains("twilio_api_base"), "{body}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(twilio.received_requests().await.unwrap().len(), before, "nothing was verified again");
    app.stop().await;
}

/// A Twilio API base on an internal address is refused by the outbound guard unless allowed,
/// and the check says so in the guard's words.
#[tokio::test]
async fn an_internal_twilio_api_base_is_refused_unless_allowed() {
    let twilio = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .respond_with(mock::numbers(Some(NUMBER), true))
        .mount(&twilio)
        .await;
    let uri = twilio.uri();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, std::sync::Arc::new(sangdam::clock::SystemClock), move |c| {
        c.twilio_api_base = uri;
        c.outbound_allow = Default::default();
    })
    .await
    else {
        return;
    };
    let (status, channel) = configure_sms(&app, NUMBER).await;
    assert_eq!(status, 200, "{channel}");
    let setup = item(&channel["launch"], "channel_setup");
    assert_eq!(setup["done"], false, "{setup}");
    let (_, history) = app.call("GET", "/v1/channels/sms", Some(&app.admin_token), None).await;
    assert!(history.to_string().contains("the address is not allowed for outbound calls"), "{history}");
    assert!(twilio.received_requests().await.unwrap().is_empty());
    app.stop().await;
}
