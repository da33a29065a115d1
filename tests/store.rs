//! The store suite: every test runs on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use common::{Backend, TestDb};
use sangdam::accounts::Role;
use sangdam::agent::{ConversationState, HandoffReason};
use sangdam::channels::{ChannelKind, ChannelSecrets, ChannelSettings, HandoffAction};
use sangdam::clock::{Clock, FixedClock};
use sangdam::handoff::{
    HandoffState, HelpdeskCheck, HelpdeskIntegration, JobOutcome, NewHandoff, TicketCustomer, TicketDraft, TicketRef,
    TranscriptLine,
};
use sangdam::ids::{AccountId, CustomerId, HandoffId, MessageId, RoomId, WorkspaceId};
use sangdam::launch::{Checks, LaunchState, TransitionRecord};
use sangdam::rooms::{Author, CustomerIdentity, NewMessage, RoomStatus};
use sangdam::sms::outbox::SmsOutcome;
use sangdam::store::{
    AccountChanges, AccountRecord, ChannelUpdate, NewConversation, Notice, Provisioning, RoomSignal, Store, StoreError,
};
use sangdam::workspaces::Workspace;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

struct Seeded {
    ws: WorkspaceId,
    admin: AccountId,
}

async fn seed(store: &dyn Store, clock: &FixedClock, login: &str, seats: i64) -> Seeded {
    let now = clock.now();
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: "Brand".into(),
        seats,
        time_zone: "Asia/Seoul".into(),
        created_at: now,
    };
    let admin = account(ws.id, login, Role::Admin, None, true, now);
    let plan = Provisioning {
        workspace: ws.clone(),
        admin: admin.clone(),
        admin_token_hash: format!("hash-{login}"),
        widget_key: format!("wk_{login}"),
        channels: ChannelKind::ALL.iter().map(|k| (*k, ChannelSettings::default())).collect(),
    };
    assert!(store.provision(&plan, false).await.unwrap());
    Seeded { ws: ws.id, admin: admin.id }
}

fn account(
    ws: WorkspaceId,
    login: &str,
    role: Role,
    manager: Option<AccountId>,
    certified: bool,
    now: DateTime<Utc>,
) -> AccountRecord {
    AccountRecord {
        id: AccountId::new(),
        workspace_id: ws,
        login: login.into(),
        password_hash: "$argon2id$placeholder".into(),
        name: format!("name of {login}"),
        role,
        manager_id: manager,
        certified,
        created_at: now,
    }
}

fn conversation(ws: WorkspaceId, external_id: Option<&str>, now: DateTime<Utc>) -> NewConversation {
    NewConversation {
        workspace_id: ws,
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Webchat,
        customer: CustomerIdentity {
            name: Some("김해피".into()),
            email: Some("happy@example.com".into()),
            phone: None,
            external_id: external_id.map(str::to_owned),
        },
        status: RoomStatus::Bot,
        token_hash: Some(format!("conv-{}", uuid::Uuid::new_v4())),
        at: now,
    }
}

fn message(text: &str, client_id: Option<&str>, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        author: Author::Customer,
        author_account_id: None,
        text: text.into(),
        client_message_id: client_id.map(str::to_owned),
        created_at: now,
    }
}

async fn provisioning_creates_a_whole_workspace_once(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let ws = store.workspace(s.ws).await.unwrap();
    assert_eq!((ws.seats, ws.time_zone.as_str()), (3, "Asia/Seoul"));
    assert_eq!(ws.created_at, clock.now(), "times round-trip to the microsecond");
    let admin = store.first_admin().await.unwrap().unwrap();
    assert_eq!((admin.id, admin.role, admin.certified), (s.admin, Role::Admin, true));
    let principal = store.token("hash-admin").await.unwrap().unwrap().principal;
    assert_eq!((principal.workspace_id, principal.role), (s.ws, Role::Admin));
    let webchat = store.channel(s.ws, ChannelKind::Webchat).await.unwrap();
    assert_eq!(webchat.widget_key.as_deref(), Some("wk_admin"));
    assert_eq!(store.channel_by_widget_key("wk_admin").await.unwrap().unwrap().workspace_id, s.ws);
    assert!(store.channel(s.ws, ChannelKind::Sms).await.unwrap().widget_key.is_none());
    // A second bootstrap on a non-empty database does nothing.
    let again = Provisioning {
        workspace: Workspace {
            id: WorkspaceId::new(),
            name: "x".into(),
            seats: 1,
            time_zone: "UTC".into(),
            created_at: clock.now(),
        },
        admin: account(WorkspaceId::new(), "other", Role::Admin, None, true, clock.now()),
        admin_token_hash: "h2".into(),
        widget_key: "wk2".into(),
        channels: vec![],
    };
    assert!(!store.provision(&again, true).await.unwrap());
    assert!(store.token("h2").await.unwrap().is_none());
}
on_both_backends!(provisioning, provisioning_creates_a_whole_workspace_once);

