//! The counselor queue's store: settings, status moves, distribution, the room list, auto-close
//! and alarms, on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use common::{Backend, TestDb};
use sangdam::accounts::Role;
use sangdam::agent::HandoffReason;
use sangdam::channels::{ChannelKind, ChannelSettings, HandoffAction};
use sangdam::clock::{Clock, FixedClock};
use sangdam::handoff::NewHandoff;
use sangdam::ids::{AccountId, CustomerId, HandoffId, MessageId, RoomId, WorkspaceId};
use sangdam::rooms::autoclose::{AutoCloseSettings, Rule};
use sangdam::rooms::distribution::{CounselorDay, DistributionSettings, Method, Span};
use sangdam::rooms::queue::{
    CloseType, QueueSettings, QueueState, RoomEventKind, RoomEventRecord, RoomQuery, RoomUpdate, Scope, SearchField,
    Sort, Tab,
};
use sangdam::rooms::{Author, CustomerIdentity, NewMessage, Room, RoomStatus};
use sangdam::store::{AccountChanges, AccountRecord, NewConversation, Notice, Provisioning, Store, StoreError};
use sangdam::workspaces::Workspace;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn seoul(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Seoul.with_ymd_and_hms(2020, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

async fn workspace(store: &dyn Store, now: DateTime<Utc>, login: &str) -> (WorkspaceId, AccountId) {
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: "Brand".into(),
        seats: 20,
        time_zone: "Asia/Seoul".into(),
        created_at: now,
    };
    let admin = record(ws.id, login, Role::Admin, now);
    let plan = Provisioning {
        workspace: ws.clone(),
        admin: admin.clone(),
        admin_token_hash: format!("hash-{login}"),
        widget_key: format!("wk_{login}"),
        channels: ChannelKind::ALL.iter().map(|k| (*k, ChannelSettings::default())).collect(),
    };
    assert!(store.provision(&plan, false).await.unwrap());
    // The admin counsels too unless told otherwise; these tests pick their counselors.
    let off = AccountChanges { counselling: Some(false), ..Default::default() };
    store.update_account(ws.id, admin.id, &off).await.unwrap();
    (ws.id, admin.id)
}

fn record(ws: WorkspaceId, login: &str, role: Role, now: DateTime<Utc>) -> AccountRecord {
    AccountRecord {
        id: AccountId::new(),
        workspace_id: ws,
        login: login.into(),
        password_hash: "$argon2id$placeholder".into(),
        name: login.into(),
        role,
        manager_id: None,
        certified: true,
        created_at: now,
    }
}

async fn counselor(store: &dyn Store, ws: WorkspaceId, login: &str, now: DateTime<Utc>) -> AccountId {
    let r = record(ws, login, Role::Agent, now);
    store.insert_account(&r).await.unwrap();
    r.id
}

fn identity(name: &str) -> CustomerIdentity {
    CustomerIdentity {
        name: Some(name.into()),
        email: Some(format!("{name}@Example.com")),
        phone: Some(format!("010-{name}")),
        external_id: Some(format!("ext-{name}")),
    }
}

async fn open(store: &dyn Store, ws: WorkspaceId, customer: &str, now: DateTime<Utc>) -> Room {
    let c = NewConversation {
        workspace_id: ws,
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Webchat,
        customer: identity(customer),
        status: RoomStatus::Bot,
        token_hash: Some(format!("conv-{}", uuid::Uuid::new_v4())),
        at: now,
    };
    store.open_conversation(&c).await.unwrap()
}

fn says(author: Author, text: &str, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        author,
        author_account_id: None,
        text: text.into(),
        client_message_id: None,
        created_at: now,
    }
}

