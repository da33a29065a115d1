//! The counselor room queue over HTTP, as counselors and customers see it: who sees which room,
//! receiving, replying, closing, holding, alarms, transfers, wrap-up, search, distribution and
//! the queue's settings, on SQLite and PostgreSQL.

mod common;

use common::rooms::{act, counselor, hand_off, queue_live, tab};
use common::{Backend, SseReader, TestApp};
use serde_json::{Value, json};

/// The room as `token` sees it.
async fn room(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    app.call("GET", &format!("/v1/rooms/{id}"), Some(token), None).await
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn role_scoping_and_workspace_boundaries(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (m1, m1_token) = counselor(&app, "manager.one", "박매니저", "manager", None).await;
    let (_, a1_token) = counselor(&app, "agent.one", "김상담", "agent", Some(&m1)).await;
    let (m2, m2_token) = counselor(&app, "manager.two", "이매니저", "manager", None).await;
    let (_, a2_token) = counselor(&app, "agent.two", "최상담", "agent", Some(&m2)).await;

    let (r1, _) = hand_off(&app, json!({"name": "고객1"})).await;
    let (r2, _) = hand_off(&app, json!({"name": "고객2"})).await;
    let (r3, _) = hand_off(&app, json!({"name": "고객3"})).await;
    let (with_bot, _) = app.open_conversation(json!({"name": "봇고객"})).await;

    // Manual distribution (the default): everyone sees every new room waiting.
    for token in [&admin, &m1_token, &a1_token, &a2_token] {
        let mut waiting = tab(&app, token, "status=waiting").await;
        waiting.sort();
        let mut all = ids(&[&r1, &r2, &r3]);
        all.sort();
        assert_eq!(waiting, all);
    }
    assert_eq!(act(&app, &a1_token, &r1, "receive", None).await.0, 200);
    assert_eq!(act(&app, &a2_token, &r2, "receive", None).await.0, 200);

    // After receiving, only the counselor (their manager, the admin) sees the room.
    assert_eq!(tab(&app, &a1_token, "status=received").await, ids(&[&r1]));
    assert_eq!(tab(&app, &a2_token, "status=received").await, ids(&[&r2]));
    assert_eq!(tab(&app, &m1_token, "status=received").await, ids(&[&r1]));
    assert_eq!(tab(&app, &m2_token, "status=received").await, ids(&[&r2]));
    assert_eq!(tab(&app, &admin, "status=received").await.len(), 2);
    assert_eq!(tab(&app, &a1_token, "status=waiting").await, ids(&[&r3]));
    for (token, hidden) in [(&a1_token, &r2), (&a2_token, &r1), (&m1_token, &r2), (&m2_token, &r1)] {
        let (status, body) = room(&app, token, hidden).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{body}");
        let (status, _) = act(&app, token, hidden, "close", None).await;
        assert_eq!(status, 404, "acting on a hidden room is 404 too");
    }
    let (status, detail) = room(&app, &m1_token, &r1).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["assignee"]["name"], "김상담");

    // Rooms still with the agent: managers and the admin see them, agents do not.
    assert_eq!(tab(&app, &m1_token, "status=bot").await, ids(&[&with_bot]));
    assert!(tab(&app, &a1_token, "status=bot").await.is_empty());
    assert_eq!(room(&app, &a1_token, &with_bot).await.0, 404);

    // Another workspace sees nothing of this one.
    let other = app.second_workspace("admin-other", 3).await;
    let other_token = other.admin_token.expose().to_owned();
    assert_eq!(room(&app, &other_token, &r1).await.0, 404);
    assert_eq!(act(&app, &other_token, &r3, "receive", None).await.0, 404);
    assert!(tab(&app, &other_token, "status=waiting").await.is_empty());

    // Counts follow the same scope.
    let (_, counts) = app.call("GET", "/v1/rooms/counts", Some(&a1_token), None).await;
    assert_eq!((counts["waiting"].as_i64(), counts["received"].as_i64()), (Some(1), Some(1)), "{counts}");
    let (_, counts) = app.call("GET", "/v1/rooms/counts", Some(&admin), None).await;
    assert_eq!((counts["received"].as_i64(), counts["bot"].as_i64()), (Some(2), Some(1)), "{counts}");
    app.stop().await;
}

on_each_backend!(role_scoping_and_workspace_boundaries);

