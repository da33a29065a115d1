//! Distribution across engine processes: two `sangdam serve` processes on one PostgreSQL hand off
//! 500 conversations at once with `auto` distribution; each room is assigned exactly once and the
//! counselors' loads differ by at most one room.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Backend, TestDb};
use futures_util::StreamExt;
use sangdam::ids::{RoomId, WorkspaceId};
use sangdam::rooms::RoomStatus;
use sangdam::rooms::distribution::{DistributionSettings, Method};
use sangdam::rooms::queue::{QueueSettings, RoomEventKind};
use sangdam::store::Store;
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "sdm_queue-processes-admin-token-0123456789";
const ROOMS: usize = 500;
const COUNSELORS: usize = 7;

async fn call(http: &reqwest::Client, method: &str, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url).bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// A live webchat channel whose agent hands off to the counselor queue; its widget key.
async fn go_live(http: &reqwest::Client, base: &str) -> String {
    let settings = json!({
        "intro_message": "안녕하세요!",
        "allowed_origins": ["https://shop.example"],
        "skills": ["greeting", "human_handoff"],
        "handoff": {"action": "queue", "message": "상담원을 연결해 드릴게요."},
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

/// Registers and certifies a counselor; the admin stops counselling so only these take rooms.
async fn counselors(http: &reqwest::Client, base: &str, store: &dyn Store, ws: WorkspaceId) {
    for n in 0..COUNSELORS {
        let body = json!({"login": format!("agent{n}"), "password": "correct horse 1", "name": format!("상담사{n}"), "role": "agent"});
        let (status, account) = call(http, "POST", format!("{base}/v1/accounts"), Some(body)).await;
        assert_eq!(status, 201, "{account}");
        let id = account["id"].as_str().unwrap();
        let (status, body) = call(http, "POST", format!("{base}/v1/accounts/{id}/certify"), None).await;
        assert_eq!(status, 200, "{body}");
    }
    let admin = store.first_admin().await.unwrap().unwrap();
    let (status, body) =
        call(http, "PATCH", format!("{base}/v1/accounts/{}", admin.id), Some(json!({"counselling": false}))).await;
    assert_eq!(status, 200, "{body}");
    let settings = QueueSettings {
        distribution: DistributionSettings { method: Method::Auto, ..DistributionSettings::default() },
        ..QueueSettings::default()
    };
    store.save_queue_settings(ws, &settings, None, chrono::Utc::now()).await.unwrap();
}

/// Opens a conversation on `base` and asks for a person; the room id.
async fn ask_for_a_person(http: reqwest::Client, base: String, key: String, n: usize) -> RoomId {
    let opened: Value = http
        .post(format!("{base}/v1/webchat/conversations"))
        .header("X-Widget-Key", &key)
        .header("Origin", "https://shop.example")
        .json(&json!({"customer": {"name": format!("고객{n}")}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = opened["conversation_id"].as_str().unwrap_or_else(|| panic!("{opened}")).to_owned();
    let token = opened["token"].as_str().unwrap().to_owned();
    let posted = http
        .post(format!("{base}/v1/webchat/conversations/{id}/messages"))
        .bearer_auth(&token)
        .header("Origin", "https://shop.example")
        .json(&json!({"text": "상담원 연결해주세요", "client_message_id": format!("m-{n}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    id.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_assign_each_room_once_and_evenly() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let http = reqwest::Client::new();
    // Every customer of this test writes from 127.0.0.1.
    let many = [("SANGDAM_CONVERSATIONS_PER_ADDRESS", "100000")];
    let (mut first, base_a) = common::serve(&db, ADMIN_TOKEN, &many);
    let key = go_live(&http, &base_a).await;
    let (mut second, base_b) = common::serve(&db, ADMIN_TOKEN, &many);
    let store = db.store().await;
    let ws = store.first_admin().await.unwrap().unwrap().workspace_id;
    counselors(&http, &base_a, store.as_ref(), ws).await;

    let rooms: Vec<RoomId> = futures_util::stream::iter(0..ROOMS)
        .map(|n| {
            let base = if n % 2 == 0 { base_a.clone() } else { base_b.clone() };
            ask_for_a_person(http.clone(), base, key.clone(), n)
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let mut assigned = Vec::new();
    for _ in 0..600 {
        assigned.clear();
        for room in &rooms {
            let room = store.room(ws, *room).await.unwrap();
            if room.status == RoomStatus::Received {
                assigned.push(room);
            }
        }
        if assigned.len() == ROOMS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(assigned.len(), ROOMS, "every room handed off and assigned");
    let mut loads: HashMap<_, usize> = HashMap::new();
    for room in &assigned {
        *loads.entry(room.assignee_id.expect("an assignee")).or_default() += 1;
        let events = store.room_events(ws, room.id).await.unwrap();
        let assignments = events.iter().filter(|e| e.kind == RoomEventKind::Assigned).count();
        assert_eq!(assignments, 1, "room {} was assigned {assignments} times", room.id);
    }
    assert_eq!(loads.len(), COUNSELORS, "every counselor got rooms: {loads:?}");
    let (min, max) = (loads.values().min().unwrap(), loads.values().max().unwrap());
    assert!(max - min <= 1, "loads differ by more than one room: {loads:?}");
    let by_store: HashMap<_, _> = store.loads(ws).await.unwrap().into_iter().collect();
    for (account, n) in &loads {
        assert_eq!(by_store.get(account).copied(), Some(*n as i64), "the store counts the same loads");
    }

    for child in [&mut first, &mut second] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    store.close().await;
    db.drop_db().await;
}