/// The customer asks for a person and the agent hands the room to the queue, with `notices`.
async fn hand_off(store: &dyn Store, ws: WorkspaceId, room: RoomId, now: DateTime<Utc>, notices: &[Notice]) {
    let asked = store.append_message(ws, room, &says(Author::Customer, "상담원 연결해 주세요", now)).await.unwrap();
    let h = NewHandoff {
        id: HandoffId::new(),
        workspace_id: ws,
        room_id: room,
        message_id: asked.message.id,
        reason: HandoffReason::ExplicitRequest,
        detail: "asked for a person".into(),
        trace: serde_json::json!({}),
        action: HandoffAction::Queue,
        notify: false,
        ticket: None,
        at: now,
    };
    store.record_handoff(&h, notices).await.unwrap();
}

/// Writes `status`/`assignee` (and anything `edit` changes) over a room as it stands.
async fn set(
    store: &dyn Store,
    room: &Room,
    status: RoomStatus,
    assignee: Option<AccountId>,
    edit: impl FnOnce(&mut RoomUpdate),
) -> Room {
    let room = store.room(room.workspace_id, room.id).await.unwrap();
    let mut u = RoomUpdate {
        workspace_id: room.workspace_id,
        room_id: room.id,
        expected_version: room.queue.version,
        status,
        assignee_id: assignee,
        state: QueueState { queued: true, ..room.queue.clone() },
        tags: None,
        customer_grade: None,
        customer_tags: None,
        message: None,
        event: None,
    };
    edit(&mut u);
    store.update_room(&u).await.unwrap().0
}

async fn save_method(store: &dyn Store, ws: WorkspaceId, method: Method, now: DateTime<Utc>) {
    let settings = QueueSettings {
        distribution: DistributionSettings { method, ..DistributionSettings::default() },
        ..QueueSettings::default()
    };
    store.save_queue_settings(ws, &settings, None, now).await.unwrap();
}

fn kinds(events: &[RoomEventRecord]) -> Vec<RoomEventKind> {
    events.iter().map(|e| e.kind).collect()
}

async fn settings_round_trip(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    assert_eq!(store.queue_settings(ws).await.unwrap(), QueueSettings::default());
    let mut settings = QueueSettings::default();
    settings.distribution.method = Method::Hybrid;
    settings.distribution.days_off = vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()];
    settings.auto_close = AutoCloseSettings {
        enabled: true,
        wait_minutes: 30,
        counselor_delay_days: Some(2),
        counselor_delay_since: Some(now),
        message: Some("상담이 종료되었습니다".into()),
    };
    store.save_queue_settings(ws, &settings, Some("America/New_York"), now).await.unwrap();
    assert_eq!(store.queue_settings(ws).await.unwrap(), settings);
    assert_eq!(store.workspace(ws).await.unwrap().time_zone, "America/New_York");
    settings.auto_close.enabled = false;
    store.save_queue_settings(ws, &settings, None, now).await.unwrap();
    assert_eq!(store.queue_settings(ws).await.unwrap(), settings);
    assert_eq!(store.workspace(ws).await.unwrap().time_zone, "America/New_York", "kept when not given");
    let listed = store.auto_close_workspaces().await.unwrap();
    assert_eq!(listed, vec![(ws, settings.auto_close.clone())], "the delay rule alone counts as on");
    assert!(matches!(
        store.save_queue_settings(WorkspaceId::new(), &settings, None, now).await,
        Err(StoreError::NotFound)
    ));

    // Counselors' days.
    let a = counselor(store.as_ref(), ws, "a", now).await;
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let day = CounselorDay { account_id: a, date, available: true, breaks: vec![Span { start: t(12), end: t(13) }] };
    store.save_counselor_day(ws, &day).await.unwrap();
    let off = CounselorDay { date: date.succ_opt().unwrap(), available: false, breaks: vec![], ..day.clone() };
    store.save_counselor_day(ws, &off).await.unwrap();
    assert_eq!(
        store.counselor_days(ws, Some(a), date, date + TimeDelta::days(7)).await.unwrap(),
        [day.clone(), off.clone()]
    );
    assert_eq!(store.counselor_days(ws, None, date, date).await.unwrap(), std::slice::from_ref(&day));
    let replaced = CounselorDay { breaks: vec![], ..day.clone() };
    store.save_counselor_day(ws, &replaced).await.unwrap();
    assert_eq!(store.counselor_days(ws, None, date, date).await.unwrap(), [replaced]);
    store.delete_counselor_day(ws, a, date).await.unwrap();
    assert!(matches!(store.delete_counselor_day(ws, a, date).await, Err(StoreError::NotFound)));
    let (other, _) = workspace(store.as_ref(), now, "other").await;
    assert!(matches!(store.save_counselor_day(other, &day).await, Err(StoreError::NotFound)), "not its account");
    assert!(store.counselor_days(other, None, date, date + TimeDelta::days(7)).await.unwrap().is_empty());
}
on_both_backends!(settings_and_counselor_days_round_trip, settings_round_trip);

