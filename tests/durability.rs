//! Nothing acknowledged is lost: SIGKILL the real binary after a burst of 2xx webchat posts or SMS webhooks,
//! restart it on the same database, and find every acknowledged message.

mod common;

use std::collections::HashSet;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::twilio::{SID, TOKEN};
use common::{Backend, TestDb};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "sdm_durability-test-admin-token-0123456789";

/// Starts `sangdam serve` on a free port.
fn start(db: &TestDb) -> (Child, String) {
    // Twilio is configured on a port that refuses, so verification never reaches anything.
    common::serve(db, ADMIN_TOKEN, &[("SANGDAM_TWILIO_API_BASE", "http://127.0.0.1:9")])
}

async fn acknowledged_messages_survive_sigkill(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let http = reqwest::Client::new();
    let (mut child, base) = start(&db);

    let channel: Value = http
        .get(format!("{base}/v1/channels/webchat"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = channel["widget_key"].as_str().unwrap().to_owned();
    let opened: Value = http
        .post(format!("{base}/v1/webchat/conversations"))
        .header("X-Widget-Key", &key)
        .json(&json!({"customer": {"name": "Durable"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["conversation_id"].as_str().unwrap().to_owned();
    let token = opened["token"].as_str().unwrap().to_owned();

    // Eight clients post as fast as they can; the server is killed once 200 posts were acknowledged,
    // while others are still in flight.
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut clients = Vec::new();
    for client in 0..8 {
        let (http, acked, url, token) =
            (http.clone(), Arc::clone(&acked), format!("{base}/v1/webchat/conversations/{id}/messages"), token.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let body =
                    json!({"text": format!("message {client}-{n}"), "client_message_id": format!("{client}-{n}")});
                let Ok(res) = http.post(&url).bearer_auth(&token).json(&body).send().await else { return };
                if res.status() != 202 {
                    return;
                }
                let Ok(answer) = res.json::<Value>().await else { return };
                acked.lock().unwrap().insert(answer["message_id"].as_str().unwrap().to_owned());
            }
        }));
    }
    while acked.lock().unwrap().len() < 200 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let (mut child, base) = start(&db);
    let stored: HashSet<String> =
        common::history(&http, &base, &id, &token).await.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged messages were lost: {lost:?}", lost.len());
    child.kill().unwrap();
    child.wait().unwrap();
    db.drop_db().await;
}

on_each_backend!(acknowledged_messages_survive_sigkill);

/// The same for texts Twilio delivered to the SMS webhook and got a 200 for.
async fn acknowledged_texts_survive_sigkill(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let http = reqwest::Client::new();
    let (mut child, base) = start(&db);
    // Twilio is never reached for verification here (port 9 refuses); inbound texts need only the
    // number and the token.
    let settings = json!({
        "twilio_account_sid": SID, "twilio_auth_token": TOKEN, "phone_number": "+15551234567",
    });
    let res = http.patch(format!("{base}/v1/channels/sms")).bearer_auth(ADMIN_TOKEN).json(&settings).send().await;
    assert_eq!(res.unwrap().status(), 200);

    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut clients = Vec::new();
    for client in 0..4 {
        let (http, acked, url) = (http.clone(), Arc::clone(&acked), format!("{base}/v1/sms/twilio"));
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let sid = format!("SM{client:016x}{n:016x}");
                let params: Vec<(String, String)> = [
                    ("Body", format!("text {sid}")),
                    ("From", format!("+8210000000{client:02}")),
                    ("MessageSid", sid.clone()),
                    ("To", "+15551234567".to_owned()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                let signature =
                    sangdam::sms::signature::sign(TOKEN, &format!("{}/v1/sms/twilio", common::PUBLIC_URL), &params);
                let sent = http
                    .post(&url)
                    .header("X-Twilio-Signature", signature)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(serde_urlencoded::to_string(&params).unwrap())
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status() == 200 => acked.lock().unwrap().insert(format!("text {sid}")),
                    _ => return,
                };
            }
        }));
    }
    while acked.lock().unwrap().len() < 100 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    // The engine starts again on the same database, and the store holds every acknowledged text.
    let (mut child, _) = start(&db);
    child.kill().unwrap();
    child.wait().unwrap();
    let store = db.store().await;
    let ws = store.first_admin().await.unwrap().unwrap().workspace_id;
    let mut stored = HashSet::new();
    for client in 0..4 {
        let probe = sangdam::store::NewConversation {
            workspace_id: ws,
            room_id: sangdam::ids::RoomId::new(),
            customer_id: sangdam::ids::CustomerId::new(),
            channel: sangdam::channels::ChannelKind::Sms,
            customer: Default::default(),
            status: sangdam::rooms::RoomStatus::Bot,
            token_hash: None,
            at: chrono::Utc::now(),
        };
        let room = store.sms_room(ws, &format!("+8210000000{client:02}"), &probe).await.unwrap();
        stored.extend(store.recent_messages(ws, room.id, 10_000).await.unwrap().into_iter().map(|m| m.text));
    }
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged texts were lost: {lost:?}", lost.len());
    store.close().await;
    db.drop_db().await;
}

on_each_backend!(acknowledged_texts_survive_sigkill);
