//! Exactly one ticket per handoff across crashes and across engines: SIGKILL the real binary
//! while a ticket is in flight and restart it; let two engine processes drain one outbox.

mod common;

use std::process::Child;
use std::time::Duration;

use common::helpdesk::{FakeZendesk, ZD_EMAIL, ZD_TOKEN};
use common::{Backend, TestDb};
use sangdam::agent::HandoffReason;
use sangdam::channels::{ChannelKind, HandoffAction};
use sangdam::clock::{Clock, SystemClock};
use sangdam::handoff::ticket::{self, TicketCustomer, TicketInput};
use sangdam::handoff::{HandoffState, NewHandoff};
use sangdam::ids::{CustomerId, HandoffId, MessageId, RoomId, WorkspaceId};
use sangdam::locale::Locale;
use sangdam::rooms::{Author, CustomerIdentity, NewMessage, RoomStatus};
use sangdam::store::{NewConversation, Store};
use serde_json::{Value, json};
use wiremock::MockServer;

const ADMIN_TOKEN: &str = "sdm_handoff-durability-admin-token-0123456789";

/// Starts `sangdam serve` on a free port whose helpdesk calls give up after one second.
fn start(db: &TestDb) -> (Child, String) {
    common::serve(db, ADMIN_TOKEN, &[("SANGDAM_HELPDESK_TIMEOUT_MS", "1000")])
}

async fn call(http: &reqwest::Client, method: &str, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url).bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// Sets up Zendesk and a live webchat channel handing off to it.
async fn go_live(http: &reqwest::Client, base: &str, zendesk: &str) -> String {
    let body = json!({"base_url": zendesk, "email": ZD_EMAIL, "api_token": ZD_TOKEN});
    let (status, view) = call(http, "PUT", format!("{base}/v1/helpdesks/zendesk"), Some(body)).await;
    assert_eq!(status, 200, "{view}");
    let settings = json!({
        "intro_message": "안녕하세요!",
        "allowed_origins": ["https://shop.example"],
        "skills": ["greeting", "human_handoff"],
        "handoff": {"action": "helpdesk", "helpdesk": "zendesk", "message": "접수되었어요."},
    });
    let (status, channel) = call(http, "PATCH", format!("{base}/v1/channels/webchat"), Some(settings)).await;
    assert_eq!(status, 200, "{channel}");
    let key = channel["widget_key"].as_str().unwrap().to_owned();
    let loaded = common::load_widget(http, base, &key, "https://shop.example").await;
    assert_eq!(loaded.status(), 200);
    let (status, body) = call(http, "POST", format!("{base}/v1/channels/webchat/launch/turn-on"), None).await;
    assert_eq!(status, 200, "{body}");
    key
}

async fn handoffs(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let (status, body) = call(http, "GET", format!("{base}/v1/handoffs"), None).await;
    assert_eq!(status, 200, "{body}");
    body["handoffs"].as_array().unwrap().clone()
}

