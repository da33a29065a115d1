//! The room list and its counts: tabs, scopes, every search field, filters, sorts and paging.

use super::*;

fn query(ws: WorkspaceId, tab: Tab) -> RoomQuery {
    RoomQuery {
        workspace_id: ws,
        scope: Scope::All,
        tab,
        closed_from: None,
        closed_to: None,
        search: None,
        grade: None,
        flagged: false,
        sort: Sort::LastMessageDesc,
        limit: 50,
        after: None,
    }
}

/// A room opened at `opened` with messages at `opened + 1 min, + 2 min, …`, then set to `status`.
async fn room_with(
    store: &dyn Store,
    ws: WorkspaceId,
    customer: &str,
    opened: DateTime<Utc>,
    texts: &[&str],
    status: RoomStatus,
    assignee: Option<AccountId>,
) -> Room {
    let room = open(store, ws, customer, opened).await;
    for (i, text) in texts.iter().enumerate() {
        let when = opened + TimeDelta::minutes(i as i64 + 1);
        store.append_message(ws, room.id, &says(Author::Customer, text, when)).await.unwrap();
    }
    if status == RoomStatus::Bot {
        return store.room(ws, room.id).await.unwrap();
    }
    set(store, &room, status, assignee, |_| {}).await
}

struct Fixture {
    ws: WorkspaceId,
    a: AccountId,
    b: AccountId,
    /// bot with messages, bot with a later message, bot without messages.
    bot: [RoomId; 3],
    waiting: RoomId,
    received: RoomId,
    inquiry: RoomId,
    answered: RoomId,
    closed_today: RoomId,
    closed_before: RoomId,
}

async fn fixture(store: &dyn Store, now: DateTime<Utc>) -> Fixture {
    let (ws, _) = workspace(store, now, "admin").await;
    let a = counselor(store, ws, "a", now).await;
    let b = counselor(store, ws, "b", now).await;
    let h = |n: i64| now + TimeDelta::hours(n);
    use RoomStatus::*;
    let bot1 = room_with(store, ws, "kim", h(1), &["배송 언제 와요?"], Bot, None).await;
    let waiting = room_with(store, ws, "lee", h(2), &["환불 요청합니다 REFUND"], Waiting, None).await;
    let received = room_with(store, ws, "park", h(3), &["배송지 변경"], Received, Some(a)).await;
    let inquiry =
        room_with(store, ws, "choi", h(4), &["배송1 A", "배송2 B", "other", "배송3 C", "배송4 D"], Inquiry, Some(a))
            .await;
    let answered = room_with(store, ws, "jung", h(5), &["배송 문의 감사"], Answered, Some(b)).await;
    let closed_today = room_with(store, ws, "han", h(6), &["배송 완료"], Received, Some(a)).await;
    let closed_before = room_with(store, ws, "yoon", h(7), &["끝"], Received, Some(b)).await;
    let bot2 = room_with(store, ws, "song", h(8), &["hello"], Bot, None).await;
    let bot3 = room_with(store, ws, "seo", h(9), &[], Bot, None).await;
    let close = |when: DateTime<Utc>| {
        move |u: &mut RoomUpdate| {
            u.state.close_type = Some(CloseType::Counselor);
            u.state.closed_at = Some(when);
        }
    };
    set(store, &closed_today, Closed, Some(a), close(h(10))).await;
    set(store, &closed_before, Closed, Some(b), close(h(10) - TimeDelta::days(2))).await;
    // Another workspace with a look-alike room.
    let (other, _) = workspace(store, now, "other").await;
    room_with(store, other, "kim", h(1), &["배송 언제 와요?"], Bot, None).await;
    room_with(store, other, "lee", h(2), &["REFUND"], Waiting, None).await;
    Fixture {
        ws,
        a,
        b,
        bot: [bot1.id, bot2.id, bot3.id],
        waiting: waiting.id,
        received: received.id,
        inquiry: inquiry.id,
        answered: answered.id,
        closed_today: closed_today.id,
        closed_before: closed_before.id,
    }
}