async fn logins_are_unique_and_certification_respects_seats(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 2).await;
    let agent = account(s.ws, "agent1", Role::Agent, Some(s.admin), false, clock.now());
    store.insert_account(&agent).await.unwrap();
    let dup = account(s.ws, "agent1", Role::Agent, Some(s.admin), false, clock.now());
    assert!(matches!(store.insert_account(&dup).await, Err(StoreError::Taken("login"))));
    let (found, hash) = store.accounts_by_login("agent1", Some(s.ws)).await.unwrap().pop().unwrap();
    assert_eq!((found.id, found.certified, hash.as_str()), (agent.id, false, "$argon2id$placeholder"));
    store.insert_token("agent-token", &found, clock.now()).await.unwrap();
    assert!(store.token("agent-token").await.unwrap().is_none(), "uncertified accounts cannot use tokens");
    assert!(store.certify(s.ws, agent.id).await.unwrap().certified);
    assert!(store.certify(s.ws, agent.id).await.unwrap().certified, "certifying twice is harmless");
    assert_eq!(store.token("agent-token").await.unwrap().unwrap().principal.role, Role::Agent);
    let third = account(s.ws, "agent2", Role::Agent, Some(s.admin), false, clock.now());
    store.insert_account(&third).await.unwrap();
    assert!(matches!(store.certify(s.ws, third.id).await, Err(StoreError::SeatLimit { seats: 2 })));
    assert!(!store.uncertify(s.ws, agent.id).await.unwrap().certified);
    assert!(store.token("agent-token").await.unwrap().is_none(), "uncertifying revokes tokens");
    assert!(store.certify(s.ws, third.id).await.unwrap().certified, "the freed seat can be used");
    let changed = store
        .update_account(
            s.ws,
            third.id,
            &AccountChanges { name: Some("새 이름".into()), counselling: Some(false), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!((changed.name.as_str(), changed.counselling), ("새 이름", false));
    let deleted = store.delete_account(s.ws, third.id, clock.now()).await.unwrap();
    assert_eq!(deleted.deleted_at, Some(clock.now()));
    assert_eq!(deleted.display_name(), "새 이름 (deleted)");
    assert!(matches!(store.delete_account(s.ws, third.id, clock.now()).await, Err(StoreError::NotFound)));
    assert_eq!(store.accounts(s.ws).await.unwrap().len(), 3);
}
on_both_backends!(accounts, logins_are_unique_and_certification_respects_seats);

async fn concurrent_certification_never_exceeds_seats(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 4).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let a = account(s.ws, &format!("agent{i}"), Role::Agent, Some(s.admin), false, clock.now());
        store.insert_account(&a).await.unwrap();
        ids.push(a.id);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (store, id, ws) = (Arc::clone(&store), *id, s.ws);
            tokio::spawn(async move { store.certify(ws, id).await })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => granted += 1,
            Err(StoreError::SeatLimit { seats: 4 }) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(granted, 3, "4 seats, the admin holds one");
}
on_both_backends!(seat_race, concurrent_certification_never_exceeds_seats);

async fn workspaces_never_see_each_other(store: Arc<dyn Store>, clock: FixedClock) {
    let a = seed(store.as_ref(), &clock, "admin-a", 3).await;
    let b = seed(store.as_ref(), &clock, "admin-b", 3).await;
    let room = store.open_conversation(&conversation(a.ws, None, clock.now())).await.unwrap();
    assert!(matches!(store.account(b.ws, a.admin).await, Err(StoreError::NotFound)));
    assert!(matches!(store.room(b.ws, room.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.certify(b.ws, a.admin).await, Err(StoreError::NotFound)));
    let m = message("hello", Some("c1"), clock.now());
    assert!(matches!(store.append_message(b.ws, room.id, &m).await, Err(StoreError::NotFound)));
    assert!(store.messages_after(b.ws, room.id, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.accounts(b.ws).await.unwrap().len(), 1);
}
on_both_backends!(isolation, workspaces_never_see_each_other);

async fn messages_are_sequenced_and_idempotent(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let c = conversation(s.ws, Some("shop-42"), clock.now());
    let room = store.open_conversation(&c).await.unwrap();
    assert_eq!((room.status, room.last_seq, room.customer.name.as_deref()), (RoomStatus::Bot, 0, Some("김해피")));
    assert_eq!(store.room_by_token(c.token_hash.as_deref().unwrap()).await.unwrap(), Some((s.ws, room.id)));
    assert_eq!(store.room_by_token("unknown").await.unwrap(), None);

    let first = store
        .append_message(s.ws, room.id, &message("주문 1001 어디쯤이에요?", Some("c1"), clock.now()))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.message.seq, 1);
    clock.advance(TimeDelta::seconds(3));
    let again = store.append_message(s.ws, room.id, &message("different text", Some("c1"), clock.now())).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message, first.message, "a repeated client id returns the first message unchanged");
    let second = store.append_message(s.ws, room.id, &message("and 1002?", Some("c2"), clock.now())).await.unwrap();
    assert_eq!(second.message.seq, 2, "a duplicate does not consume a sequence number");
    let bot = NewMessage { author: Author::Bot, ..message("1001 is on its way", None, clock.now()) };
    assert_eq!(store.append_message(s.ws, room.id, &bot).await.unwrap().message.seq, 3);

    let after_one = store.messages_after(s.ws, room.id, 1, 10).await.unwrap();
    assert_eq!(after_one.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2, 3]);
    let recent = store.recent_messages(s.ws, room.id, 2).await.unwrap();
    assert_eq!(recent.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), vec!["and 1002?", "1001 is on its way"]);
    let room = store.room(s.ws, room.id).await.unwrap();
    assert_eq!(
        (room.last_seq, room.last_message_author, room.last_message_at),
        (3, Some(Author::Bot), Some(clock.now()))
    );

    // The same external id is the same customer, with details filled in.
    let mut next = conversation(s.ws, Some("shop-42"), clock.now());
    next.customer.phone = Some("+821012345678".into());
    let room2 = store.open_conversation(&next).await.unwrap();
    assert_eq!(room2.customer.id, room.customer.id);
    assert_eq!(room2.customer.phone.as_deref(), Some("+821012345678"));
    assert_eq!(room2.customer.email.as_deref(), Some("happy@example.com"));
    let stranger = store.open_conversation(&conversation(s.ws, None, clock.now())).await.unwrap();
    assert_ne!(stranger.customer.id, room.customer.id);
}
on_both_backends!(messages, messages_are_sequenced_and_idempotent);