async fn a_ticket_in_flight_survives_sigkill(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let http = reqwest::Client::new();
    let server = MockServer::start().await;
    let fake = FakeZendesk::default();
    // The first attempt hangs past the engine's timeout: the engine is killed while it waits.
    fake.script("crash@example.com", vec![wiremock::ResponseTemplate::new(201).set_delay(Duration::from_secs(30))]);
    fake.mount(&server).await;
    let (mut child, base) = start(&db);
    let key = go_live(&http, &base, &server.uri()).await;

    let opened: Value = http
        .post(format!("{base}/v1/webchat/conversations"))
        .header("X-Widget-Key", &key)
        .header("Origin", "https://shop.example")
        .json(&json!({"customer": {"name": "Crash", "email": "crash@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, token) = (opened["conversation_id"].as_str().unwrap(), opened["token"].as_str().unwrap());
    let posted = http
        .post(format!("{base}/v1/webchat/conversations/{id}/messages"))
        .bearer_auth(token)
        .json(&json!({"text": "talk to a human please", "client_message_id": "c1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    for _ in 0..100 {
        if !fake.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fake.received().len(), 1, "the ticket request is in flight");
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let (mut child, base) = start(&db);
    let mut delivered = None;
    for _ in 0..200 {
        let all = handoffs(&http, &base).await;
        if let Some(h) = all.iter().find(|h| h["room_id"] == id && h["state"] == "delivered") {
            delivered = Some(h.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let handoff = delivered.expect("the ticket is delivered after the restart");
    let received = fake.received();
    assert!(received.len() >= 2, "{received:?}");
    assert!(received.iter().all(|r| r.key.as_deref() == handoff["id"].as_str()), "one key on every attempt");
    assert_eq!(fake.tickets().len(), 1, "exactly one ticket");
    // The customer was told once.
    let history = common::history(&http, &base, id, token).await;
    let told = history.iter().filter(|m| m["text"] == "접수되었어요.").count();
    assert_eq!(told, 1, "{history:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    db.drop_db().await;
}

on_each_backend!(a_ticket_in_flight_survives_sigkill);

/// Two engine processes on one PostgreSQL drain an outbox of 1,000 handoffs: every ticket is
/// created exactly once.
#[tokio::test]
async fn two_engines_drain_one_outbox_exactly_once() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let http = reqwest::Client::new();
    let server = MockServer::start().await;
    let fake = FakeZendesk::default();
    fake.mount(&server).await;
    let (mut first, base) = start(&db);
    go_live(&http, &base, &server.uri()).await;
    let (mut second, _) = start(&db);

    let store = db.store().await;
    let ws = first_workspace(store.as_ref()).await;
    let clock = SystemClock;
    const N: usize = 1_000;
    let mut queued = Vec::new();
    for n in 0..N {
        let room = open_room(store.as_ref(), ws, n, &clock).await;
        let message = store
            .append_message(
                ws,
                room,
                &NewMessage {
                    id: MessageId::new(),
                    author: Author::Customer,
                    author_account_id: None,
                    text: format!("상담원 연결해주세요 #{n}"),
                    client_message_id: None,
                    created_at: clock.now(),
                },
            )
            .await
            .unwrap()
            .message;
        let id = HandoffId::new();
        let draft = ticket::draft(TicketInput {
            id,
            room_id: room.to_string(),
            channel: ChannelKind::Webchat,
            customer: TicketCustomer {
                id: n.to_string(),
                name: format!("Customer {n}"),
                email: Some(format!("c{n}@example.com")),
                phone: None,
            },
            messages: std::slice::from_ref(&message),
            reason: HandoffReason::ExplicitRequest,
            detail: "asked for a person",
            trace: &Default::default(),
            locale: Locale::Ko,
            test: false,
            at: clock.now(),
        });
        let handoff = NewHandoff {
            id,
            workspace_id: ws,
            room_id: room,
            message_id: message.id,
            reason: HandoffReason::ExplicitRequest,
            detail: "asked for a person".into(),
            trace: json!({}),
            action: HandoffAction::Helpdesk,
            notify: false,
            ticket: Some(("zendesk".into(), draft)),
            at: clock.now(),
        };
        store.record_handoff(&handoff, &[]).await.unwrap();
        queued.push(id);
    }
    for _ in 0..600 {
        if store.pending_handoffs().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.pending_handoffs().await.unwrap(), 0, "the outbox drained");
    let received = fake.received();
    let mut keys: Vec<String> = received.iter().filter_map(|r| r.key.clone()).collect();
    keys.sort();
    let total = keys.len();
    keys.dedup();
    assert_eq!((total, keys.len()), (N, N), "every handoff's ticket was requested exactly once");
    for id in queued.iter().step_by(97) {
        let h = store.handoff(ws, *id).await.unwrap();
        assert_eq!(h.state, HandoffState::Delivered);
    }
    for child in [&mut first, &mut second] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    store.close().await;
    db.drop_db().await;
}

async fn first_workspace(store: &dyn Store) -> WorkspaceId {
    store.first_admin().await.unwrap().expect("bootstrapped").workspace_id
}

async fn open_room(store: &dyn Store, ws: WorkspaceId, n: usize, clock: &dyn Clock) -> RoomId {
    let room = store
        .open_conversation(&NewConversation {
            workspace_id: ws,
            room_id: RoomId::new(),
            customer_id: CustomerId::new(),
            channel: ChannelKind::Webchat,
            customer: CustomerIdentity {
                name: Some(format!("Customer {n}")),
                email: Some(format!("c{n}@example.com")),
                ..Default::default()
            },
            status: RoomStatus::Bot,
            token_hash: Some(format!("hash-{n}")),
            at: clock.now(),
        })
        .await
        .unwrap();
    room.id
}
