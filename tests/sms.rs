//! The SMS channel end to end: Twilio's signed webhooks, keywords and consent, the outbox with
//! retries and opt-outs, delivery reports, segment caps; against a mock Twilio, on both backends.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::twilio::{self as mock, MESSAGES_PATH, NUMBER, NUMBERS_PATH, SID, TOKEN};
use common::{Backend, PUBLIC_URL, TestApp, TestDb};
use sangdam::channels::ChannelKind;
use sangdam::clock::{Clock, FixedClock};
use sangdam::ids::{CustomerId, MessageId, RoomId, WorkspaceId};
use sangdam::rooms::context::agent_context;
use sangdam::rooms::{Author, CustomerIdentity, Message, NewMessage, RoomStatus};
use sangdam::sms::segments;
use sangdam::sms::signature::sign;
use sangdam::store::NewConversation;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer};

const CUSTOMER: &str = "+821012345678";

/// A server whose SMS channel is configured against a mock Twilio that verifies the number.
async fn sms_app(backend: Backend) -> Option<(TestApp, MockServer)> {
    let (app, twilio) = mock::spawn_app(backend).await?;
    Mock::given(method("GET"))
        .and(path(NUMBERS_PATH))
        .respond_with(mock::numbers(Some(NUMBER), true))
        .mount(&twilio)
        .await;
    let (status, body) = app
        .call(
            "PATCH",
            "/v1/channels/sms",
            Some(&app.admin_token),
            Some(json!({
                "twilio_account_sid": SID,
                "twilio_auth_token": TOKEN,
                "phone_number": NUMBER,
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["launch"]["items"][0]["done"], true, "{body}");
    Some((app, twilio))
}

fn inbound(sid: &str, body: &str) -> Vec<(String, String)> {
    [
        ("AccountSid", SID),
        ("ApiVersion", "2010-04-01"),
        ("Body", body),
        ("From", CUSTOMER),
        ("FromCountry", "KR"),
        ("MessageSid", sid),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsMessageSid", sid),
        ("SmsStatus", "received"),
        ("To", NUMBER),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Posts a form to `path`, signed with `token` over the public URL; returns the status.
async fn post_signed(app: &TestApp, path: &str, params: &[(String, String)], token: &str) -> u16 {
    let signature = sign(token, &format!("{PUBLIC_URL}{path}"), params);
    let res = app
        .http
        .post(app.url(path))
        .header("X-Twilio-Signature", signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(params).unwrap())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
        assert!(res.text().await.unwrap().contains("<Response></Response>"));
    }
    status
}

async fn text_in(app: &TestApp, sid: &str, body: &str) -> u16 {
    post_signed(app, "/v1/sms/twilio", &inbound(sid, body), TOKEN).await
}

fn ws(app: &TestApp) -> WorkspaceId {
    app.running.bootstrapped.as_ref().unwrap().workspace.id
}

/// The customer's SMS room's messages.
async fn thread(app: &TestApp) -> Vec<Message> {
    let store = app.running.store.as_ref();
    let probe = NewConversation {
        workspace_id: ws(app),
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Sms,
        customer: CustomerIdentity::default(),
        status: RoomStatus::Bot,
        token_hash: None,
        at: chrono::Utc::now(),
    };
    let room = store.sms_room(ws(app), CUSTOMER, &probe).await.unwrap();
    store.recent_messages(ws(app), room.id, 100).await.unwrap()
}

/// Waits until the message's delivery status is one of `statuses`.
async fn delivery_of(app: &TestApp, id: MessageId, statuses: &[&str]) -> Message {
    for _ in 0..100 {
        let found = thread(app).await.into_iter().find(|m| m.id == id).expect("message");
        if found.delivery_status.as_deref().is_some_and(|s| statuses.contains(&s)) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("message {id} never reached {statuses:?}: {:?}", thread(app).await.into_iter().find(|m| m.id == id));
}

async fn sends(twilio: &MockServer) -> usize {
    let requests = twilio.received_requests().await.unwrap();
    requests.iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == MESSAGES_PATH).count()
}

async fn signed_webhooks(backend: Backend) {
    let Some((app, _twilio)) = sms_app(backend).await else { return };
    assert_eq!(text_in(&app, "SM00000000000000000000000000000001", "주문한 거 언제 와요?").await, 200);
    // Twilio retrying the same text stores nothing twice.
    assert_eq!(text_in(&app, "SM00000000000000000000000000000001", "주문한 거 언제 와요?").await, 200);
    let messages = thread(&app).await;
    assert_eq!(messages.len(), 1);
    assert_eq!((messages[0].author, messages[0].text.as_str()), (Author::Customer, "주문한 거 언제 와요?"));

    // A changed parameter, the wrong token, no signature: 403, nothing stored.
    let params = inbound("SM00000000000000000000000000000002", "hello");
    let signature = sign(TOKEN, &format!("{PUBLIC_URL}/v1/sms/twilio"), &params);
    let mut tampered = params.clone();
    tampered[2].1 = "hello, changed".into();
    let form = |p: &[(String, String)]| serde_urlencoded::to_string(p).unwrap();
    let post = |body: String, sig: Option<&str>| {
        let mut req = app
            .http
            .post(app.url("/v1/sms/twilio"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(sig) = sig {
            req = req.header("X-Twilio-Signature", sig.to_owned());
        }
        req.send()
    };
    let refused = post(form(&tampered), Some(&signature)).await.unwrap();
    assert_eq!(refused.status(), 403);
    let error: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "bad_signature");
    assert_eq!(post_signed(&app, "/v1/sms/twilio", &params, "0".repeat(32).as_str()).await, 403);
    assert_eq!(post(form(&params), None).await.unwrap().status(), 403);
    // Signed for another URL (as if replayed to a different path) does not count either.
    let elsewhere = sign(TOKEN, &format!("{PUBLIC_URL}/v1/sms/twilio/status"), &params);
    assert_eq!(post(form(&params), Some(&elsewhere)).await.unwrap().status(), 403);
    assert_eq!(thread(&app).await.len(), 1);

    // Unknown numbers, other content types and missing fields are named.
    let mut stranger = params.clone();
    stranger[10].1 = "+15550000000".into();
    assert_eq!(post_signed(&app, "/v1/sms/twilio", &stranger, TOKEN).await, 404);
    let json = app.http.post(app.url("/v1/sms/twilio")).json(&json!({"To": NUMBER})).send().await.unwrap();
    assert_eq!(json.status(), 415);
    let no_sid: Vec<_> = params.iter().filter(|(k, _)| !k.ends_with("MessageSid")).cloned().collect();
    assert_eq!(post_signed(&app, "/v1/sms/twilio", &no_sid, TOKEN).await, 400);
    app.stop().await;
}

on_each_backend!(signed_webhooks);

async fn keywords_consent_and_the_outbox(backend: Backend) {
    let Some((app, twilio)) = sms_app(backend).await else { return };
    // Twilio is rate limiting at first, then accepts.
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(mock::error(429, 20429, "Too Many Requests").insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&twilio)
        .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(body_string_contains("To=%2B821012345678"))
        .respond_with(mock::Messages::new())
        .with_priority(2)
        .mount(&twilio)
        .await;

    // HELP gets the help reply, never the agent; it survives the 429.
    assert_eq!(text_in(&app, "SM00000000000000000000000000000010", "help").await, 200);
    let reply = thread(&app).await.into_iter().find(|m| m.author == Author::Bot).expect("help reply");
    assert!(reply.text.contains("STOP"), "{}", reply.text);
    let reply = delivery_of(&app, reply.id, &["queued"]).await;
    assert_eq!(reply.delivery_error, None);
    assert_eq!(sends(&twilio).await, 2, "one 429, one success");
    let sent = twilio.received_requests().await.unwrap();
    let form =
        String::from_utf8(sent.iter().rev().find(|r| r.method.as_str() == "POST").unwrap().body.clone()).unwrap();
    assert!(form.contains("StatusCallback=https%3A%2F%2Fsangdam.test%2Fv1%2Fsms%2Ftwilio%2Fstatus"), "{form}");
    assert!(form.contains(&format!("From={}", NUMBER.replace('+', "%2B"))), "{form}");

    // Delivery reports are signed and never move a message back.
    let first_sid = mock::Messages::sid(1);
    let report = |status: &str| -> Vec<(String, String)> {
        [
            ("AccountSid", SID),
            ("From", NUMBER),
            ("MessageSid", first_sid.as_str()),
            ("MessageStatus", status),
            ("To", CUSTOMER),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    };
    assert_eq!(post_signed(&app, "/v1/sms/twilio/status", &report("delivered"), TOKEN).await, 200);
    assert_eq!(post_signed(&app, "/v1/sms/twilio/status", &report("sent"), TOKEN).await, 200);
    assert_eq!(post_signed(&app, "/v1/sms/twilio/status", &report("sent"), "f".repeat(32).as_str()).await, 403);
    delivery_of(&app, reply.id, &["delivered"]).await;

    // STOP: consent recorded, nothing sent any more, not even the help reply.
    let before = sends(&twilio).await;
    assert_eq!(text_in(&app, "SM00000000000000000000000000000011", " Stop ").await, 200);
    let consent = app.running.store.consent(ws(&app), CUSTOMER).await.unwrap().expect("consent");
    assert!(consent.opted_out);
    assert_eq!(consent.source, "keyword:STOP");
    assert_eq!(text_in(&app, "SM00000000000000000000000000000012", "HELP").await, 200);
    let blocked = thread(&app).await.into_iter().rfind(|m| m.author == Author::Bot).unwrap();
    let blocked = delivery_of(&app, blocked.id, &["blocked"]).await;
    assert!(blocked.delivery_error.unwrap().contains("opted out"));
    assert_eq!(sends(&twilio).await, before);

    // START: sending resumes.
    assert_eq!(text_in(&app, "SM00000000000000000000000000000013", "start").await, 200);
    assert!(!app.running.store.consent(ws(&app), CUSTOMER).await.unwrap().unwrap().opted_out);
    assert_eq!(text_in(&app, "SM00000000000000000000000000000014", "info").await, 200);
    let resumed = thread(&app).await.into_iter().rfind(|m| m.author == Author::Bot).unwrap();
    delivery_of(&app, resumed.id, &["queued"]).await;
    assert_eq!(sends(&twilio).await, before + 1);

    // Twilio's 21610 (the customer opted out with the carrier) marks the number opted out.
    twilio.reset().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(mock::error(400, 21610, "Attempt to send to unsubscribed recipient"))
        .mount(&twilio)
        .await;
    assert_eq!(text_in(&app, "SM00000000000000000000000000000015", "HELP").await, 200);
    let refused = thread(&app).await.into_iter().rfind(|m| m.author == Author::Bot).unwrap();
    let refused = delivery_of(&app, refused.id, &["blocked"]).await;
    assert!(refused.delivery_error.unwrap().contains("21610"));
    let consent = app.running.store.consent(ws(&app), CUSTOMER).await.unwrap().unwrap();
    assert_eq!((consent.opted_out, consent.source.as_str()), (true, "twilio:21610"));
    assert_eq!(sends(&twilio).await, 1);

    // Keywords and the help replies are all in the thread for counselors to see.
    let texts: Vec<_> =
        thread(&app).await.into_iter().filter(|m| m.author == Author::Customer).map(|m| m.text).collect();
    assert_eq!(texts, ["help", "Stop", "HELP", "start", "info", "HELP"]);
    app.stop().await;
}

on_each_backend!(keywords_consent_and_the_outbox);

#[tokio::test]
async fn replies_keep_to_the_segment_cap() {
    let Some((app, twilio)) = sms_app(Backend::Sqlite).await else { return };
    Mock::given(method("POST")).and(path(MESSAGES_PATH)).respond_with(mock::Messages::new()).mount(&twilio).await;
    let long = "주문하신 상품은 오늘 출고되었으며 내일 도착 예정입니다. ".repeat(8);
    let (status, body) = app
        .call(
            "PATCH",
            "/v1/channels/sms",
            Some(&app.admin_token),
            Some(json!({"max_segments": 1, "help_message": long})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(text_in(&app, "SM00000000000000000000000000000020", "HELP").await, 200);
    let reply = thread(&app).await.into_iter().find(|m| m.author == Author::Bot).unwrap();
    let count = segments::count(&reply.text);
    assert_eq!((count.segments, count.encoding), (1, segments::Encoding::Ucs2), "{}", reply.text);
    assert!(reply.text.ends_with('…') && long.starts_with(reply.text.trim_end_matches('…')), "{}", reply.text);
    delivery_of(&app, reply.id, &["queued"]).await;
    app.stop().await;
}

#[tokio::test]
async fn the_agent_reads_two_days_of_an_sms_thread() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
    let store = db.store().await;
    let clock = FixedClock::new(chrono::Utc::now() - TimeDelta::days(5));
    let made = sangdam::workspaces::provision::provision(
        store.as_ref(),
        &clock,
        sangdam::workspaces::provision::WorkspaceSpec {
            name: "Brand".into(),
            seats: 3,
            time_zone: "Asia/Seoul".into(),
            admin_login: "admin".into(),
            admin_password: None,
            admin_token: None,
        },
        false,
    )
    .await
    .unwrap()
    .unwrap();
    let ws = made.workspace.id;
    let new = NewConversation {
        workspace_id: ws,
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Sms,
        customer: CustomerIdentity::default(),
        status: RoomStatus::Bot,
        token_hash: None,
        at: clock.now(),
    };
    let room = store.sms_room(ws, CUSTOMER, &new).await.unwrap();
    for (i, text) in ["three days ago", "two and a half days ago", "yesterday", "just now"].iter().enumerate() {
        let age = [TimeDelta::hours(72), TimeDelta::hours(60), TimeDelta::hours(24), TimeDelta::minutes(1)][i];
        let at = chrono::Utc::now() - age;
        let m = NewMessage {
            id: MessageId::new(),
            author: Author::Customer,
            author_account_id: None,
            text: (*text).into(),
            client_message_id: Some(format!("c{i}")),
            created_at: sangdam::clock::truncate(at),
        };
        store.append_message(ws, room.id, &m).await.unwrap();
    }
    let now = FixedClock::new(chrono::Utc::now());
    let sms: Vec<_> = agent_context(store.as_ref(), &now, ws, room.id, ChannelKind::Sms)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(sms, ["yesterday", "just now"]);
    let all = agent_context(store.as_ref(), &now, ws, room.id, ChannelKind::Webchat).await.unwrap();
    assert_eq!(all.len(), 4);
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn two_first_texts_from_one_number_open_one_room() {
    let Some((app, _twilio)) = sms_app(Backend::Sqlite).await else { return };
    let (a, b) = tokio::join!(
        text_in(&app, "SM00000000000000000000000000000030", "hi"),
        text_in(&app, "SM00000000000000000000000000000031", "anyone there?")
    );
    assert_eq!((a, b), (200, 200));
    assert_eq!(thread(&app).await.len(), 2);
    app.stop().await;
}