async fn concurrent_appends_get_gap_free_sequences(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let room = store.open_conversation(&conversation(s.ws, None, clock.now())).await.unwrap();
    let now = clock.now();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = Arc::clone(&store);
            // Every message is sent twice at once: the retry must not store a second copy.
            let client = format!("c{}", i / 2);
            tokio::spawn(async move { store.append_message(s.ws, room.id, &message("hi", Some(&client), now)).await })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        if !t.await.unwrap().unwrap().duplicate {
            stored += 1;
        }
    }
    assert_eq!(stored, 20);
    let all = store.messages_after(s.ws, room.id, 0, 100).await.unwrap();
    assert_eq!(all.iter().map(|m| m.seq).collect::<Vec<_>>(), (1..=20).collect::<Vec<i64>>());
}
on_both_backends!(append_race, concurrent_appends_get_gap_free_sequences);

async fn widget_origins_are_recorded(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    assert!(store.record_widget_origin(s.ws, "https://shop.example.com", clock.now()).await.unwrap());
    let first = clock.now();
    clock.advance(TimeDelta::minutes(1));
    assert!(!store.record_widget_origin(s.ws, "https://shop.example.com", clock.now()).await.unwrap());
    store.record_widget_origin(s.ws, "http://localhost:3000", first).await.unwrap();
    let seen = store.widget_origins(s.ws).await.unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].origin, "https://shop.example.com");
    assert_eq!((seen[0].first_seen_at, seen[0].last_seen_at), (first, clock.now()));
}
on_both_backends!(origins, widget_origins_are_recorded);

async fn channel_saves_are_versioned_and_audited(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let channel = store.channel(s.ws, ChannelKind::Sms).await.unwrap();
    assert_eq!((channel.state, channel.version), (LaunchState::Draft, 0));
    let settings = ChannelSettings { phone_number: Some("+15551234567".into()), ..Default::default() };
    let secrets = ChannelSecrets { twilio_auth_token: Some("token".into()) };
    let record = TransitionRecord {
        from: LaunchState::Draft,
        to: LaunchState::Live,
        actor: Some(s.admin),
        reason: "turned on".into(),
        at: clock.now(),
    };
    let update = ChannelUpdate {
        workspace_id: s.ws,
        kind: ChannelKind::Sms,
        expected_version: 0,
        settings: &settings,
        secrets: &secrets,
        checks: &Checks::default(),
        state: LaunchState::Live,
        activated_at: Some(clock.now()),
        at: clock.now(),
        transition: Some(&record),
    };
    let saved = store.save_channel(&update).await.unwrap();
    assert_eq!((saved.version, saved.state, saved.activated_at), (1, LaunchState::Live, Some(clock.now())));
    assert_eq!(saved.secrets, secrets);
    // A save worked out from the old version loses, and records nothing.
    assert!(matches!(store.save_channel(&update).await, Err(StoreError::Conflict)));
    let history = store.launch_history(s.ws, ChannelKind::Sms, 10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from, history[0].to, history[0].actor.as_ref().map(|a| a.id)),
        (LaunchState::Draft, LaunchState::Live, Some(s.admin))
    );
    let found = store.channel_by_sms_number("+15551234567").await.unwrap().unwrap();
    assert_eq!(found.workspace_id, s.ws);
    // Another workspace cannot take the number.
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    let theirs = ChannelUpdate { workspace_id: other.ws, transition: None, ..update };
    assert!(matches!(store.save_channel(&theirs).await, Err(StoreError::Taken("phone_number"))));
    assert!(store.launch_history(other.ws, ChannelKind::Sms, 10).await.unwrap().is_empty());
}
on_both_backends!(channel_saves, channel_saves_are_versioned_and_audited);

