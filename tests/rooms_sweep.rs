//! `sangdam rooms sweep`: seed 000's auto-close rules through the real binary, on both backends.
//!
//! Rooms are written through the store at fixed past instants; the binary sweeps `--as-of` chosen
//! moments and prints one JSON line per room it closes (or would, with `--dry-run`) and a last
//! line `{"closed": N}`.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use common::{Backend, TestDb};
use sangdam::agent::HandoffReason;
use sangdam::channels::{ChannelKind, HandoffAction};
use sangdam::clock::SystemClock;
use sangdam::handoff::NewHandoff;
use sangdam::ids::{AccountId, CustomerId, HandoffId, MessageId, RoomId, WorkspaceId};
use sangdam::rooms::autoclose::AutoCloseSettings;
use sangdam::rooms::queue::{CloseType, QueueSettings, RoomUpdate};
use sangdam::rooms::{Author, CustomerIdentity, NewMessage, RoomStatus};
use sangdam::store::{NewConversation, Store};
use sangdam::workspaces::provision::{self, WorkspaceSpec};
use serde_json::Value;

/// 2020-MM-DD HH:MM in Seoul, the seed's example year.
fn seoul(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Seoul.with_ymd_and_hms(2020, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn message(author: Author, account: Option<AccountId>, text: &str, at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        author,
        author_account_id: account,
        text: text.into(),
        client_message_id: None,
        created_at: at,
    }
}

/// A webchat room handed to the (manual) counselor queue at `at`, the customer's last message
/// then; it waits.
async fn waiting_room(store: &dyn Store, ws: WorkspaceId, at: DateTime<Utc>) -> RoomId {
    let room = store
        .open_conversation(&NewConversation {
            workspace_id: ws,
            room_id: RoomId::new(),
            customer_id: CustomerId::new(),
            channel: ChannelKind::Webchat,
            customer: CustomerIdentity::default(),
            status: RoomStatus::Bot,
            token_hash: None,
            at,
        })
        .await
        .unwrap();
    let asked =
        store.append_message(ws, room.id, &message(Author::Customer, None, "상담원 연결해주세요", at)).await.unwrap();
    let handoff = NewHandoff {
        id: HandoffId::new(),
        workspace_id: ws,
        room_id: room.id,
        message_id: asked.message.id,
        reason: HandoffReason::ExplicitRequest,
        detail: "asked for a person".into(),
        trace: serde_json::json!({}),
        action: HandoffAction::Queue,
        notify: false,
        ticket: None,
        at,
    };
    store.record_handoff(&handoff, &[]).await.unwrap();
    assert_eq!(store.room(ws, room.id).await.unwrap().status, RoomStatus::Waiting);
    room.id
}

/// Applies `change` to the room as it stands now.
async fn change(store: &dyn Store, ws: WorkspaceId, room: RoomId, change: impl FnOnce(&mut RoomUpdate)) {
    let now = store.room(ws, room).await.unwrap();
    let mut update = RoomUpdate {
        workspace_id: ws,
        room_id: room,
        expected_version: now.queue.version,
        status: now.status,
        assignee_id: now.assignee_id,
        state: now.queue.clone(),
        tags: None,
        customer_grade: None,
        customer_tags: None,
        message: None,
        event: None,
    };
    change(&mut update);
    store.update_room(&update).await.unwrap();
}

/// Runs `sangdam rooms sweep`; the JSON lines it printed.
fn sweep(db: &TestDb, as_of: DateTime<Utc>, dry_run: bool) -> Vec<Value> {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sangdam"));
    cmd.args(["rooms", "sweep", "--database-url", &db.url, "--as-of", &as_of.to_rfc3339()]).env("RUST_LOG", "warn");
    if dry_run {
        cmd.arg("--dry-run");
    }
    let out = cmd.output().expect("run sangdam rooms sweep");
    assert!(out.status.success(), "sweep failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}")))
        .collect()
}

/// The rooms a sweep printed, and its closing count.
fn swept(lines: &[Value]) -> (BTreeSet<String>, i64) {
    let (last, rooms) = lines.split_last().expect("a last line");
    let ids = rooms.iter().map(|l| l["room_id"].as_str().unwrap().to_owned()).collect();
    (ids, last["closed"].as_i64().unwrap_or_else(|| panic!("last line {last}")))
}

fn ids(rooms: &[RoomId]) -> BTreeSet<String> {
    rooms.iter().map(ToString::to_string).collect()
}

