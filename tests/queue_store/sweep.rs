//! Auto-close (seed 000's rules and worked example), racing sweepers, alarms, and distribution
//! racing across processes.

use super::*;

/// A room whose last message is `author`'s at `when`, then set to `status` for counselor `who`.
async fn last_word(
    store: &dyn Store,
    ws: WorkspaceId,
    name: &str,
    author: Author,
    when: DateTime<Utc>,
    status: RoomStatus,
) -> Room {
    let room = open(store, ws, name, when - TimeDelta::days(1)).await;
    store.append_message(ws, room.id, &says(author, "마지막 말", when)).await.unwrap();
    if status == RoomStatus::Bot {
        return store.room(ws, room.id).await.unwrap();
    }
    set(store, &room, status, None, |_| {}).await
}

fn seed_settings() -> AutoCloseSettings {
    AutoCloseSettings {
        enabled: true,
        wait_minutes: 30,
        counselor_delay_days: Some(1),
        counselor_delay_since: Some(seoul(12, 10, 13, 0)),
        message: None,
    }
}

async fn auto_close_rules(store: Arc<dyn Store>, clock: FixedClock) {
    let store = store.as_ref();
    let now = seoul(12, 10, 13, 0);
    let (ws, _) = workspace(store, clock.now(), "admin").await;
    use Author::{Bot, Counselor, Customer};
    use RoomStatus::*;
    let edge = last_word(store, ws, "edge", Customer, seoul(12, 3, 13, 0), Inquiry).await;
    let early = last_word(store, ws, "early", Customer, seoul(12, 3, 12, 59), Inquiry).await;
    let yesterday = last_word(store, ws, "yesterday", Customer, seoul(12, 9, 13, 0), Received).await;
    let hour_ago = last_word(store, ws, "hour", Customer, seoul(12, 10, 12, 0), Waiting).await;
    let held = last_word(store, ws, "held", Customer, seoul(12, 5, 0, 0), Inquiry).await;
    set(store, &held, Inquiry, None, |u| u.state.hold = true).await;
    let held_answered = last_word(store, ws, "held2", Counselor, seoul(12, 5, 0, 0), Answered).await;
    set(store, &held_answered, Answered, None, |u| u.state.hold = true).await;
    let answered = last_word(store, ws, "answered", Counselor, seoul(12, 10, 12, 30), Answered).await;
    let recent = last_word(store, ws, "recent", Counselor, seoul(12, 10, 12, 31), Answered).await;
    let agent = last_word(store, ws, "agent", Bot, seoul(12, 10, 12, 0), RoomStatus::Bot).await;
    let asking = last_word(store, ws, "asking", Customer, seoul(12, 10, 12, 0), RoomStatus::Bot).await;
    // An SMS room: its auto-close message is texted.
    let new = NewConversation {
        workspace_id: ws,
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Sms,
        customer: CustomerIdentity::default(),
        status: RoomStatus::Bot,
        token_hash: None,
        at: seoul(12, 1, 0, 0),
    };
    let texted = store.sms_room(ws, "+821012345678", &new).await.unwrap();
    store.append_message(ws, texted.id, &says(Customer, "문자 문의", seoul(12, 9, 12, 0))).await.unwrap();
    let texted = set(store, &texted, Inquiry, None, |_| {}).await;

    let s = seed_settings();
    let due = store.due_rooms(ws, &s, now, 100).await.unwrap();
    let found: Vec<(RoomId, Rule)> = due.iter().map(|d| (d.room_id, d.rule)).collect();
    assert_eq!(
        found,
        [
            (edge.id, Rule::CounselorDelay),
            (texted.id, Rule::CounselorDelay),
            (yesterday.id, Rule::CounselorDelay),
            (agent.id, Rule::CustomerSilence),
            (answered.id, Rule::CustomerSilence),
        ]
    );
    let sms = due.iter().find(|d| d.room_id == texted.id).unwrap();
    assert_eq!((sms.sms_to.as_deref(), sms.status), (Some("+821012345678"), Inquiry));
    assert_eq!(store.due_rooms(ws, &s, now, 2).await.unwrap().len(), 2, "the limit holds");
    let (other, _) = workspace(store, clock.now(), "other").await;
    assert!(store.due_rooms(other, &s, now, 100).await.unwrap().is_empty(), "per workspace");

    // Closing writes the close, its history entry and the message, once.
    let text = "응답이 없어 상담을 종료합니다";
    let closed = store.auto_close(&due, Some(text), now).await.unwrap();
    assert_eq!(closed.len(), 5);
    for (id, message) in &closed {
        let room = store.room(ws, *id).await.unwrap();
        assert_eq!(
            (room.status, room.queue.close_type, room.queue.closed_at, room.queue.processed),
            (Closed, Some(CloseType::Auto), Some(now), false)
        );
        let message = message.as_ref().unwrap();
        assert_eq!((message.seq, message.author, message.text.as_str()), (room.last_seq, Author::System, text));
        let stored = store.recent_messages(ws, *id, 1).await.unwrap();
        assert_eq!(&stored[0], message);
        let events = store.room_events(ws, *id).await.unwrap();
        assert_eq!(kinds(&events), [RoomEventKind::Closed]);
        let rule = if *id == answered.id || *id == agent.id { "customer_silence" } else { "counselor_delay" };
        assert_eq!(events[0].detail, serde_json::json!({"close_type": "auto", "rule": rule}));
    }
    let sms_message = closed.iter().find(|(id, _)| *id == texted.id).unwrap().1.clone().unwrap();
    assert_eq!(sms_message.delivery_status.as_deref(), Some("pending"));
    let queued = store.claim_sms(now, now + TimeDelta::minutes(1), 10).await.unwrap();
    assert_eq!(queued.len(), 1, "the SMS room's message is queued for texting");
    assert!(store.auto_close(&due, Some(text), now).await.unwrap().is_empty(), "closed once");
    // Content search is of the conversation: the engine's closing notice is not found.
    let closed_today = |term: &str| RoomQuery {
        workspace_id: ws,
        scope: Scope::All,
        tab: Tab::Closed,
        closed_from: Some(seoul(12, 1, 0, 0)),
        closed_to: Some(seoul(12, 31, 0, 0)),
        search: Some((SearchField::Content, term.to_owned())),
        grade: None,
        flagged: false,
        sort: Sort::LastMessageDesc,
        limit: 50,
        after: None,
    };
    assert!(store.list_rooms(&closed_today("상담을 종료")).await.unwrap().is_empty());
    let asked = store.list_rooms(&closed_today("문자 문의")).await.unwrap();
    assert_eq!(asked.iter().map(|l| l.room.id).collect::<Vec<_>>(), [texted.id]);
    assert!(store.due_rooms(ws, &s, now, 100).await.unwrap().is_empty());

    // Later: the newer room is due; the early one never is, and held rooms never close.
    let later = store.due_rooms(ws, &s, seoul(12, 11, 12, 0), 100).await.unwrap();
    let ids: Vec<RoomId> = later.iter().map(|d| d.room_id).collect();
    assert_eq!(ids, [hour_ago.id, recent.id]);
    let end = store.due_rooms(ws, &s, seoul(12, 31, 0, 0), 100).await.unwrap();
    assert!(!end.iter().any(|d| [early.id, held.id, held_answered.id, asking.id].contains(&d.room_id)));
    // A room that changed since it was found is skipped.
    store.append_message(ws, hour_ago.id, &says(Counselor, "답변드립니다", seoul(12, 11, 12, 0))).await.unwrap();
    let closed = store.auto_close(&later, None, seoul(12, 11, 12, 0)).await.unwrap();
    assert_eq!(closed, [(recent.id, None)]);
    assert_eq!(store.room(ws, hour_ago.id).await.unwrap().status, Waiting);
}
on_both_backends!(auto_close_follows_the_seeds_rules, auto_close_rules);