async fn the_sms_outbox_leases_and_finishes(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let phone = "+821012345678";
    let new = NewConversation { channel: ChannelKind::Sms, token_hash: None, ..conversation(s.ws, None, clock.now()) };
    let room = store.sms_room(s.ws, phone, &new).await.unwrap();
    let again = NewConversation { room_id: RoomId::new(), ..new.clone() };
    assert_eq!(store.sms_room(s.ws, phone, &again).await.unwrap().id, room.id, "one open room per number");
    assert_eq!(room.customer.phone.as_deref(), Some(phone));

    let queued = store.enqueue_sms(s.ws, room.id, &message("배송 출발했어요", None, clock.now()), phone).await.unwrap();
    assert_eq!((queued.seq, queued.delivery_status.as_deref()), (1, Some("pending")));
    let lease = clock.now() + TimeDelta::minutes(1);
    let claimed = store.claim_sms(clock.now(), lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].message_id, claimed[0].to.as_str(), claimed[0].attempts), (queued.id, phone, 1));
    // Leased: nobody else gets it until the lease ends.
    assert!(store.claim_sms(clock.now(), lease, 10).await.unwrap().is_empty());
    clock.advance(TimeDelta::minutes(2));
    let reclaimed = store.claim_sms(clock.now(), clock.now() + TimeDelta::minutes(1), 10).await.unwrap();
    assert_eq!(reclaimed[0].attempts, 2);

    let retry = SmsOutcome::Retry { at: clock.now() + TimeDelta::seconds(30), error: "429".into() };
    store.finish_sms(queued.id, &retry, clock.now()).await.unwrap();
    assert!(store.claim_sms(clock.now(), clock.now() + TimeDelta::minutes(1), 10).await.unwrap().is_empty());
    clock.advance(TimeDelta::seconds(31));
    assert_eq!(store.claim_sms(clock.now(), clock.now() + TimeDelta::minutes(1), 10).await.unwrap().len(), 1);
    let sent = SmsOutcome::Sent { twilio_sid: "SM0001".into(), status: "queued".into() };
    store.finish_sms(queued.id, &sent, clock.now()).await.unwrap();
    assert!(store.claim_sms(clock.now() + TimeDelta::hours(1), clock.now(), 10).await.unwrap().is_empty());

    // Delivery reports: scoped to the workspace, never moving back from a final status.
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    assert_eq!(store.sms_delivery(other.ws, "SM0001", "failed", None).await.unwrap(), None);
    assert_eq!(store.sms_delivery(s.ws, "SM0001", "delivered", None).await.unwrap(), Some(queued.id));
    assert_eq!(store.sms_delivery(s.ws, "SM0001", "sent", None).await.unwrap(), None);
    let stored = store.recent_messages(s.ws, room.id, 10).await.unwrap();
    assert_eq!((stored[0].delivery_status.as_deref(), stored[0].delivery_error.as_deref()), (Some("delivered"), None));

    // Consent.
    assert_eq!(store.consent(s.ws, phone).await.unwrap(), None);
    store.set_consent(s.ws, phone, true, "keyword:STOP", clock.now()).await.unwrap();
    let consent = store.consent(s.ws, phone).await.unwrap().unwrap();
    assert_eq!((consent.opted_out, consent.source.as_str(), consent.changed_at), (true, "keyword:STOP", clock.now()));
    assert_eq!(store.consent(other.ws, phone).await.unwrap(), None);
}
on_both_backends!(sms_outbox, the_sms_outbox_leases_and_finishes);

async fn the_agent_memory_and_unanswered_rooms(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let room = store.open_conversation(&conversation(s.ws, None, clock.now())).await.unwrap();
    assert_eq!(store.agent_state(s.ws, room.id).await.unwrap(), None);
    let state =
        ConversationState { contact: Some("happy@example.com".into()), lookup_failures: 1, ..Default::default() };
    store.save_agent_state(s.ws, room.id, &state).await.unwrap();
    assert_eq!(store.agent_state(s.ws, room.id).await.unwrap(), Some(state));
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    assert!(matches!(store.agent_state(other.ws, room.id).await, Err(StoreError::NotFound)));

    // A customer's last word is unanswered until the bot speaks or a handoff is decided.
    let since = clock.now() - TimeDelta::minutes(15);
    let asked = store.append_message(s.ws, room.id, &message("안녕하세요", Some("c1"), clock.now())).await.unwrap();
    assert_eq!(store.unanswered(since, 10).await.unwrap(), [(s.ws, room.id)]);
    assert!(store.unanswered(clock.now() + TimeDelta::seconds(1), 10).await.unwrap().is_empty());
    assert_eq!(store.handoff_of(s.ws, room.id).await.unwrap(), None);
    let h = new_handoff(s.ws, room.id, asked.message.id, None, clock.now());
    assert!(store.record_handoff(&h, &[]).await.unwrap().is_empty());
    let found = store.handoff_of(s.ws, room.id).await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.reason, found.detail.as_str()),
        (h.id, HandoffReason::ExplicitRequest, "asked for a person")
    );
    assert_eq!(store.handoff_of(other.ws, room.id).await.unwrap(), None);
    assert!(store.unanswered(since, 10).await.unwrap().is_empty());
}
on_both_backends!(agent_memory, the_agent_memory_and_unanswered_rooms);

/// A ticket as the handoff module would build it.
fn ticket(id: HandoffId, room: RoomId, now: DateTime<Utc>) -> TicketDraft {
    TicketDraft {
        key: id.to_string(),
        subject: "[sangdam] webchat 김해피: 상담원 연결".into(),
        transcript_text: "[2026-11-21 09:00:00 UTC] 김해피: 상담원 연결".into(),
        transcript_html: "[2026-11-21 09:00:00 UTC] 김해피: 상담원 연결".into(),
        transcript: vec![TranscriptLine {
            at: now,
            author: "customer".into(),
            name: "김해피".into(),
            text: "상담원 연결".into(),
        }],
        customer: TicketCustomer {
            id: "c1".into(),
            name: "김해피".into(),
            email: Some("happy@example.com".into()),
            phone: None,
        },
        channel: "webchat".into(),
        reason: "explicit_request".into(),
        detail: "asked for a person".into(),
        trace: serde_json::json!({"intent": "human_handoff", "confidence": 0.9}),
        tags: vec!["ai_handoff".into(), "explicit_request".into()],
        room_id: room.to_string(),
        locale: "ko".into(),
        test: false,
        created_at: now,
    }
}