async fn ids(store: &dyn Store, q: &RoomQuery) -> Vec<RoomId> {
    store.list_rooms(q).await.unwrap().into_iter().map(|l| l.room.id).collect()
}

async fn list_rooms(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let store = store.as_ref();
    let f = fixture(store, now).await;
    let [bot1, bot2, bot3] = f.bot;
    let ws = f.ws;

    // Tabs, sorted by last message with rooms without messages last either way.
    assert_eq!(ids(store, &query(ws, Tab::Bot)).await, [bot2, bot1, bot3]);
    assert_eq!(ids(store, &RoomQuery { sort: Sort::LastMessageAsc, ..query(ws, Tab::Bot) }).await, [bot1, bot2, bot3]);
    assert_eq!(ids(store, &query(ws, Tab::Waiting)).await, [f.waiting]);
    assert_eq!(ids(store, &query(ws, Tab::Received)).await, [f.received]);
    assert_eq!(ids(store, &query(ws, Tab::Inquiry)).await, [f.inquiry]);
    assert_eq!(ids(store, &query(ws, Tab::Answered)).await, [f.answered]);
    assert_eq!(ids(store, &query(ws, Tab::InProgress)).await, [f.answered, f.inquiry]);
    assert_eq!(
        ids(store, &RoomQuery { sort: Sort::CreatedAsc, ..query(ws, Tab::InProgress) }).await,
        [f.inquiry, f.answered]
    );
    assert_eq!(ids(store, &RoomQuery { sort: Sort::CreatedDesc, ..query(ws, Tab::Bot) }).await, [bot3, bot2, bot1]);

    // The closed tab reads a window of closing times.
    let h10 = now + TimeDelta::hours(10);
    let today = RoomQuery { closed_from: Some(h10 - TimeDelta::hours(1)), ..query(ws, Tab::Closed) };
    assert_eq!(ids(store, &today).await, [f.closed_today]);
    let week = RoomQuery { closed_from: Some(h10 - TimeDelta::days(7)), ..query(ws, Tab::Closed) };
    assert_eq!(ids(store, &week).await, [f.closed_before, f.closed_today]);
    let before = RoomQuery { closed_to: Some(h10), ..week.clone() };
    assert_eq!(ids(store, &before).await, [f.closed_before], "closed_to is exclusive");

    // The last message's text, and what a listed room carries.
    let listed = store.list_rooms(&query(ws, Tab::Inquiry)).await.unwrap();
    assert_eq!(listed[0].last_message_text.as_deref(), Some("배송4 D"));
    assert_eq!(listed[0].room, store.room(ws, f.inquiry).await.unwrap());
    assert!(listed[0].matches.is_empty());
    assert_eq!(store.list_rooms(&query(ws, Tab::Bot)).await.unwrap()[2].last_message_text, None);

    // Paging, in both directions and across the rooms without messages.
    let page = |after, sort| RoomQuery { limit: 1, after, sort, ..query(ws, Tab::Bot) };
    let mut seen = Vec::new();
    let mut after = None;
    while let Some(id) = ids(store, &page(after, Sort::LastMessageDesc)).await.first().copied() {
        seen.push(id);
        after = Some(id);
    }
    assert_eq!(seen, [bot2, bot1, bot3]);
    let first = RoomQuery { limit: 2, sort: Sort::LastMessageAsc, ..query(ws, Tab::Bot) };
    assert_eq!(ids(store, &first).await, [bot1, bot2]);
    assert_eq!(ids(store, &RoomQuery { after: Some(bot2), ..first.clone() }).await, [bot3]);
    assert!(ids(store, &RoomQuery { after: Some(bot3), ..first.clone() }).await.is_empty());
    let progress = RoomQuery { limit: 1, ..query(ws, Tab::InProgress) };
    assert_eq!(ids(store, &RoomQuery { after: Some(f.answered), ..progress.clone() }).await, [f.inquiry]);
    assert!(ids(store, &RoomQuery { after: Some(RoomId::new()), ..progress }).await.is_empty(), "unknown room");
}
on_both_backends!(list_rooms_tabs_sorts_and_pages, list_rooms);