async fn update_room_compares_versions(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let (ws, admin) = workspace(store.as_ref(), now, "admin").await;
    let a = counselor(store.as_ref(), ws, "a", now).await;
    let room = open(store.as_ref(), ws, "kim", now).await;
    assert_eq!(room.queue.version, 0);
    let reply = Notice {
        message: NewMessage { author_account_id: Some(a), ..says(Author::Counselor, "안녕하세요", now) },
        sms_to: None,
    };
    let event = RoomEventRecord {
        kind: RoomEventKind::Received,
        actor_id: Some(a),
        target_id: Some(a),
        detail: serde_json::json!({}),
        at: now,
    };
    let u = RoomUpdate {
        workspace_id: ws,
        room_id: room.id,
        expected_version: 0,
        status: RoomStatus::Received,
        assignee_id: Some(a),
        state: QueueState { hold: true, flagged: true, queued: true, alarm_at: Some(now), ..QueueState::default() },
        tags: Some(vec!["배송".into()]),
        customer_grade: Some(Some("VIP".into())),
        customer_tags: Some(vec!["단골".into()]),
        message: Some(reply),
        event: Some(event.clone()),
    };
    let (written, message) = store.update_room(&u).await.unwrap();
    let message = message.unwrap();
    assert_eq!((message.seq, message.author), (1, Author::Counselor));
    // The counselor's reply moved the received room on: the machine runs inside the write.
    assert_eq!((written.status, written.assignee_id), (RoomStatus::Answered, Some(a)));
    assert!(written.queue.hold && written.queue.flagged && written.queue.queued);
    assert_eq!(written.queue.alarm_at, Some(now));
    assert_eq!(written.tags, ["배송"]);
    assert_eq!(
        (written.customer.grade.as_deref(), written.customer.tags.clone()),
        (Some("VIP"), vec!["단골".to_owned()])
    );
    assert!(written.queue.version >= 2, "the change and the message each bump it");
    assert_eq!(store.room(ws, room.id).await.unwrap(), written);
    assert_eq!(store.room_events(ws, room.id).await.unwrap(), [event]);

    assert!(matches!(store.update_room(&u).await, Err(StoreError::Conflict)), "stale version");
    let (other, _) = workspace(store.as_ref(), now, "other").await;
    let foreign = RoomUpdate { workspace_id: other, ..u.clone() };
    assert!(matches!(store.update_room(&foreign).await, Err(StoreError::NotFound)));

    // Clearing the grade, keeping the rest.
    let cleared = set(store.as_ref(), &written, RoomStatus::Answered, Some(a), |u| u.customer_grade = Some(None)).await;
    assert_eq!((cleared.customer.grade, cleared.customer.tags), (None, vec!["단골".to_owned()]));
    assert_eq!(cleared.tags, ["배송"]);
    // A counselor holding an open room cannot be deleted (the account checks count them).
    assert!(matches!(store.delete_account(ws, a, now).await, Err(StoreError::HoldsOpenRooms(1))));
    let _ = admin;
}
on_both_backends!(update_room_compares_versions_atomically, update_room_compares_versions);