async fn seed_example_through_the_binary(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let store = db.store().await;
    let spec = WorkspaceSpec {
        name: "Sweep".into(),
        seats: 5,
        time_zone: "Asia/Seoul".into(),
        admin_login: format!("sweep-{}", uuid::Uuid::new_v4().simple()),
        admin_password: None,
        admin_token: None,
    };
    let made = provision::provision(store.as_ref(), &SystemClock, spec, false).await.unwrap().unwrap();
    let ws = made.workspace.id;
    let counselor = made.admin.id;
    let s = store.as_ref();

    // Rule (b), seed 000: switched on at 12/10 13:00 with one day.
    let on_the_edge = waiting_room(s, ws, seoul(12, 3, 13, 0)).await;
    let a_minute_early = waiting_room(s, ws, seoul(12, 3, 12, 59)).await;
    let yesterday = waiting_room(s, ws, seoul(12, 9, 13, 0)).await;
    let an_hour_ago = waiting_room(s, ws, seoul(12, 10, 12, 0)).await;
    let held = waiting_room(s, ws, seoul(12, 5, 0, 0)).await;
    change(s, ws, held, |u| u.state.hold = true).await;
    // Rule (a): a counselor answered at 12/10 12:00; the customer stayed silent.
    let answered = waiting_room(s, ws, seoul(12, 10, 11, 0)).await;
    change(s, ws, answered, |u| {
        u.status = RoomStatus::Received;
        u.assignee_id = Some(counselor);
    })
    .await;
    store
        .append_message(
            ws,
            answered,
            &message(Author::Counselor, Some(counselor), "확인해 드릴게요", seoul(12, 10, 12, 0)),
        )
        .await
        .unwrap();
    assert_eq!(store.room(ws, answered).await.unwrap().status, RoomStatus::Answered);

    let settings = QueueSettings {
        auto_close: AutoCloseSettings {
            enabled: false,
            wait_minutes: 30,
            counselor_delay_days: Some(1),
            counselor_delay_since: Some(seoul(12, 10, 13, 0)),
            message: Some("응답이 없어 상담을 종료합니다.".into()),
        },
        ..QueueSettings::default()
    };
    store.save_queue_settings(ws, &settings, None, seoul(12, 10, 13, 0)).await.unwrap();

    let switch_on = seoul(12, 10, 13, 0);
    let (would, n) = swept(&sweep(&db, switch_on, true));
    assert_eq!((would, n), (ids(&[on_the_edge, yesterday]), 2), "a dry run lists the due rooms");
    assert_eq!(store.room(ws, on_the_edge).await.unwrap().status, RoomStatus::Waiting, "a dry run writes nothing");

    let lines = sweep(&db, switch_on, false);
    assert_eq!(swept(&lines), (ids(&[on_the_edge, yesterday]), 2));
    assert!(lines[..2].iter().all(|l| l["rule"] == "counselor_delay" && l["dry_run"] == false), "{lines:?}");
    let closed = store.room(ws, on_the_edge).await.unwrap();
    assert_eq!((closed.status, closed.queue.close_type), (RoomStatus::Closed, Some(CloseType::Auto)));
    assert!(!closed.queue.processed, "an auto close still needs its wrap-up");
    let transcript = store.recent_messages(ws, on_the_edge, 10).await.unwrap();
    assert_eq!(transcript.last().unwrap().text, "응답이 없어 상담을 종료합니다.");
    assert_eq!(swept(&sweep(&db, switch_on, false)).1, 0, "a second sweep finds nothing");

    // A day after its last message, the newer room closes too; the early one and the held one
    // never do.
    assert_eq!(swept(&sweep(&db, seoul(12, 11, 12, 0), false)), (ids(&[an_hour_ago]), 1));
    assert_eq!(swept(&sweep(&db, seoul(12, 31, 0, 0), false)).1, 0);
    for room in [a_minute_early, held, answered] {
        assert_ne!(store.room(ws, room).await.unwrap().status, RoomStatus::Closed);
    }

    // Rule (a) switched on: the answered room closes after the customer's 30 minutes of silence.
    let with_silence =
        QueueSettings { auto_close: AutoCloseSettings { enabled: true, ..settings.auto_close.clone() }, ..settings };
    store.save_queue_settings(ws, &with_silence, None, seoul(12, 31, 0, 0)).await.unwrap();
    let lines = sweep(&db, seoul(12, 31, 0, 0), false);
    assert_eq!(swept(&lines), (ids(&[answered]), 1));
    assert_eq!(lines[0]["rule"], "customer_silence");
    assert_eq!(store.room(ws, held).await.unwrap().status, RoomStatus::Waiting, "held rooms never close");

    // Bad input is refused with a clear message, never a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sangdam"))
        .args(["rooms", "sweep", "--database-url", &db.url, "--as-of", "yesterday"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"), "{}", String::from_utf8_lossy(&out.stderr));

    store.close().await;
    db.drop_db().await;
}

on_each_backend!(seed_example_through_the_binary);
