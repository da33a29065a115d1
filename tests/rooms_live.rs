//! The sweeper inside a running engine, on an injected clock: an alarm fires on the console
//! stream at its time and clears; auto-close closes a silent room with its message while a held
//! room stays open.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use common::rooms::{act, hand_off, queue_live};
use common::{Backend, SseReader, TestApp};
use sangdam::clock::{Clock, FixedClock};
use serde_json::{Value, json};

/// The next console event named `name` about `room`, skipping others.
async fn console_event(console: &mut SseReader, name: &str, room: &str) -> Value {
    for _ in 0..50 {
        let event = console.next(10).await;
        let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        if event.event.as_deref() == Some(name) && data["room_id"] == json!(room) {
            return data;
        }
    }
    panic!("no {name} event for room {room}");
}

/// Polls the room until `check` holds (the sweeper runs every 100 ms here).
async fn room_until(app: &TestApp, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    let admin = Some(app.admin_token.as_str());
    for _ in 0..100 {
        let (status, room) = app.call("GET", &format!("/v1/rooms/{id}"), admin, None).await;
        assert_eq!(status, 200, "{room}");
        if check(&room) {
            return room;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("room {id} never got there");
}

async fn alarms_fire_and_silent_rooms_close(backend: Backend) {
    let clock = FixedClock::new(Utc::now());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    // The clock runs days ahead here; the admin's token should outlive it.
    let Some(app) = TestApp::spawn_with(backend, shared, |c| {
        c.sweep_every = Duration::from_millis(100);
        c.logins.tokens.idle = TimeDelta::days(30);
    })
    .await
    else {
        return;
    };
    let admin = app.admin_token.clone();
    queue_live(&app).await;
    // The agent answers messages that arrive after it was turned on.
    clock.advance(TimeDelta::seconds(1));
    let (silent, customer) = hand_off(&app, json!({"name": "김해피"})).await;
    let (held, _) = hand_off(&app, json!({"name": "이해피"})).await;
    for room in [&silent, &held] {
        assert_eq!(act(&app, &admin, room, "receive", None).await.0, 200);
        let (status, body) = act(&app, &admin, room, "messages", Some(json!({"text": "무엇을 도와드릴까요?"}))).await;
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(act(&app, &admin, &held, "hold", None).await.0, 200);
    let mut console =
        SseReader::new(app.http.get(app.url("/v1/rooms/events")).bearer_auth(&admin).send().await.unwrap());

    // An alarm ten minutes ahead fires once the clock passes it, then clears.
    let at = clock.now() + TimeDelta::minutes(10);
    let (status, body) = act(&app, &admin, &silent, "alarm", Some(json!({"at": at.to_rfc3339()}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["alarm_at"].as_str().map(|t| t.parse::<chrono::DateTime<Utc>>().unwrap()), Some(at));
    let (_, counts) = app.call("GET", "/v1/rooms/counts", Some(&admin), None).await;
    assert_eq!(
        (counts["alarm"].as_i64(), counts["hold"].as_i64(), counts["answered"].as_i64()),
        (Some(1), Some(1), Some(2))
    );
    clock.advance(TimeDelta::minutes(11));
    let fired = console_event(&mut console, "alarm", &silent).await;
    assert_eq!(fired["room_id"], json!(silent), "{fired}");
    room_until(&app, &silent, |r| r["alarm_at"].is_null()).await;

    // Auto-close after 30 minutes of customer silence, with a closing message.
    let settings = json!({"enabled": true, "wait_minutes": 30, "message": "응답이 없어 상담을 종료합니다."});
    let (status, body) = app.call("PATCH", "/v1/settings/auto-close", Some(&admin), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    clock.advance(TimeDelta::minutes(31));
    let closed = room_until(&app, &silent, |r| r["status"] == "closed").await;
    assert_eq!((closed["close_type"].as_str(), closed["processed"].as_bool()), (Some("auto"), Some(false)));
    let said: Vec<String> = app
        .history(&silent, &customer)
        .await
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(said.iter().filter(|t| *t == "응답이 없어 상담을 종료합니다.").count(), 1, "{said:?}");
    // The held room is exempt however long it waits.
    clock.advance(TimeDelta::days(3));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, room) = app.call("GET", &format!("/v1/rooms/{held}"), Some(&admin), None).await;
    assert_eq!(room["status"], "answered", "{room}");
    // A wrap-up marks the auto-closed room processed.
    let (status, body) =
        act(&app, &admin, &silent, "wrap-up", Some(json!({"category": "배송", "note": "고객 무응답"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["processed"], true);
    app.stop().await;
}

on_each_backend!(alarms_fire_and_silent_rooms_close);

/// Under `auto`, a room that found nobody available waits, and is given out by the sweeper as
/// soon as a counselor becomes available.
async fn auto_gives_waiting_rooms_to_counselors_who_become_available(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, Arc::new(sangdam::clock::SystemClock), |c| {
        c.sweep_every = Duration::from_millis(100)
    })
    .await
    else {
        return;
    };
    let admin = app.admin_token.clone();
    let admin_id = app.running.bootstrapped.as_ref().unwrap().admin.id.to_string();
    queue_live(&app).await;
    let (status, body) =
        app.call("PATCH", "/v1/settings/distribution", Some(&admin), Some(json!({"method": "auto"}))).await;
    assert_eq!(status, 200, "{body}");
    let off = json!({"counselling": false});
    assert_eq!(app.call("PATCH", &format!("/v1/accounts/{admin_id}"), Some(&admin), Some(off)).await.0, 200);
    let (room, _) = hand_off(&app, json!({"name": "김해피"})).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, waiting) = app.call("GET", &format!("/v1/rooms/{room}"), Some(&admin), None).await;
    assert_eq!(waiting["status"], "waiting", "nobody counsels yet: {waiting}");

    let on = json!({"counselling": true});
    assert_eq!(app.call("PATCH", &format!("/v1/accounts/{admin_id}"), Some(&admin), Some(on)).await.0, 200);
    let assigned = room_until(&app, &room, |r| r["status"] == "received").await;
    assert_eq!(assigned["assignee"]["id"], json!(admin_id), "{assigned}");
    let assignments = assigned["history"].as_array().unwrap().iter().filter(|e| e["kind"] == "assigned").count();
    assert_eq!(assignments, 1, "{assigned}");
    app.stop().await;
}

on_each_backend!(auto_gives_waiting_rooms_to_counselors_who_become_available);