async fn one_of_two_receives_wins(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    queue_live(&app).await;
    let (_, a) = counselor(&app, "agent.a", "가상담", "agent", None).await;
    let (_, b) = counselor(&app, "agent.b", "나상담", "agent", None).await;
    for n in 0..3 {
        let (id, _) = hand_off(&app, json!({"name": format!("고객{n}")})).await;
        let ((sa, ba), (sb, bb)) =
            tokio::join!(act(&app, &a, &id, "receive", None), act(&app, &b, &id, "receive", None));
        let mut statuses = [sa, sb];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{ba} {bb}");
        let loser = if sa == 409 { &ba } else { &bb };
        assert_eq!(loser["error"], "not_waiting", "{loser}");
        let (_, detail) = room(&app, &app.admin_token, &id).await;
        assert_eq!(detail["status"], "received");
        assert_eq!(detail["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "received").count(), 1);
    }
    app.stop().await;
}

on_each_backend!(one_of_two_receives_wins);

async fn replies_reach_the_customer_and_rooms_close(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (m, m_token) = counselor(&app, "manager.m", "박매니저", "manager", None).await;
    let (_, a) = counselor(&app, "agent.k", "김상담", "agent", Some(&m)).await;

    let (id, customer) = hand_off(&app, json!({"name": "김해피"})).await;
    let events = app.http.get(app.url(&format!("/v1/webchat/conversations/{id}/events"))).bearer_auth(&customer);
    let mut stream = SseReader::new(events.send().await.unwrap());
    // Waiting rooms must be received before anyone replies.
    let (status, body) = act(&app, &a, &id, "messages", Some(json!({"text": "안녕하세요"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_received")), "{body}");
    assert_eq!(act(&app, &a, &id, "receive", None).await.0, 200);
    let (status, sent) =
        act(&app, &a, &id, "messages", Some(json!({"text": " 상담원 김상담입니다. ", "client_message_id": "r-1"})))
            .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["text"], "상담원 김상담입니다.");
    let again = json!({"text": "상담원 김상담입니다.", "client_message_id": "r-1"});
    let (status, body) = act(&app, &a, &id, "messages", Some(again)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("duplicate_message")), "the first reply stands: {body}");
    loop {
        let message: Value = serde_json::from_str(&stream.next(10).await.data).unwrap();
        if message["author"] == "counselor" {
            assert_eq!(message["text"], "상담원 김상담입니다.");
            break;
        }
    }
    assert!(app.history(&id, &customer).await.iter().any(|m| m["author"] == "counselor"));
    let (_, detail) = room(&app, &a, &id).await;
    assert_eq!(detail["status"], "answered");
    assert_eq!(detail["last_message"]["author"], "counselor");
    let line = detail["messages"].as_array().unwrap().iter().find(|m| m["author"] == "counselor").unwrap().clone();
    assert_eq!(line["counselor"]["name"], "김상담", "{line}");

    // The customer writes again: inquiry; the counselor answers: answered.
    assert_eq!(app.post_message(&id, &customer, "언제 와요?", "c-2").await.0, 202);
    assert_eq!(room(&app, &a, &id).await.1["status"], "inquiry");
    assert_eq!(act(&app, &a, &id, "messages", Some(json!({"text": "내일 도착해요"}))).await.0, 201);
    assert_eq!(room(&app, &a, &id).await.1["status"], "answered");
    let (status, body) = act(&app, &a, &id, "messages", Some(json!({"text": "   "}))).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid_body")), "{body}");

    // Wrap-up needs a closed room; the counselor's own close counts as processed.
    let (status, body) = act(&app, &a, &id, "wrap-up", Some(json!({"category": "배송"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_closed")), "{body}");
    let (status, closed) = act(&app, &a, &id, "close", None).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!((closed["status"].as_str(), closed["close_type"].as_str()), (Some("closed"), Some("counselor")));
    assert_eq!(closed["processed"], true);
    assert_eq!(act(&app, &a, &id, "close", None).await.0, 409);
    let (status, body) = act(&app, &a, &id, "messages", Some(json!({"text": "하나 더"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("room_closed")), "{body}");
    let (status, wrapped) =
        act(&app, &a, &id, "wrap-up", Some(json!({"category": "배송 문의", "note": "내일 도착 안내"}))).await;
    assert_eq!(status, 200, "{wrapped}");
    assert_eq!(wrapped["wrap_up"]["category"], "배송 문의");
    assert!(tab(&app, &a, "status=closed").await.contains(&id), "today's closes are listed");

    // A manager closing their agent's room: close type manager.
    let (id2, _) = hand_off(&app, json!({"name": "이해피"})).await;
    assert_eq!(act(&app, &a, &id2, "receive", None).await.0, 200);
    let (status, closed) = act(&app, &m_token, &id2, "close", None).await;
    assert_eq!((status, closed["close_type"].as_str()), (200, Some("manager")), "{closed}");

    // The customer closes from the widget: close type customer, not processed until wrapped up.
    let (id3, token3) = hand_off(&app, json!({"name": "박해피"})).await;
    let close = |token: String| {
        let req = app.http.post(app.url(&format!("/v1/webchat/conversations/{id3}/close"))).bearer_auth(token);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(close("sdc_wrong".into()).await.status(), 401);
    let res = close(token3.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "closed");
    assert_eq!(close(token3).await.status(), 200, "closing again changes nothing");
    let (_, detail) = room(&app, &admin, &id3).await;
    assert_eq!((detail["close_type"].as_str(), detail["processed"].as_bool()), (Some("customer"), Some(false)));
    let (status, wrapped) = act(&app, &admin, &id3, "wrap-up", Some(json!({"category": "기타"}))).await;
    assert_eq!((status, wrapped["processed"].as_bool()), (200, Some(true)), "{wrapped}");
    let kinds: Vec<_> = detail["history"].as_array().unwrap().iter().map(|e| e["kind"].clone()).collect();
    assert!(kinds.contains(&json!("closed")), "{kinds:?}");
    let (_, counts) = app.call("GET", "/v1/rooms/counts", Some(&admin), None).await;
    assert_eq!(counts["closed"].as_i64(), Some(3), "{counts}");
    app.stop().await;
}

on_each_backend!(replies_reach_the_customer_and_rooms_close);

async fn holds_alarms_and_notes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    queue_live(&app).await;
    let (_, a) = counselor(&app, "agent.h", "김상담", "agent", None).await;
    let (id, _) = hand_off(&app, json!({"name": "김해피"})).await;
    // An agent works a room only after receiving it.
    let (status, body) = act(&app, &a, &id, "hold", None).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_received")), "{body}");
    assert_eq!(act(&app, &a, &id, "receive", None).await.0, 200);

    let (status, held) = act(&app, &a, &id, "hold", None).await;
    assert_eq!((status, held["hold"].as_bool()), (200, Some(true)), "{held}");
    let (_, counts) = app.call("GET", "/v1/rooms/counts", Some(&a), None).await;
    assert_eq!((counts["received"].as_i64(), counts["hold"].as_i64()), (Some(1), Some(1)), "held rooms count twice");
    assert_eq!(tab(&app, &a, "status=hold").await, ids(&[&id]));
    let (status, released) = act(&app, &a, &id, "unhold", None).await;
    assert_eq!((status, released["hold"].as_bool()), (200, Some(false)));

    let past = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let (status, body) = act(&app, &a, &id, "alarm", Some(json!({"at": past}))).await;
    assert_eq!((status, body["error"].as_str()), (422, Some("invalid_body")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("future"), "{body}");
    for bad in [json!({"at": "tomorrow"}), json!({}), json!({"at": null, "when": 1})] {
        let (status, body) = act(&app, &a, &id, "alarm", Some(bad.clone())).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {body}");
    }
    let soon = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let (status, set) = act(&app, &a, &id, "alarm", Some(json!({"at": soon}))).await;
    assert_eq!(status, 200, "{set}");
    assert!(set["alarm_at"].is_string());
    assert_eq!(tab(&app, &a, "status=alarm").await, ids(&[&id]));
    let (_, cleared) = act(&app, &a, &id, "alarm", Some(json!({"at": null}))).await;
    assert_eq!(cleared["alarm_at"], Value::Null);

    // Tags, flag and the customer's grade and tags.
    let patch = json!({"tags": ["배송", " 배송 ", "긴급"], "flagged": true, "customer_grade": "VIP", "customer_tags": ["단골"]});
    let (status, edited) = app.call("PATCH", &format!("/v1/rooms/{id}"), Some(&a), Some(patch)).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["tags"], json!(["배송", "긴급"]));
    assert_eq!(edited["customer"]["grade"], "VIP");
    assert_eq!(tab(&app, &a, "status=received&flag=true").await, ids(&[&id]));
    assert_eq!(tab(&app, &a, "status=received&grade=VIP").await, ids(&[&id]));
    assert!(tab(&app, &a, "status=received&grade=Gold").await.is_empty());
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    for bad in [json!({"tags": many}), json!({"tags": [""]}), json!({"colour": "red"}), json!({})] {
        let (status, body) = app.call("PATCH", &format!("/v1/rooms/{id}"), Some(&a), Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (_, cleared) =
        app.call("PATCH", &format!("/v1/rooms/{id}"), Some(&a), Some(json!({"customer_grade": null}))).await;
    assert_eq!(cleared["customer"]["grade"], Value::Null);
    let (_, detail) = room(&app, &a, &id).await;
    let kinds: Vec<_> =
        detail["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    for kind in ["received", "held", "unheld", "alarm_set", "edited"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }

    // Closed rooms are no longer held or reminded about.
    act(&app, &a, &id, "hold", None).await;
    assert_eq!(act(&app, &a, &id, "close", None).await.0, 200);
    let (status, body) = act(&app, &a, &id, "hold", None).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("room_closed")));
    app.stop().await;
}

on_each_backend!(holds_alarms_and_notes);

/// The ids of the accounts `token` may give rooms to.
async fn transfer_targets(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = app.call("GET", "/v1/rooms/transfer-targets", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

async fn transfers_follow_the_groups(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (m1, m1_token) = counselor(&app, "manager.one", "박매니저", "manager", None).await;
    let (a1, a1_token) = counselor(&app, "agent.one", "김상담", "agent", Some(&m1)).await;
    let (a1b, a1b_token) = counselor(&app, "agent.onebis", "정상담", "agent", Some(&m1)).await;
    let (m2, _) = counselor(&app, "manager.two", "이매니저", "manager", None).await;
    let (a2, a2_token) = counselor(&app, "agent.two", "최상담", "agent", Some(&m2)).await;

    // Whom each may give rooms to: an agent their manager and colleagues, a manager anyone.
    let mut of_agent = transfer_targets(&app, &a1_token).await;
    of_agent.sort();
    let mut group = ids(&[&m1, &a1b]);
    group.sort();
    assert_eq!(of_agent, group, "an agent's targets are their manager and colleagues");
    let of_manager = transfer_targets(&app, &m1_token).await;
    for id in [&a1, &a1b, &m2, &a2] {
        assert!(of_manager.contains(id), "a manager may give rooms across groups");
    }
    assert!(!of_manager.contains(&m1), "never oneself");
    assert_eq!(transfer_targets(&app, &admin).await.len(), 5);

    let (id, _) = hand_off(&app, json!({"name": "김해피"})).await;
    assert_eq!(act(&app, &a1_token, &id, "receive", None).await.0, 200);
    // Within the group: to a colleague, then to the group's manager.
    let (status, moved) = act(&app, &a1_token, &id, "transfer", Some(json!({"to": a1b}))).await;
    assert_eq!((status, moved["assignee_id"].as_str()), (200, Some(a1b.as_str())), "{moved}");
    assert_eq!(room(&app, &a1_token, &id).await.0, 404, "the room left the first agent");
    let (status, body) = act(&app, &a1b_token, &id, "transfer", Some(json!({"to": a2}))).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("across groups only the group's manager"), "{body}");
    assert_eq!(act(&app, &a1b_token, &id, "transfer", Some(json!({"to": m1}))).await.0, 200);
    // The manager may pass it across groups.
    let (status, moved) = act(&app, &m1_token, &id, "transfer", Some(json!({"to": a2}))).await;
    assert_eq!((status, moved["assignee_id"].as_str()), (200, Some(a2.as_str())), "{moved}");
    assert_eq!(tab(&app, &a2_token, "status=received").await, ids(&[&id]));
    let (status, body) = act(&app, &a2_token, &id, "transfer", Some(json!({"to": a2}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("same_counselor")), "{body}");

    let (_, detail) = room(&app, &admin, &id).await;
    let transfers: Vec<_> =
        detail["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "transferred").cloned().collect();
    assert_eq!(transfers.len(), 3, "{detail}");
    assert_eq!(transfers[0]["detail"]["from"], json!(a1));
    assert_eq!(transfers[0]["actor"]["name"], "김상담");
    assert_eq!(transfers[2]["target"]["name"], "최상담");

    // A waiting room given by the admin is assigned; targets must be certified accounts here.
    let (waiting, _) = hand_off(&app, json!({"name": "이해피"})).await;
    let (status, body) = act(&app, &a1_token, &waiting, "transfer", Some(json!({"to": a1}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("not_received")), "{body}");
    let (status, assigned) = act(&app, &admin, &waiting, "transfer", Some(json!({"to": a1}))).await;
    assert_eq!((status, assigned["status"].as_str()), (200, Some("received")), "{assigned}");
    let (_, uncertified) = app
        .call(
            "POST",
            "/v1/accounts",
            Some(&admin),
            Some(json!({"login": "new.one", "password": "s3cret-pass", "name": "신입", "role": "agent"})),
        )
        .await;
    let new_id = uncertified["id"].as_str().unwrap();
    for to in [json!(new_id), json!("00000000-0000-7000-8000-000000000000"), json!("not-an-id")] {
        let (status, body) = act(&app, &admin, &waiting, "transfer", Some(json!({"to": to}))).await;
        assert_eq!(status, 422, "{to}: {body}");
    }
    app.stop().await;
}

on_each_backend!(transfers_follow_the_groups);

async fn open_rooms_block_uncertify_and_history_keeps_names(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (a, a_token) = counselor(&app, "agent.kim", "김상담", "agent", None).await;
    let (b, _) = counselor(&app, "agent.lee", "이상담", "agent", None).await;
    let (id, _) = hand_off(&app, json!({"name": "김해피"})).await;
    assert_eq!(act(&app, &a_token, &id, "receive", None).await.0, 200);

    let (status, body) = app.call("POST", &format!("/v1/accounts/{a}/uncertify"), Some(&admin), None).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("open_rooms")), "{body}");
    assert_eq!(app.call("DELETE", &format!("/v1/accounts/{a}"), Some(&admin), None).await.0, 409);
    assert_eq!(act(&app, &admin, &id, "transfer", Some(json!({"to": b}))).await.0, 200);
    let (status, body) = app.call("POST", &format!("/v1/accounts/{a}/uncertify"), Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");
    let actor_of = |detail: &Value, kind: &str| {
        detail["history"].as_array().unwrap().iter().find(|e| e["kind"] == kind).unwrap()["actor"]["name"].clone()
    };
    let (_, detail) = room(&app, &admin, &id).await;
    assert_eq!(actor_of(&detail, "received"), "김상담 (uncertified)", "{detail}");
    assert_eq!(detail["history"].as_array().unwrap().last().unwrap()["target"]["name"], "이상담");
    assert_eq!(app.call("DELETE", &format!("/v1/accounts/{a}"), Some(&admin), None).await.0, 200);
    let (_, detail) = room(&app, &admin, &id).await;
    assert_eq!(actor_of(&detail, "received"), "김상담 (deleted)", "{detail}");
    app.stop().await;
}

on_each_backend!(open_rooms_block_uncertify_and_history_keeps_names);

async fn search_finds_rooms_by_every_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (kim, kim_token) = hand_off(
        &app,
        json!({"name": "김해피", "phone": "010-1234-5678", "email": "Happy@Example.com", "external_id": "cust-42"}),
    )
    .await;
    let (lee, _) = hand_off(&app, json!({"name": "이해피", "email": "lee@example.com"})).await;
    assert_eq!(app.post_message(&kim, &kim_token, "배송 언제 와요? 배송비도 궁금해요", "c-2").await.0, 202);
    // Wait until the message is stored as the room's last one.
    for _ in 0..50 {
        if room(&app, &admin, &kim).await.1["last_message"]["text"].as_str().is_some_and(|t| t.contains("배송비")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let patch = json!({"tags": ["긴급"], "customer_tags": ["단골"]});
    assert_eq!(app.call("PATCH", &format!("/v1/rooms/{kim}"), Some(&admin), Some(patch)).await.0, 200);

    let find = |query: &'static str| tab(&app, &admin, query);
    assert_eq!(find("status=waiting&field=name&q=김해피").await, ids(&[&kim]));
    assert!(find("status=waiting&field=name&q=해피").await.is_empty(), "names match exactly");
    assert_eq!(find("status=waiting&field=phone&q=010-1234-5678").await, ids(&[&kim]));
    assert_eq!(find("status=waiting&field=email&q=happy@example.com").await, ids(&[&kim]));
    assert_eq!(find("status=waiting&field=email&q=lee@example.com").await, ids(&[&lee]));
    assert_eq!(find("status=waiting&field=customer_id&q=cust-42").await, ids(&[&kim]));
    assert_eq!(find("status=waiting&field=customer_tag&q=단골").await, ids(&[&kim]));
    assert_eq!(find("status=waiting&field=room_tag&q=긴급").await, ids(&[&kim]));
    assert!(find("status=waiting&field=room_tag&q=긴").await.is_empty());

    let (status, body) = app.call("GET", "/v1/rooms?status=waiting&q=배송", Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");
    let rooms = body["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1, "{body}");
    let matched = &rooms[0]["matches"][0];
    assert_eq!(matched["text"], "배송 언제 와요? 배송비도 궁금해요");
    assert_eq!(matched["ranges"], json!([{"start": 0, "end": 2}, {"start": 10, "end": 12}]), "{matched}");
    // Sorting: newest message first by default, oldest first on request.
    assert_eq!(find("status=waiting").await, ids(&[&kim, &lee]));
    assert_eq!(find("status=waiting&sort=last_message_asc").await, ids(&[&lee, &kim]));
    assert_eq!(find("status=waiting&sort=created_asc").await, ids(&[&kim, &lee]));
    assert_eq!(find("status=waiting&sort=created_desc&limit=1").await, ids(&[&lee]));
    app.stop().await;
}

on_each_backend!(search_finds_rooms_by_every_field);

async fn distribution_follows_the_settings(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    let (m, m_token) = counselor(&app, "manager.m", "박매니저", "manager", None).await;
    let (a, a_token) = counselor(&app, "agent.a", "가상담", "agent", Some(&m)).await;
    let (b, _) = counselor(&app, "agent.b", "나상담", "agent", Some(&m)).await;
    // Only the two agents take rooms.
    for id in [m.as_str(), app.running.bootstrapped.as_ref().unwrap().admin.id.to_string().as_str()] {
        let (status, body) =
            app.call("PATCH", &format!("/v1/accounts/{id}"), Some(&admin), Some(json!({"counselling": false}))).await;
        assert_eq!(status, 200, "{body}");
    }

    let (status, settings) = app.call("GET", "/v1/settings/distribution", Some(&m_token), None).await;
    assert_eq!((status, settings["method"].as_str()), (200, Some("manual")), "{settings}");
    assert_eq!(settings["time_zone"], "Asia/Seoul");
    assert_eq!(app.call("GET", "/v1/settings/distribution", Some(&a_token), None).await.0, 403);
    assert_eq!(
        app.call("PATCH", "/v1/settings/distribution", Some(&m_token), Some(json!({"method": "auto"}))).await.0,
        403
    );
    for (bad, names) in [
        (json!({"method": "random"}), "random"),
        (json!({"mode": "auto"}), "mode"),
        (json!({"time_zone": "Mars/Base"}), "Mars/Base"),
        (json!({"working_hours": {"mon": [{"start": "18:00", "end": "09:00"}]}}), "ends before"),
        (json!({"working_hours": {"mon": [{"start": "9h", "end": "18:00"}]}}), "HH:MM"),
        (json!({"days_off": ["2026-02-30"]}), "days_off"),
    ] {
        let (status, body) = app.call("PATCH", "/v1/settings/distribution", Some(&admin), Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["message"].as_str().unwrap().contains(names), "{bad}: {body}");
    }

    // Auto: the least-loaded available counselor.
    let (status, body) = app
        .call("PATCH", "/v1/settings/distribution", Some(&admin), Some(json!({"method": "auto", "time_zone": "UTC"})))
        .await;
    assert_eq!(
        (status, body["method"].as_str(), body["time_zone"].as_str()),
        (200, Some("auto"), Some("UTC")),
        "{body}"
    );
    let (r1, _) = hand_off(&app, json!({"name": "고객1"})).await;
    let first = room(&app, &admin, &r1).await.1;
    assert_eq!(first["status"], "received", "{first}");
    let first_id = first["assignee"]["id"].as_str().unwrap().to_owned();
    let (r2, _) = hand_off(&app, json!({"name": "고객2"})).await;
    let second = room(&app, &admin, &r2).await.1;
    assert_ne!(second["assignee"]["id"].as_str().unwrap(), first_id, "the lighter load gets the next room");

    // A counselor unavailable today takes nothing; with both unavailable the room waits.
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, body) = app
        .call("PUT", &format!("/v1/accounts/{a}/days/{today}"), Some(&m_token), Some(json!({"available": false})))
        .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..2 {
        let (r, _) = hand_off(&app, json!({"name": "고객"})).await;
        assert_eq!(room(&app, &admin, &r).await.1["assignee"]["id"], json!(b));
    }
    app.call("PUT", &format!("/v1/accounts/{b}/days/{today}"), Some(&admin), Some(json!({"available": false}))).await;
    let (r, _) = hand_off(&app, json!({"name": "고객"})).await;
    assert_eq!(room(&app, &admin, &r).await.1["status"], "waiting");

    // Hybrid outside working hours (no working day at all): rooms wait.
    for id in [&a, &b] {
        assert_eq!(app.call("DELETE", &format!("/v1/accounts/{id}/days/{today}"), Some(&admin), None).await.0, 204);
    }
    let (status, body) = app
        .call(
            "PATCH",
            "/v1/settings/distribution",
            Some(&admin),
            Some(json!({"method": "hybrid", "working_hours": {}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (r, _) = hand_off(&app, json!({"name": "고객"})).await;
    assert_eq!(room(&app, &admin, &r).await.1["status"], "waiting");
    // Manual: everything waits.
    app.call("PATCH", "/v1/settings/distribution", Some(&admin), Some(json!({"method": "manual"}))).await;
    let (r, _) = hand_off(&app, json!({"name": "고객"})).await;
    assert_eq!(room(&app, &admin, &r).await.1["status"], "waiting");
    app.stop().await;
}

on_each_backend!(distribution_follows_the_settings);

async fn auto_close_settings_and_counselor_days(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = app.admin_token.clone();
    let (m1, m1_token) = counselor(&app, "manager.one", "박매니저", "manager", None).await;
    let (a1, a1_token) = counselor(&app, "agent.one", "김상담", "agent", Some(&m1)).await;
    let (m2, _) = counselor(&app, "manager.two", "이매니저", "manager", None).await;
    let (a2, _) = counselor(&app, "agent.two", "최상담", "agent", Some(&m2)).await;

    let (status, body) = app.call("GET", "/v1/settings/auto-close", Some(&m1_token), None).await;
    assert_eq!((status, body["enabled"].as_bool()), (200, Some(false)), "{body}");
    let on = json!({"enabled": true, "wait_minutes": 30, "counselor_delay_days": 3, "message": "상담을 종료합니다."});
    let (status, set) = app.call("PATCH", "/v1/settings/auto-close", Some(&admin), Some(on)).await;
    assert_eq!(status, 200, "{set}");
    let since = set["counselor_delay_since"].clone();
    assert!(since.is_string(), "switching the delay rule on records the moment: {set}");
    let (_, changed) =
        app.call("PATCH", "/v1/settings/auto-close", Some(&admin), Some(json!({"counselor_delay_days": 5}))).await;
    assert_eq!((changed["counselor_delay_days"].as_i64(), &changed["counselor_delay_since"]), (Some(5), &since));
    let (_, off) =
        app.call("PATCH", "/v1/settings/auto-close", Some(&admin), Some(json!({"counselor_delay_days": null}))).await;
    assert_eq!((&off["counselor_delay_days"], off["enabled"].as_bool()), (&Value::Null, Some(true)), "{off}");
    for bad in
        [json!({"counselor_delay_days": 7}), json!({"wait_minutes": 0}), json!({"wait": 5}), json!({"message": ""})]
    {
        let (status, body) = app.call("PATCH", "/v1/settings/auto-close", Some(&admin), Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    assert_eq!(
        app.call("PATCH", "/v1/settings/auto-close", Some(&m1_token), Some(json!({"enabled": false}))).await.0,
        403
    );

    // Days: the admin for anyone, a manager for their group, agents not at all.
    let plan = json!({"available": true, "breaks": [{"start": "12:00", "end": "13:00"}]});
    let (status, day) =
        app.call("PUT", &format!("/v1/accounts/{a1}/days/2026-11-23"), Some(&m1_token), Some(plan.clone())).await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(day["breaks"][0]["start"], "12:00");
    assert_eq!(
        app.call("PUT", &format!("/v1/accounts/{a2}/days/2026-11-23"), Some(&m1_token), Some(plan.clone())).await.0,
        404
    );
    assert_eq!(
        app.call("PUT", &format!("/v1/accounts/{a2}/days/2026-11-23"), Some(&admin), Some(plan.clone())).await.0,
        200
    );
    assert_eq!(
        app.call("PUT", &format!("/v1/accounts/{a1}/days/2026-11-23"), Some(&a1_token), Some(plan.clone())).await.0,
        403
    );
    let (status, days) =
        app.call("GET", &format!("/v1/accounts/{a1}/days?from=2026-11-01&to=2026-11-30"), Some(&m1_token), None).await;
    assert_eq!(status, 200, "{days}");
    assert_eq!(days["days"].as_array().unwrap().len(), 1, "{days}");
    for (path, body, want) in [
        (format!("/v1/accounts/{a1}/days/2026-13-01"), plan.clone(), 400),
        (
            format!("/v1/accounts/{a1}/days/2026-11-24"),
            json!({"available": true, "breaks": [{"start": "13:00", "end": "12:00"}]}),
            422,
        ),
        (format!("/v1/accounts/{a1}/days/2026-11-24"), json!({"available": true, "lunch": true}), 422),
        ("/v1/accounts/not-an-id/days/2026-11-24".to_string(), plan.clone(), 404),
    ] {
        let (status, res) = app.call("PUT", &path, Some(&admin), Some(body)).await;
        assert_eq!(status, want, "{path}: {res}");
    }
    let (status, body) =
        app.call("GET", &format!("/v1/accounts/{a1}/days?from=2026-11-30&to=2026-11-01"), Some(&admin), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_query")), "{body}");
    assert_eq!(app.call("DELETE", &format!("/v1/accounts/{a1}/days/2026-11-23"), Some(&admin), None).await.0, 204);
    assert_eq!(app.call("DELETE", &format!("/v1/accounts/{a1}/days/2026-11-23"), Some(&admin), None).await.0, 404);
    app.stop().await;
}

on_each_backend!(auto_close_settings_and_counselor_days);

async fn consoles_hear_the_rooms_they_may_see(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    queue_live(&app).await;
    let (_, a) = counselor(&app, "agent.a", "가상담", "agent", None).await;
    let (_, b) = counselor(&app, "agent.b", "나상담", "agent", None).await;
    let (mine, customer) = hand_off(&app, json!({"name": "김해피"})).await;
    let (theirs, _) = hand_off(&app, json!({"name": "이해피"})).await;
    let console = |token: String| {
        let req = app.http.get(app.url("/v1/rooms/events")).bearer_auth(token);
        async move { SseReader::new(req.send().await.unwrap()) }
    };
    let mut a_console = console(a.clone()).await;
    let mut b_console = console(b.clone()).await;
    // Each stream opens by saying it is listening.
    for console in [&mut a_console, &mut b_console] {
        let ready = console.next(5).await;
        assert_eq!((ready.event.as_deref(), ready.data.as_str()), (Some("ready"), "{}"));
    }
    assert_eq!(act(&app, &a, &mine, "receive", None).await.0, 200);
    let event = a_console.next(5).await;
    assert_eq!(event.event.as_deref(), Some("room"));
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!((data["room_id"].as_str(), data["status"].as_str()), (Some(mine.as_str()), Some("received")));
    // The customer writes and the counselor answers: the counselor's console hears both.
    assert_eq!(app.post_message(&mine, &customer, "안녕하세요", "c-9").await.0, 202);
    assert_eq!(act(&app, &a, &mine, "messages", Some(json!({"text": "네 말씀하세요"}))).await.0, 201);
    let mut seen = Vec::new();
    while !seen.iter().any(|(_, status): &(String, Value)| status == "answered") {
        let event = a_console.next(5).await;
        let data: Value = serde_json::from_str(&event.data).unwrap();
        seen.push((event.event.unwrap_or_default(), data["status"].clone()));
    }
    assert!(seen.iter().any(|(name, _)| name == "message"), "{seen:?}");
    // The other agent saw the room only while it waited: they are told once that it is gone, with
    // nothing but its id, and hear nothing of the conversation; their next event is the room they take.
    let event = b_console.next(5).await;
    assert_eq!(event.event.as_deref(), Some("gone"));
    assert_eq!(serde_json::from_str::<Value>(&event.data).unwrap(), json!({ "room_id": mine }));
    assert_eq!(act(&app, &b, &theirs, "receive", None).await.0, 200);
    let event = b_console.next(5).await;
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!((event.event.as_deref(), data["room_id"].clone()), (Some("room"), json!(theirs)), "{data}");
    assert_eq!(app.call("GET", "/v1/rooms/events", None, None).await.0, 401);
    app.stop().await;
}

on_each_backend!(consoles_hear_the_rooms_they_may_see);

/// Bad input is a clear 4xx, never a 500; none of this needs a room to exist.
#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = Some(app.admin_token.as_str());
    for (query, word) in [
        ("status=bogus", "bogus"),
        ("field=address&q=x", "address"),
        ("sort=random", "random"),
        ("flag=maybe", "flag"),
        ("limit=0", "limit"),
        ("limit=lots", "limit"),
        ("colour=red", "colour"),
        ("status=closed&from=2026-13-01", "from"),
        ("status=closed&from=2026-11-30&to=2026-11-01", "before"),
        ("status=waiting&from=2026-11-01", "closed"),
        ("after=not-an-id", "after"),
    ] {
        let (status, body) = app.call("GET", &format!("/v1/rooms?{query}"), admin, None).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["message"].as_str().unwrap().contains(word), "{query}: {body}");
    }
    for path in ["/v1/rooms/not-an-id", "/v1/rooms/00000000-0000-7000-8000-000000000000"] {
        assert_eq!(app.call("GET", path, admin, None).await.0, 404, "{path}");
    }
    let missing = "/v1/rooms/00000000-0000-7000-8000-000000000000";
    for (action, body) in [
        ("receive", None),
        ("close", None),
        ("messages", Some(json!({"text": "hi"}))),
        ("transfer", Some(json!({"to": app.running.bootstrapped.as_ref().unwrap().admin.id}))),
    ] {
        let (status, res) = app.call("POST", &format!("{missing}/{action}"), admin, body).await;
        assert_eq!(status, 404, "{action}: {res}");
    }
    for (action, body) in [
        ("messages", json!({"text": "hi", "sender": "me"})),
        ("messages", json!({})),
        ("transfer", json!({})),
        ("wrap-up", json!({"note": "no category"})),
    ] {
        let (status, res) = app.call("POST", &format!("{missing}/{action}"), admin, Some(body.clone())).await;
        assert_eq!(status, 422, "{action} {body}: {res}");
    }
    let res = app
        .http
        .post(app.url(&format!("{missing}/alarm")))
        .bearer_auth(&app.admin_token)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.call("GET", "/v1/rooms", None, None).await.0, 401);
    app.stop().await;
}