/// A handoff decision: a `zendesk` ticket when `helpdesk` says so, the counselor queue otherwise.
fn new_handoff(
    ws: WorkspaceId,
    room: RoomId,
    trigger: MessageId,
    helpdesk: Option<&str>,
    now: DateTime<Utc>,
) -> NewHandoff {
    let id = HandoffId::new();
    NewHandoff {
        id,
        workspace_id: ws,
        room_id: room,
        message_id: trigger,
        reason: HandoffReason::ExplicitRequest,
        detail: "asked for a person".into(),
        trace: serde_json::json!({"skill": "human_handoff"}),
        action: if helpdesk.is_some() { HandoffAction::Helpdesk } else { HandoffAction::Queue },
        notify: helpdesk.is_some(),
        ticket: helpdesk.map(|name| (name.to_owned(), ticket(id, room, now))),
        at: now,
    }
}

fn notice(text: &str, sms_to: Option<&str>, now: DateTime<Utc>) -> Notice {
    Notice {
        message: NewMessage { author: Author::Bot, ..message(text, None, now) },
        sms_to: sms_to.map(str::to_owned),
    }
}

/// A room with one customer message; returns the room and that message.
async fn asking_room(store: &dyn Store, ws: WorkspaceId, now: DateTime<Utc>) -> (RoomId, MessageId) {
    let room = store.open_conversation(&conversation(ws, None, now)).await.unwrap();
    let asked = store.append_message(ws, room.id, &message("사람이랑 얘기할래요", None, now)).await.unwrap();
    (room.id, asked.message.id)
}