async fn appends_move_statuses(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    let a = counselor(store.as_ref(), ws, "a", now).await;
    let b = counselor(store.as_ref(), ws, "b", now).await;
    let room = open(store.as_ref(), ws, "kim", now).await;
    store.append_message(ws, room.id, &says(Author::Customer, "사람 불러주세요", now)).await.unwrap();
    let notice = Notice { message: says(Author::Bot, "상담원을 연결할게요", now), sms_to: None };
    hand_off(store.as_ref(), ws, room.id, now, &[notice]).await;
    let waiting = store.room(ws, room.id).await.unwrap();
    assert_eq!((waiting.status, waiting.queue.queued, waiting.assignee_id), (RoomStatus::Waiting, true, None));
    assert_eq!(kinds(&store.room_events(ws, room.id).await.unwrap()), [RoomEventKind::Queued]);

    // A counselor message before anyone received the room does not move it.
    store.append_message(ws, room.id, &says(Author::Counselor, "잠시만요", now)).await.unwrap();
    assert_eq!(store.room(ws, room.id).await.unwrap().status, RoomStatus::Waiting);

    let received = set(store.as_ref(), &room, RoomStatus::Received, Some(a), |_| {}).await;
    let before = received.queue.version;
    store.append_message(ws, room.id, &says(Author::Customer, "주문 확인이요", now)).await.unwrap();
    let still = store.room(ws, room.id).await.unwrap();
    assert_eq!(still.status, RoomStatus::Received, "received until the counselor first replies");
    assert_eq!(still.queue.version, before + 1, "every message bumps the version");
    store.append_message(ws, room.id, &says(Author::Counselor, "확인했습니다", now)).await.unwrap();
    assert_eq!(store.room(ws, room.id).await.unwrap().status, RoomStatus::Answered);
    store.append_message(ws, room.id, &says(Author::Customer, "감사합니다", now)).await.unwrap();
    assert_eq!(store.room(ws, room.id).await.unwrap().status, RoomStatus::Inquiry);

    let closed = set(store.as_ref(), &room, RoomStatus::Closed, Some(a), |u| {
        u.state.close_type = Some(CloseType::Counselor);
        u.state.closed_at = Some(now);
        u.state.processed = true;
        u.state.hold = true;
    })
    .await;
    assert_eq!(closed.status, RoomStatus::Closed);
    store.append_message(ws, room.id, &says(Author::System, "종료 안내", now)).await.unwrap();
    assert_eq!(store.room(ws, room.id).await.unwrap().status, RoomStatus::Closed, "a refusal leaves it");

    // `a` now has no rooms, `b` one: a reopened room goes to `a`.
    let other = open(store.as_ref(), ws, "lee", now).await;
    set(store.as_ref(), &other, RoomStatus::Received, Some(b), |_| {}).await;
    save_method(store.as_ref(), ws, Method::Auto, now).await;
    let later = now + TimeDelta::minutes(5);
    store.append_message(ws, room.id, &says(Author::Customer, "또 문의드려요", later)).await.unwrap();
    let reopened = store.room(ws, room.id).await.unwrap();
    assert_eq!((reopened.status, reopened.assignee_id), (RoomStatus::Received, Some(a)));
    assert_eq!(
        (reopened.queue.close_type, reopened.queue.closed_at, reopened.queue.processed, reopened.queue.hold),
        (None, None, false, false)
    );
    let events = store.room_events(ws, room.id).await.unwrap();
    assert_eq!(&kinds(&events)[1..], [RoomEventKind::Reopened, RoomEventKind::Assigned]);
    assert_eq!((events[2].target_id, events[2].at), (Some(a), later));

    // A room the counselors never had reopens with the agent.
    let bot = open(store.as_ref(), ws, "park", now).await;
    set(store.as_ref(), &bot, RoomStatus::Closed, None, |u| {
        u.state.queued = false;
        u.state.close_type = Some(CloseType::Auto);
    })
    .await;
    store.append_message(ws, bot.id, &says(Author::Customer, "hello", later)).await.unwrap();
    assert_eq!(store.room(ws, bot.id).await.unwrap().status, RoomStatus::Bot);
}
on_both_backends!(appends_move_statuses_by_the_machine, appends_move_statuses);