async fn racing_sweepers(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    let quiet = now - TimeDelta::hours(2);
    for i in 0..60 {
        last_word(store.as_ref(), ws, &format!("c{i}"), Author::Counselor, quiet, RoomStatus::Answered).await;
    }
    let s = AutoCloseSettings { enabled: true, wait_minutes: 60, ..AutoCloseSettings::default() };
    let due = store.due_rooms(ws, &s, now, 1_000).await.unwrap();
    assert_eq!(due.len(), 60);
    let (one, two) = tokio::join!(store.auto_close(&due, Some("bye"), now), store.auto_close(&due, Some("bye"), now));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.len() + two.len(), 60, "every room closed by exactly one sweeper");
    for d in &due {
        let messages = store.recent_messages(ws, d.room_id, 10).await.unwrap();
        assert_eq!(messages.iter().filter(|m| m.text == "bye").count(), 1);
        assert_eq!(kinds(&store.room_events(ws, d.room_id).await.unwrap()), [RoomEventKind::Closed]);
    }
}
on_both_backends!(racing_sweepers_close_each_room_once, racing_sweepers);

async fn alarms(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    let a = counselor(store.as_ref(), ws, "a", now).await;
    let soon = open(store.as_ref(), ws, "soon", now).await;
    let soon = set(store.as_ref(), &soon, RoomStatus::Received, Some(a), |u| {
        u.state.alarm_at = Some(now - TimeDelta::minutes(1))
    })
    .await;
    let later = open(store.as_ref(), ws, "later", now).await;
    set(store.as_ref(), &later, RoomStatus::Received, Some(a), |u| u.state.alarm_at = Some(now + TimeDelta::hours(1)))
        .await;
    let (one, two) = tokio::join!(store.fire_alarms(now, 10), store.fire_alarms(now, 10));
    let fired: Vec<_> = one.unwrap().into_iter().chain(two.unwrap()).collect();
    assert_eq!(fired.len(), 1, "fired once");
    assert_eq!(
        (fired[0].workspace_id, fired[0].room_id, fired[0].assignee_id, fired[0].at),
        (ws, soon.id, Some(a), now - TimeDelta::minutes(1))
    );
    let room = store.room(ws, soon.id).await.unwrap();
    assert_eq!((room.queue.alarm_at, room.queue.version), (None, soon.queue.version + 1));
    assert_eq!(kinds(&store.room_events(ws, soon.id).await.unwrap()), [RoomEventKind::AlarmFired]);
    assert!(store.fire_alarms(now, 10).await.unwrap().is_empty());
    let next = store.fire_alarms(now + TimeDelta::hours(2), 10).await.unwrap();
    assert_eq!(next.iter().map(|f| f.room_id).collect::<Vec<_>>(), [later.id]);
}
on_both_backends!(alarms_fire_once, alarms);