async fn a_handoff_is_recorded_with_its_job_and_notices(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    let (room, asked) = asking_room(store.as_ref(), s.ws, clock.now()).await;
    let h = new_handoff(s.ws, room, asked, Some("zendesk"), clock.now());
    let notices = [
        notice("상담원에게 전달했어요", None, clock.now()),
        notice("상담원에게 전달했어요 (SMS)", Some("+821012345678"), clock.now()),
    ];

    // Another workspace's room is not there, and nothing of the attempt is left behind.
    let foreign = NewHandoff { workspace_id: other.ws, ..h.clone() };
    assert!(matches!(store.record_handoff(&foreign, &notices).await, Err(StoreError::NotFound)));
    assert_eq!(store.room(s.ws, room).await.unwrap().last_seq, 1);
    assert_eq!(store.pending_handoffs().await.unwrap(), 0);

    let signals = store.room_signals().await.unwrap();
    let stored = store.record_handoff(&h, &notices).await.unwrap();
    assert_eq!(stored.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3]);
    // Other engine processes sharing the database hear of both notices.
    if let Some(mut signals) = signals {
        for seq in [2, 3] {
            let signal = tokio::time::timeout(std::time::Duration::from_secs(5), signals.recv()).await.unwrap();
            assert_eq!(signal, Some(RoomSignal { workspace_id: s.ws, room_id: room, seq }));
        }
    }
    assert_eq!((stored[0].author, stored[0].delivery_status.as_deref()), (Author::Bot, None));
    assert_eq!(stored[1].delivery_status.as_deref(), Some("pending"));
    let history = store.messages_after(s.ws, room, 1, 10).await.unwrap();
    assert_eq!(history, stored, "the notices are the room's next messages, as returned");
    let texts = store.claim_sms(clock.now(), clock.now() + TimeDelta::minutes(1), 10).await.unwrap();
    assert_eq!(texts.len(), 1, "the SMS notice is queued in the outbox");
    assert_eq!((texts[0].message_id, texts[0].to.as_str()), (stored[1].id, "+821012345678"));

    let after = store.room(s.ws, room).await.unwrap();
    assert_eq!((after.status, after.last_seq, after.ticket.clone()), (RoomStatus::Bot, 3, None));
    let recorded = store.handoff(s.ws, h.id).await.unwrap();
    assert_eq!(
        (recorded.action, recorded.helpdesk.as_deref(), recorded.state, recorded.attempts),
        (HandoffAction::Helpdesk, Some("zendesk"), HandoffState::Pending, 0)
    );
    assert_eq!((recorded.room_id, recorded.message_id, recorded.reason), (room, asked, HandoffReason::ExplicitRequest));
    assert_eq!((recorded.next_attempt_at, recorded.created_at), (Some(clock.now()), clock.now()));
    assert_eq!((recorded.ticket, recorded.delivered_at, recorded.last_error), (None, None, None));
    assert_eq!(store.handoff_of(s.ws, room).await.unwrap(), Some(store.handoff(s.ws, h.id).await.unwrap()));
    assert_eq!(store.pending_handoffs().await.unwrap(), 1);

    // Other workspaces see none of it.
    assert!(matches!(store.handoff(other.ws, h.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.handoff_of(other.ws, room).await.unwrap(), None);
    assert!(store.handoffs(other.ws, None, None, 10).await.unwrap().is_empty());

    // The counselor queue takes the room; no ticket job.
    let (queued_room, asked) = asking_room(store.as_ref(), s.ws, clock.now()).await;
    let q = new_handoff(s.ws, queued_room, asked, None, clock.now());
    let stored = store.record_handoff(&q, &[notice("곧 상담원이 답해요", None, clock.now())]).await.unwrap();
    assert_eq!(stored[0].seq, 2);
    assert_eq!(store.room(s.ws, queued_room).await.unwrap().status, RoomStatus::Waiting);
    let recorded = store.handoff(s.ws, q.id).await.unwrap();
    assert_eq!(
        (recorded.action, recorded.state, recorded.next_attempt_at),
        (HandoffAction::Queue, HandoffState::Queued, None)
    );
    assert_eq!(store.pending_handoffs().await.unwrap(), 1, "only ticket jobs are pending");
    let again = NewHandoff { id: HandoffId::new(), action: HandoffAction::Static, ..q.clone() };
    store.record_handoff(&again, &[]).await.unwrap();
    assert_eq!(store.handoff_of(s.ws, queued_room).await.unwrap().map(|h| h.id), Some(again.id), "the latest");

    // A room a counselor already took keeps its status.
    let taken = conversation(s.ws, None, clock.now());
    let taken = store.open_conversation(&NewConversation { status: RoomStatus::Received, ..taken }).await.unwrap();
    let late = new_handoff(s.ws, taken.id, asked, None, clock.now());
    store.record_handoff(&late, &[]).await.unwrap();
    assert_eq!(store.room(s.ws, taken.id).await.unwrap().status, RoomStatus::Received);
}
on_both_backends!(handoff_record, a_handoff_is_recorded_with_its_job_and_notices);

async fn the_ticket_outbox_leases_retries_and_delivers(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let (room, asked) = asking_room(store.as_ref(), s.ws, clock.now()).await;
    let h = new_handoff(s.ws, room, asked, Some("zendesk"), clock.now());
    store.record_handoff(&h, &[]).await.unwrap();
    let lease = |now: DateTime<Utc>| now + TimeDelta::minutes(1);

    let jobs = store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!((job.id, job.workspace_id, job.room_id, job.helpdesk.as_str()), (h.id, s.ws, room, "zendesk"));
    assert_eq!((job.attempts, job.uncertain, job.created_at), (1, false, clock.now()));
    assert!(job.notify, "the job knows the handoff message waits for it");
    assert_eq!(Some(&job.draft), h.ticket.as_ref().map(|(_, draft)| draft), "the ticket round-trips");
    // Leased: nobody else gets it until the lease ends.
    assert!(store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap().is_empty());
    clock.advance(TimeDelta::minutes(2));
    let jobs = store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.attempts).collect::<Vec<_>>(), [2], "an expired lease frees the job");

    // A retry is due at its time, not before; its uncertainty is remembered from then on.
    let due = clock.now() + TimeDelta::seconds(30);
    let timeout = JobOutcome::Retry { at: due, error: "timed out".into(), uncertain: true };
    assert!(store.finish_handoff(h.id, &timeout, clock.now(), &[]).await.unwrap().is_empty());
    let waiting = store.handoff(s.ws, h.id).await.unwrap();
    assert_eq!(
        (waiting.state, waiting.next_attempt_at, waiting.last_error.as_deref()),
        (HandoffState::Pending, Some(due), Some("timed out"))
    );
    assert!(store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap().is_empty());
    clock.advance(TimeDelta::seconds(30));
    let jobs = store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap();
    assert_eq!((jobs[0].attempts, jobs[0].uncertain), (3, true));
    let refused = JobOutcome::Retry { at: clock.now(), error: "503".into(), uncertain: false };
    store.finish_handoff(h.id, &refused, clock.now(), &[]).await.unwrap();
    let jobs = store.claim_handoffs(clock.now(), lease(clock.now()), 10).await.unwrap();
    assert!(jobs[0].uncertain, "an earlier attempt may still have created the ticket");

    let delivered = JobOutcome::Delivered {
        ticket_id: "4711".into(),
        ticket_url: Some("https://brand.zendesk.com/agent/tickets/4711".into()),
    };
    // The handoff message that waited for the ticket is written with the outcome.
    let before = store.room(s.ws, room).await.unwrap().last_seq;
    let told =
        store.finish_handoff(h.id, &delivered, clock.now(), &[notice("접수 번호 4711", None, clock.now())]).await;
    assert_eq!(told.unwrap().iter().map(|m| m.seq).collect::<Vec<_>>(), [before + 1]);
    let expected = TicketRef {
        helpdesk: "zendesk".into(),
        id: "4711".into(),
        url: Some("https://brand.zendesk.com/agent/tickets/4711".into()),
    };
    let done = store.handoff(s.ws, h.id).await.unwrap();
    assert_eq!(
        (done.state, done.ticket.as_ref(), done.delivered_at),
        (HandoffState::Delivered, Some(&expected), Some(clock.now()))
    );
    assert_eq!((done.last_error.as_deref(), done.next_attempt_at, done.attempts), (None, None, 4));
    assert_eq!(store.room(s.ws, room).await.unwrap().ticket, Some(expected));
    // A late outcome for a job no longer pending changes nothing.
    let (late, notices) = (JobOutcome::Dead { error: "late".into() }, [notice("x", None, clock.now())]);
    let written = store.finish_handoff(h.id, &late, clock.now(), &notices).await.unwrap();
    assert!(written.is_empty(), "no second message for a finished job");
    assert_eq!(store.room(s.ws, room).await.unwrap().last_seq, before + 1);
    let other_ticket = JobOutcome::Delivered { ticket_id: "9999".into(), ticket_url: None };
    store.finish_handoff(h.id, &other_ticket, clock.now() + TimeDelta::hours(1), &[]).await.unwrap();
    assert_eq!(store.handoff(s.ws, h.id).await.unwrap(), done);
    assert_eq!(store.room(s.ws, room).await.unwrap().ticket.map(|t| t.id), Some("4711".into()));
    assert!(store.claim_handoffs(clock.now() + TimeDelta::hours(1), clock.now(), 10).await.unwrap().is_empty());
    assert_eq!(store.pending_handoffs().await.unwrap(), 0);
    assert!(matches!(store.retry_handoff(s.ws, h.id, clock.now()).await, Err(StoreError::Conflict)));
}
on_both_backends!(ticket_outbox, the_ticket_outbox_leases_retries_and_delivers);