async fn list_scopes_and_searches(store: Arc<dyn Store>, clock: FixedClock) {
    let now = clock.now();
    let store = store.as_ref();
    let f = fixture(store, now).await;
    let [bot1, bot2, bot3] = f.bot;
    let ws = f.ws;
    let week_ago = now - TimeDelta::days(7);
    let week = Some(week_ago);

    // An agent sees the waiting list and their own rooms; a manager adds the agent's rooms.
    let agent = Scope::Counselors { ids: vec![f.a], bot: false };
    let scoped = |tab| RoomQuery { scope: agent.clone(), closed_from: week, ..query(ws, tab) };
    assert_eq!(ids(store, &scoped(Tab::Waiting)).await, [f.waiting]);
    assert_eq!(ids(store, &scoped(Tab::Received)).await, [f.received]);
    assert_eq!(ids(store, &scoped(Tab::InProgress)).await, [f.inquiry]);
    assert!(ids(store, &scoped(Tab::Answered)).await.is_empty());
    assert!(ids(store, &scoped(Tab::Bot)).await.is_empty());
    assert_eq!(ids(store, &scoped(Tab::Closed)).await, [f.closed_today]);
    let manager = Scope::Counselors { ids: vec![f.a, f.b], bot: true };
    let managed = |tab| RoomQuery { scope: manager.clone(), closed_from: week, ..query(ws, tab) };
    assert_eq!(ids(store, &managed(Tab::Bot)).await, [bot2, bot1, bot3]);
    assert_eq!(ids(store, &managed(Tab::InProgress)).await, [f.answered, f.inquiry]);
    assert_eq!(ids(store, &managed(Tab::Closed)).await, [f.closed_before, f.closed_today]);
    let nobody = RoomQuery { scope: Scope::Counselors { ids: vec![], bot: false }, ..query(ws, Tab::Received) };
    assert!(ids(store, &nobody).await.is_empty());

    // Content: case-insensitive substrings, up to three matches newest first.
    let search = |tab, field, term: &str| RoomQuery { search: Some((field, term.to_owned())), ..query(ws, tab) };
    let found = store.list_rooms(&search(Tab::InProgress, SearchField::Content, "배송")).await.unwrap();
    assert_eq!(found.iter().map(|l| l.room.id).collect::<Vec<_>>(), [f.answered, f.inquiry]);
    let seqs: Vec<i64> = found[1].matches.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [5, 4, 2]);
    assert_eq!(found[1].matches[0].text, "배송4 D");
    assert_eq!(found[0].matches.len(), 1);
    assert_eq!(ids(store, &search(Tab::Waiting, SearchField::Content, "refund")).await, [f.waiting]);
    assert_eq!(ids(store, &search(Tab::Waiting, SearchField::Content, "REFUND")).await, [f.waiting], "any case");
    assert!(ids(store, &search(Tab::Waiting, SearchField::Content, "refunds")).await.is_empty());
    assert!(ids(store, &search(Tab::Waiting, SearchField::Content, "%")).await.is_empty(), "wildcards are text");
    assert!(ids(store, &search(Tab::Waiting, SearchField::Content, "re\"fund")).await.is_empty(), "quotes are text");
    assert!(ids(store, &search(Tab::Waiting, SearchField::Content, "_")).await.is_empty());
    assert!(ids(store, &search(Tab::Bot, SearchField::Content, "배송지")).await.is_empty(), "within the tab");

    // Customer fields, exact.
    let kim = store.room(ws, bot1).await.unwrap().customer;
    assert_eq!(ids(store, &search(Tab::Bot, SearchField::CustomerId, "ext-kim")).await, [bot1]);
    assert_eq!(ids(store, &search(Tab::Bot, SearchField::CustomerId, &kim.id.to_string())).await, [bot1]);
    assert!(ids(store, &search(Tab::Bot, SearchField::CustomerId, "ext-ki")).await.is_empty());
    assert_eq!(ids(store, &search(Tab::Received, SearchField::Name, "park")).await, [f.received]);
    assert!(ids(store, &search(Tab::Received, SearchField::Name, "Park")).await.is_empty());
    assert_eq!(ids(store, &search(Tab::Bot, SearchField::Phone, "010-song")).await, [bot2]);
    assert_eq!(ids(store, &search(Tab::Bot, SearchField::Email, "KIM@example.COM")).await, [bot1]);
    assert!(ids(store, &search(Tab::Bot, SearchField::Email, "kim@example")).await.is_empty());

    // Tags, exact elements; grade; flag.
    let waiting = store.room(ws, f.waiting).await.unwrap();
    set(store, &waiting, RoomStatus::Waiting, None, |u| u.customer_tags = Some(vec!["단골".into(), "b2b".into()]))
        .await;
    assert_eq!(ids(store, &search(Tab::Waiting, SearchField::CustomerTag, "단골")).await, [f.waiting]);
    assert!(ids(store, &search(Tab::Waiting, SearchField::CustomerTag, "단")).await.is_empty());
    let received = store.room(ws, f.received).await.unwrap();
    set(store, &received, RoomStatus::Received, Some(f.a), |u| u.tags = Some(vec!["배송".into()])).await;
    assert_eq!(ids(store, &search(Tab::Received, SearchField::RoomTag, "배송")).await, [f.received]);
    assert!(ids(store, &search(Tab::Received, SearchField::RoomTag, "배")).await.is_empty());
    let inquiry = store.room(ws, f.inquiry).await.unwrap();
    set(store, &inquiry, RoomStatus::Inquiry, Some(f.a), |u| u.customer_grade = Some(Some("VIP".into()))).await;
    let vip = RoomQuery { grade: Some("VIP".into()), ..query(ws, Tab::InProgress) };
    assert_eq!(ids(store, &vip).await, [f.inquiry]);
    let answered = store.room(ws, f.answered).await.unwrap();
    set(store, &answered, RoomStatus::Answered, Some(f.b), |u| u.state.flagged = true).await;
    assert_eq!(ids(store, &RoomQuery { flagged: true, ..query(ws, Tab::InProgress) }).await, [f.answered]);

    // Hold and alarm tabs, and the counts.
    set(store, &store.room(ws, f.received).await.unwrap(), RoomStatus::Received, Some(f.a), |u| u.state.hold = true)
        .await;
    let alarm = Some(now + TimeDelta::days(1));
    set(store, &store.room(ws, f.inquiry).await.unwrap(), RoomStatus::Inquiry, Some(f.a), |u| u.state.alarm_at = alarm)
        .await;
    assert_eq!(ids(store, &query(ws, Tab::Hold)).await, [f.received]);
    assert_eq!(ids(store, &query(ws, Tab::Alarm)).await, [f.inquiry]);
    assert!(
        ids(store, &RoomQuery { scope: Scope::Counselors { ids: vec![f.b], bot: false }, ..query(ws, Tab::Hold) })
            .await
            .is_empty()
    );
    let from = now + TimeDelta::hours(9);
    let all = store.room_counts(ws, &Scope::All, from).await.unwrap();
    assert_eq!(
        (all.bot, all.waiting, all.received, all.inquiry, all.answered, all.closed, all.hold, all.alarm),
        (3, 1, 1, 1, 1, 1, 1, 1)
    );
    let mine = store.room_counts(ws, &agent, from).await.unwrap();
    assert_eq!(
        (mine.bot, mine.waiting, mine.received, mine.inquiry, mine.answered, mine.closed, mine.hold, mine.alarm),
        (0, 1, 1, 1, 0, 1, 1, 1)
    );
    let b_counts = store.room_counts(ws, &Scope::Counselors { ids: vec![f.b], bot: true }, week_ago).await.unwrap();
    assert_eq!((b_counts.bot, b_counts.answered, b_counts.closed, b_counts.hold), (3, 1, 1, 0));
}
on_both_backends!(list_rooms_scopes_searches_and_counts, list_scopes_and_searches);