/// Two engine processes (two pools on one PostgreSQL database) hand off rooms at once: every room
/// is given to exactly one counselor, and the loads stay even.
#[tokio::test]
async fn distribution_races_across_processes_on_postgres() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let one = db.store().await;
    let two = db.store().await;
    let now = at("2026-11-21T09:00:00Z");
    let (ws, _) = workspace(one.as_ref(), now, "admin").await;
    let mut counselors = Vec::new();
    for i in 0..7 {
        counselors.push(counselor(one.as_ref(), ws, &format!("c{i}"), now).await);
    }
    save_method(one.as_ref(), ws, Method::Auto, now).await;
    let mut rooms = Vec::new();
    for i in 0..500 {
        rooms.push(open(one.as_ref(), ws, &format!("r{i}"), now).await.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, chunk) in rooms.chunks(25).enumerate() {
        let store = if i % 2 == 0 { Arc::clone(&one) } else { Arc::clone(&two) };
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for room in chunk {
                hand_off(store.as_ref(), ws, room, now, &[]).await;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let loads = one.loads(ws).await.unwrap();
    assert_eq!(loads.iter().map(|(_, n)| n).sum::<i64>(), 500);
    assert_eq!(loads.len(), 7);
    let (min, max) = (loads.iter().map(|l| l.1).min().unwrap(), loads.iter().map(|l| l.1).max().unwrap());
    assert!(max - min <= 1, "loads {loads:?}");
    for room in &rooms {
        let events = one.room_events(ws, *room).await.unwrap();
        assert_eq!(kinds(&events), [RoomEventKind::Queued, RoomEventKind::Assigned]);
        let room = one.room(ws, *room).await.unwrap();
        assert_eq!((room.status, room.assignee_id), (RoomStatus::Received, events[1].target_id));
    }
    one.close().await;
    two.close().await;
    db.drop_db().await;
}