async fn dead_letters_can_be_retried(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    let (room, asked) = asking_room(store.as_ref(), s.ws, clock.now()).await;
    let h = new_handoff(s.ws, room, asked, Some("zendesk"), clock.now());
    store.record_handoff(&h, &[]).await.unwrap();
    let lease = clock.now() + TimeDelta::minutes(1);
    store.claim_handoffs(clock.now(), lease, 10).await.unwrap();
    let timeout = JobOutcome::Retry { at: clock.now(), error: "timed out".into(), uncertain: true };
    assert!(store.finish_handoff(h.id, &timeout, clock.now(), &[]).await.unwrap().is_empty());
    store.claim_handoffs(clock.now(), lease, 10).await.unwrap();
    assert!(matches!(store.retry_handoff(s.ws, h.id, clock.now()).await, Err(StoreError::Conflict)), "still pending");
    let refused = JobOutcome::Dead { error: "422 invalid requester".into() };
    store.finish_handoff(h.id, &refused, clock.now(), &[]).await.unwrap();
    let dead = store.handoff(s.ws, h.id).await.unwrap();
    assert_eq!(
        (dead.state, dead.attempts, dead.last_error.as_deref()),
        (HandoffState::Dead, 2, Some("422 invalid requester"))
    );
    assert_eq!(store.pending_handoffs().await.unwrap(), 0);
    assert!(store.claim_handoffs(clock.now() + TimeDelta::hours(1), lease, 10).await.unwrap().is_empty());

    assert!(matches!(store.retry_handoff(other.ws, h.id, clock.now()).await, Err(StoreError::NotFound)));
    assert!(matches!(store.retry_handoff(s.ws, HandoffId::new(), clock.now()).await, Err(StoreError::NotFound)));
    clock.advance(TimeDelta::hours(1));
    let retried = store.retry_handoff(s.ws, h.id, clock.now()).await.unwrap();
    assert_eq!(
        (retried.state, retried.attempts, retried.next_attempt_at),
        (HandoffState::Pending, 0, Some(clock.now()))
    );
    assert_eq!(retried, store.handoff(s.ws, h.id).await.unwrap());
    assert!(matches!(store.retry_handoff(s.ws, h.id, clock.now()).await, Err(StoreError::Conflict)));
    assert_eq!(store.pending_handoffs().await.unwrap(), 1);
    assert!(store.claim_handoffs(clock.now() - TimeDelta::seconds(1), lease, 10).await.unwrap().is_empty());
    let jobs = store.claim_handoffs(clock.now(), clock.now() + TimeDelta::minutes(1), 10).await.unwrap();
    assert_eq!((jobs[0].attempts, jobs[0].uncertain), (1, true), "a retried dead letter looks before creating");
}
on_both_backends!(dead_letters, dead_letters_can_be_retried);

async fn handoffs_are_listed_newest_first_and_paged(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let (room, asked) = asking_room(store.as_ref(), s.ws, clock.now()).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let helpdesk = (i % 2 == 0).then_some("zendesk");
        let h = new_handoff(s.ws, room, asked, helpdesk, clock.now());
        store.record_handoff(&h, &[]).await.unwrap();
        ids.push(h.id);
    }
    ids.reverse();
    let ws = s.ws;
    let page = |state, before, limit| {
        let store = Arc::clone(&store);
        async move { store.handoffs(ws, state, before, limit).await.unwrap().into_iter().map(|h| h.id).collect::<Vec<_>>() }
    };
    assert_eq!(page(None, None, 10).await, ids, "newest first, even within one instant");
    assert_eq!(page(None, None, 2).await, ids[..2]);
    assert_eq!(page(None, Some(ids[1]), 2).await, ids[2..4]);
    assert!(page(None, Some(ids[4]), 2).await.is_empty());
    assert_eq!(page(Some(HandoffState::Pending), None, 10).await, [ids[0], ids[2], ids[4]]);
    assert_eq!(page(Some(HandoffState::Pending), Some(ids[0]), 1).await, [ids[2]]);
    assert_eq!(page(Some(HandoffState::Queued), None, 10).await, [ids[1], ids[3]]);
    assert!(page(Some(HandoffState::Dead), None, 10).await.is_empty());
    assert!(page(None, Some(HandoffId::new()), 10).await.is_empty(), "an unknown cursor pages to nothing");
    assert_eq!(store.pending_handoffs().await.unwrap(), 3);
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    assert!(store.handoffs(other.ws, None, Some(ids[0]), 10).await.unwrap().is_empty());
}
on_both_backends!(handoff_listing, handoffs_are_listed_newest_first_and_paged);

