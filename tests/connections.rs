//! What one client may hold: slow or half-sent requests are cut, connections past the cap are
//! refused at once while `/healthz` still answers, live streams and new conversations are
//! bounded, and metric labels come from a closed set.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Backend, TestApp};
use futures_util::StreamExt;
use sangdam::clock::SystemClock;
use sangdam::config::Config;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn spawn(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    TestApp::spawn_with(backend, Arc::new(SystemClock), tweak).await
}

/// A client that opens a new connection for every request, so none is held between them.
fn unpooled() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client")
}

/// Everything the server sends until it closes the connection; panics after `limit`.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the server closes the connection in time");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn half_sent_request_lines_and_headers_are_closed_after_the_header_timeout() {
    let app = spawn(Backend::Sqlite, |c| c.limits.header_timeout = Duration::from_millis(300)).await.expect("sqlite");
    for partial in ["GET /hea", "GET /healthz HTTP/1.1\r\nHost: x\r\n", ""] {
        let mut stream = TcpStream::connect(app.running.addr).await.expect("connect");
        stream.write_all(partial.as_bytes()).await.expect("write");
        let started = Instant::now();
        let answer = read_to_close(&mut stream, Duration::from_secs(5)).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(250), "{partial:?} closed after {took:?}, before the timeout");
        assert!(took < Duration::from_secs(3), "{partial:?} held for {took:?}");
        assert!(!answer.contains("200 OK"), "{partial:?} was answered: {answer}");
    }
    // A whole request within the time is answered as usual.
    let res = unpooled().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_slow_body_gets_408_and_live_streams_outlast_the_body_timeout() {
    let app = spawn(Backend::Sqlite, |c| c.limits.body_timeout = Duration::from_millis(500)).await.expect("sqlite");
    let mut stream = TcpStream::connect(app.running.addr).await.expect("connect");
    let head = format!(
        "POST /v1/webchat/conversations HTTP/1.1\r\nHost: x\r\nX-Widget-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"customer\":",
        app.widget_key
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let answer = read_to_close(&mut stream, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(3), "held for {:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body: Value = serde_json::from_str(&answer[answer.find("\r\n\r\n").expect("a body") + 4..]).expect("JSON");
    assert_eq!(body["error"], "request_timeout");

    // A live stream is a long response, not a long request: it lives on past the body timeout.
    let (id, token) = app.open_conversation(serde_json::json!({})).await;
    let res = app
        .http
        .get(app.url(&format!("/v1/webchat/conversations/{id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut events = common::SseReader::new(res);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _) = app.post_message(&id, &token, "still there?", "m1").await;
    assert_eq!(status, 202);
    let event = events.next(10).await;
    assert_eq!(event.event.as_deref(), Some("message"));
    assert!(event.data.contains("still there?"), "{}", event.data);
    app.stop().await;
}

#[tokio::test]
async fn past_the_connection_cap_healthz_answers_and_the_rest_is_refused_at_once() {
    let app = spawn(Backend::Sqlite, |c| {
        c.limits.max_connections = 4;
        c.limits.header_timeout = Duration::from_secs(20);
    })
    .await
    .expect("sqlite");
    // Four clients that connect and say nothing hold every place.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(app.running.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let http = unpooled();
    let started = Instant::now();
    let res = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the health check is answered past the cap");
    let res = http.get(app.url("/v1/webchat/settings")).header("X-Widget-Key", &app.widget_key).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "2");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_connections");
    assert!(started.elapsed() < Duration::from_secs(2), "refusals are quick: {:?}", started.elapsed());

    // With the reserve (4) held too, a connection is refused before it sends anything.
    for _ in 0..4 {
        idle.push(TcpStream::connect(app.running.addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(app.running.addr).await.expect("connect");
    let answer = read_to_close(&mut extra, Duration::from_secs(2)).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 503"), "{answer}");
    if !answer.is_empty() {
        assert!(answer.contains("retry-after: 2") && answer.contains("too_many_connections"), "{answer}");
    }

    // Places come back when the idle clients go.
    drop(idle);
    let mut answered = false;
    for _ in 0..50 {
        let res = http.get(app.url("/v1/webchat/settings")).header("X-Widget-Key", &app.widget_key).send().await;
        if res.is_ok_and(|r| r.status() == 200) {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the server serves again once connections close");
    app.stop().await;
}

async fn open_stream(app: &TestApp, id: &str, token: &str) -> reqwest::Response {
    unpooled().get(app.url(&format!("/v1/webchat/conversations/{id}/events"))).bearer_auth(token).send().await.unwrap()
}

async fn assert_too_many_streams(res: reqwest::Response) {
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().expect("seconds");
    assert!(wait >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "too_many_streams");
}

async fn live_streams_are_capped_per_conversation_and_in_all(backend: Backend) {
    let Some(app) = spawn(backend, |c| {
        c.limits.max_streams = 3;
        c.limits.max_streams_per_conversation = 2;
    })
    .await
    else {
        return;
    };
    let (a, a_token) = app.open_conversation(serde_json::json!({})).await;
    let (b, b_token) = app.open_conversation(serde_json::json!({})).await;
    let first = open_stream(&app, &a, &a_token).await;
    let second = open_stream(&app, &a, &a_token).await;
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    assert_too_many_streams(open_stream(&app, &a, &a_token).await).await;
    let third = open_stream(&app, &b, &b_token).await;
    assert_eq!(third.status(), 200);
    // Three streams are open: the global cap refuses a fourth, whatever the conversation.
    assert_too_many_streams(open_stream(&app, &b, &b_token).await).await;

    // A client that goes away gives its place back.
    drop(first);
    let mut reopened = None;
    for _ in 0..100 {
        let res = open_stream(&app, &a, &a_token).await;
        if res.status() == 200 {
            reopened = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the place of a closed stream is free again");
    drop((second, third, reopened));
    app.stop().await;
}
on_each_backend!(live_streams_are_capped_per_conversation_and_in_all);

async fn console_streams_are_capped_per_account(backend: Backend) {
    let Some(app) = spawn(backend, |c| c.limits.max_streams_per_account = 2).await else { return };
    let open = || unpooled().get(app.url("/v1/rooms/events")).bearer_auth(&app.admin_token).send();
    let (one, two) = (open().await.unwrap(), open().await.unwrap());
    assert_eq!((one.status().as_u16(), two.status().as_u16()), (200, 200));
    assert_too_many_streams(open().await.unwrap()).await;
    drop((one, two));
    app.stop().await;
}
on_each_backend!(console_streams_are_capped_per_account);

async fn open_conversation(http: &reqwest::Client, app: &TestApp) -> reqwest::Response {
    http.post(app.url("/v1/webchat/conversations"))
        .header("X-Widget-Key", &app.widget_key)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
}

async fn conversation_creation_is_limited_per_address_and_per_widget_key(backend: Backend) {
    let Some(app) = spawn(backend, |c| {
        c.limits.conversations_per_address = 2;
        c.limits.conversations_per_widget_key = 3;
    })
    .await
    else {
        return;
    };
    let from = |ip: &str| {
        reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().ok()).build().expect("client")
    };
    let (one, two) = (from("127.0.0.1"), from("127.0.0.2"));
    // Bursts of twice the per-minute rate: four from one address.
    for _ in 0..4 {
        assert_eq!(open_conversation(&one, &app).await.status(), 201);
    }
    let refused = open_conversation(&one, &app).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_conversations");
    // Another address has its own allowance, until the widget key's (six) is spent.
    assert_eq!(open_conversation(&two, &app).await.status(), 201);
    assert_eq!(open_conversation(&two, &app).await.status(), 201);
    let refused = open_conversation(&two, &app).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap_or_default().contains("widget key"), "{body}");
    app.stop().await;
}
on_each_backend!(conversation_creation_is_limited_per_address_and_per_widget_key);

/// A brand's server opens every customer's conversation from one address with an operator token:
/// the address limit would stop it within a minute, so only the widget key's allowance counts.
async fn a_brands_server_is_counted_by_its_widget_key_only(backend: Backend) {
    let Some(app) = spawn(backend, |c| {
        c.limits.conversations_per_address = 1;
        c.limits.conversations_per_widget_key = 3;
    })
    .await
    else {
        return;
    };
    let open_as_server = || {
        app.http
            .post(app.url("/v1/webchat/conversations"))
            .header("X-Widget-Key", &app.widget_key)
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({}))
            .send()
    };
    // Twice the address's burst, within the key's burst of six.
    for _ in 0..6 {
        assert_eq!(open_as_server().await.unwrap().status(), 201);
    }
    let refused = open_as_server().await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap_or_default().contains("widget key"), "{body}");
    // A bad token does not buy the exemption: it is refused before any conversation is opened.
    let forged = app
        .http
        .post(app.url("/v1/webchat/conversations"))
        .header("X-Widget-Key", &app.widget_key)
        .bearer_auth("sdm_not_a_token")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    app.stop().await;
}
on_each_backend!(a_brands_server_is_counted_by_its_widget_key_only);

#[tokio::test]
async fn invented_methods_and_paths_do_not_grow_the_metrics() {
    let app = spawn(Backend::Sqlite, |_| {}).await.expect("sqlite");
    let metrics = || async { app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    // Warm up the labels an unmatched request and a wrong method on a route may create.
    for (method, path) in [("M00000X", "/warm"), ("M00000Y", "/healthz")] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.http.request(method, app.url(path)).send().await.unwrap();
    }
    let before = metrics().await.len();
    futures_util::stream::iter(0..3000)
        .map(|i| {
            let method = reqwest::Method::from_bytes(format!("M{i:05}X").as_bytes()).unwrap();
            let path = if i % 3 == 0 { "/healthz".to_owned() } else { format!("/made/up/{}", uuid::Uuid::new_v4()) };
            app.http.request(method, app.url(&path)).send()
        })
        .buffer_unordered(16)
        .for_each(|res| async move {
            assert!(res.is_ok());
        })
        .await;
    let after = metrics().await;
    assert!(!after.contains("M01234X") && !after.contains("/made/up/"), "an invented label reached /metrics");
    // Other tests of this binary may add a few series meanwhile; 3,000 new ones would be megabytes.
    assert!(after.len() < before + 32 * 1024, "/metrics grew from {before} to {} bytes", after.len());
    assert!(after.contains("method=\"other\""), "invented methods are counted as other");
    app.stop().await;
}