async fn handoffs_distribute(store: Arc<dyn Store>, clock: FixedClock) {
    // 2026-11-21 09:00 UTC is 18:00 on a Saturday in Seoul: auto ignores working hours.
    let now = clock.now();
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    let busy = counselor(store.as_ref(), ws, "busy", now).await;
    let light = counselor(store.as_ref(), ws, "light", now).await;
    let away = counselor(store.as_ref(), ws, "away", now).await;
    let resting = counselor(store.as_ref(), ws, "resting", now).await;
    let silent = counselor(store.as_ref(), ws, "silent", now).await;
    let off = AccountChanges { counselling: Some(false), ..Default::default() };
    store.update_account(ws, silent, &off).await.unwrap();
    for (who, rooms) in [(busy, 2), (light, 1), (away, 0), (resting, 0)] {
        for i in 0..rooms {
            let r = open(store.as_ref(), ws, &format!("load{i}"), now).await;
            set(store.as_ref(), &r, RoomStatus::Inquiry, Some(who), |_| {}).await;
        }
    }
    let unavailable = CounselorDay { account_id: away, date: today, available: false, breaks: vec![] };
    store.save_counselor_day(ws, &unavailable).await.unwrap();
    let on_break = CounselorDay {
        account_id: resting,
        date: today,
        available: true,
        breaks: vec![Span { start: t(17, 30), end: t(18, 30) }],
    };
    store.save_counselor_day(ws, &on_break).await.unwrap();
    // Yesterday's plan does not apply today.
    let stale = CounselorDay { account_id: light, date: today.pred_opt().unwrap(), available: false, breaks: vec![] };
    store.save_counselor_day(ws, &stale).await.unwrap();

    let manual = open(store.as_ref(), ws, "manual", now).await;
    hand_off(store.as_ref(), ws, manual.id, now, &[]).await;
    assert_eq!(store.room(ws, manual.id).await.unwrap().status, RoomStatus::Waiting, "manual by default");

    save_method(store.as_ref(), ws, Method::Auto, now).await;
    let room = open(store.as_ref(), ws, "auto", now).await;
    hand_off(store.as_ref(), ws, room.id, now, &[]).await;
    let given = store.room(ws, room.id).await.unwrap();
    assert_eq!((given.status, given.assignee_id), (RoomStatus::Received, Some(light)));
    let events = store.room_events(ws, room.id).await.unwrap();
    assert_eq!(kinds(&events), [RoomEventKind::Queued, RoomEventKind::Assigned]);
    assert_eq!(events[1].target_id, Some(light));

    // The waiting room goes on demand; `busy` and `light` both have 2 now: the lower id wins.
    let first = busy.min(light);
    assert_eq!(store.distribute(ws, manual.id, now).await.unwrap(), Some(first));
    assert_eq!(store.distribute(ws, manual.id, now).await.unwrap(), None, "no longer waiting");
    let mut want = vec![(first, 3), (busy.max(light), 2)];
    want.sort();
    assert_eq!(store.loads(ws).await.unwrap(), want);

    // Nobody available: the room waits.
    for who in [busy, light] {
        let day = CounselorDay { account_id: who, date: today, available: false, breaks: vec![] };
        store.save_counselor_day(ws, &day).await.unwrap();
    }
    let late = open(store.as_ref(), ws, "late", now).await;
    hand_off(store.as_ref(), ws, late.id, now, &[]).await;
    assert_eq!(store.room(ws, late.id).await.unwrap().status, RoomStatus::Waiting);
    // After the break, `resting` takes it.
    assert_eq!(store.distribute(ws, late.id, now + TimeDelta::minutes(31)).await.unwrap(), Some(resting));
    assert!(matches!(store.distribute(ws, RoomId::new(), now).await, Err(StoreError::NotFound)));
}
on_both_backends!(handoffs_distribute_to_the_least_loaded_available_counselor, handoffs_distribute);

#[path = "queue_store/list.rs"]
mod list;
#[path = "queue_store/scale.rs"]
mod scale;
#[path = "queue_store/sweep.rs"]
mod sweep;