async fn helpdesk_integrations_round_trip(store: Arc<dyn Store>, clock: FixedClock) {
    let s = seed(store.as_ref(), &clock, "admin", 3).await;
    let other = seed(store.as_ref(), &clock, "other", 3).await;
    let zendesk = HelpdeskIntegration {
        workspace_id: s.ws,
        name: "zendesk".into(),
        config: [("base_url".into(), "https://brand.zendesk.com".into()), ("email".into(), "ops@brand.com".into())]
            .into(),
        secrets: [("api_token".into(), "zd-secret".into())].into(),
        max_attempts: 8,
        check: None,
        updated_at: clock.now(),
    };
    let freshdesk = HelpdeskIntegration {
        name: "freshdesk".into(),
        config: [("base_url".into(), "https://brand.freshdesk.com".into())].into(),
        secrets: [("api_key".into(), "fd-secret".into())].into(),
        max_attempts: 5,
        check: Some(HelpdeskCheck {
            checked_at: clock.now(),
            fingerprint: "sha256:abc".into(),
            verified: false,
            reason: Some("bad_credentials".into()),
            detail: "Freshdesk refused the API key".into(),
            last_error: None,
        }),
        ..zendesk.clone()
    };
    assert!(matches!(store.helpdesk(s.ws, "zendesk").await, Err(StoreError::NotFound)));
    store.save_helpdesk(&zendesk).await.unwrap();
    store.save_helpdesk(&freshdesk).await.unwrap();
    assert_eq!(store.helpdesks(s.ws).await.unwrap(), [freshdesk.clone(), zendesk.clone()], "by name");
    assert_eq!(store.helpdesk(s.ws, "freshdesk").await.unwrap(), freshdesk);

    clock.advance(TimeDelta::minutes(5));
    let checked = HelpdeskIntegration {
        secrets: [("api_token".into(), "rotated".into())].into(),
        check: Some(HelpdeskCheck {
            checked_at: clock.now(),
            fingerprint: "sha256:def".into(),
            verified: true,
            reason: None,
            detail: "Zendesk accepted the token".into(),
            last_error: Some("timed out".into()),
        }),
        updated_at: clock.now(),
        ..zendesk.clone()
    };
    store.save_helpdesk(&checked).await.unwrap();
    assert_eq!(store.helpdesk(s.ws, "zendesk").await.unwrap(), checked, "saving again replaces");
    assert_eq!(store.helpdesks(s.ws).await.unwrap().len(), 2);

    assert!(store.helpdesks(other.ws).await.unwrap().is_empty());
    assert!(matches!(store.helpdesk(other.ws, "zendesk").await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_helpdesk(other.ws, "zendesk").await, Err(StoreError::NotFound)));
    store.delete_helpdesk(s.ws, "zendesk").await.unwrap();
    assert!(matches!(store.delete_helpdesk(s.ws, "zendesk").await, Err(StoreError::NotFound)));
    assert_eq!(store.helpdesks(s.ws).await.unwrap(), [freshdesk]);
}
on_both_backends!(helpdesks, helpdesk_integrations_round_trip);

/// Two engine processes (two stores on one database) claim from one outbox at once: every job
/// goes to exactly one of them.
async fn concurrent_claimers_take_disjoint_jobs(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let (a, b) = (db.store().await, db.store().await);
    let clock = FixedClock::new(at("2026-11-21T09:00:00Z"));
    let s = seed(a.as_ref(), &clock, "admin", 3).await;
    let (room, asked) = asking_room(a.as_ref(), s.ws, clock.now()).await;
    let mut all = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let h = new_handoff(s.ws, room, asked, Some("zendesk"), clock.now());
        a.record_handoff(&h, &[]).await.unwrap();
        all.insert(h.id);
    }
    let now = clock.now();
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let claimer = |store: Arc<dyn Store>| {
        let start = Arc::clone(&start);
        tokio::spawn(async move {
            start.wait().await;
            let mut got = Vec::new();
            loop {
                let jobs = store.claim_handoffs(now, now + TimeDelta::minutes(5), 7).await.unwrap();
                if jobs.is_empty() {
                    return got;
                }
                got.extend(jobs.into_iter().map(|j| j.id));
            }
        })
    };
    let (ta, tb) = (claimer(Arc::clone(&a)), claimer(Arc::clone(&b)));
    let (got_a, got_b) = (ta.await.unwrap(), tb.await.unwrap());
    assert!(!got_a.is_empty() && !got_b.is_empty(), "both claimers worked: {} and {}", got_a.len(), got_b.len());
    let mut claimed = std::collections::BTreeSet::new();
    for id in got_a.iter().chain(&got_b) {
        assert!(claimed.insert(*id), "{id} was claimed twice");
    }
    assert_eq!(claimed, all, "every job was claimed");
    a.close().await;
    b.close().await;
    db.drop_db().await;
}

mod claim_race {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        concurrent_claimers_take_disjoint_jobs(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        concurrent_claimers_take_disjoint_jobs(Backend::Postgres).await;
    }
}
