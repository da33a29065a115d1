//! The HTTP API as a client sees it: a real server on a free port, real requests.

mod common;

use common::{Backend, SseReader, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn error_of(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.expect("error bodies are JSON");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "error has a message: {body}");
    (status, body["error"].as_str().expect("error has a code").to_owned())
}

#[tokio::test]
async fn health_and_openapi_document_every_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let health: Value = app.http.get(app.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!((health["status"].as_str(), health["database"].as_str()), (Some("ok"), Some("sqlite")));

    let res = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    documented.sort();
    let mut expected = vec![
        "GET /healthz",
        "GET /metrics",
        "GET /openapi.json",
        "POST /v1/auth/login",
        "POST /v1/auth/logout",
        "GET /v1/me",
        "GET /v1/accounts",
        "POST /v1/accounts",
        "GET /v1/accounts/{id}",
        "PATCH /v1/accounts/{id}",
        "DELETE /v1/accounts/{id}",
        "POST /v1/accounts/{id}/certify",
        "POST /v1/accounts/{id}/uncertify",
        "GET /v1/channels/{channel}",
        "PATCH /v1/channels/{channel}",
        "GET /v1/channels/{channel}/launch",
        "POST /v1/channels/{channel}/launch/turn-on",
        "POST /v1/channels/{channel}/launch/turn-off",
        "GET /v1/channels/{channel}/launch/history",
        "POST /v1/channels/sms/verify",
        "GET /v1/skills",
        "POST /v1/channels/{channel}/handoff/test",
        "GET /v1/helpdesks",
        "GET /v1/helpdesks/{name}",
        "PUT /v1/helpdesks/{name}",
        "DELETE /v1/helpdesks/{name}",
        "POST /v1/helpdesks/{name}/verify",
        "GET /v1/handoffs",
        "GET /v1/handoffs/{id}",
        "POST /v1/handoffs/{id}/retry",
        "POST /v1/channels/{channel}/preview",
        "POST /v1/sms/twilio",
        "POST /v1/sms/twilio/status",
        "GET /v1/webchat/settings",
        "POST /v1/webchat/conversations",
        "GET /v1/webchat/conversations/{id}/messages",
        "POST /v1/webchat/conversations/{id}/messages",
        "GET /v1/webchat/conversations/{id}/events",
        "POST /v1/webchat/conversations/{id}/close",
        "GET /widget.js",
        "GET /v1/rooms",
        "GET /v1/rooms/counts",
        "GET /v1/rooms/events",
        "GET /v1/rooms/transfer-targets",
        "GET /v1/rooms/{id}",
        "PATCH /v1/rooms/{id}",
        "POST /v1/rooms/{id}/receive",
        "POST /v1/rooms/{id}/messages",
        "POST /v1/rooms/{id}/close",
        "POST /v1/rooms/{id}/hold",
        "POST /v1/rooms/{id}/unhold",
        "POST /v1/rooms/{id}/alarm",
        "POST /v1/rooms/{id}/transfer",
        "POST /v1/rooms/{id}/wrap-up",
        "GET /v1/settings/distribution",
        "PATCH /v1/settings/distribution",
        "GET /v1/settings/auto-close",
        "PATCH /v1/settings/auto-close",
        "GET /v1/accounts/{id}/days",
        "PUT /v1/accounts/{id}/days/{date}",
        "DELETE /v1/accounts/{id}/days/{date}",
    ];
    expected.sort();
    assert_eq!(documented, expected);
    // Schemas come from the Rust types: the message body names its fields.
    let post = &doc["paths"]["/v1/webchat/conversations/{id}/messages"]["post"];
    assert!(post["requestBody"].is_object(), "request body documented");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("sangdam_http_requests_total"), "{metrics}");
    app.stop().await;
}

async fn webchat_round_trip(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    // The operator sees the widget key; the widget's first call records the page origin.
    let channel: Value = app
        .http
        .get(app.url("/v1/channels/webchat"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(channel["widget_key"].as_str(), Some(app.widget_key.as_str()));
    assert!(channel["embed_snippet"].as_str().unwrap().contains("/widget.js"));
    let (status, _) = app
        .call(
            "PATCH",
            "/v1/channels/webchat",
            Some(&app.admin_token),
            Some(json!({"allowed_origins": ["https://shop.example.com"]})),
        )
        .await;
    assert_eq!(status, 200);
    let elsewhere = app
        .http
        .get(app.url("/v1/webchat/settings"))
        .header("X-Widget-Key", &app.widget_key)
        .header("Origin", "https://copycat.example")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let settings = app.load_widget("https://shop.example.com").await;
    assert_eq!(settings.status(), 200);
    assert_eq!(settings.headers()["access-control-allow-origin"], "*");
    let channel: Value = app
        .http
        .get(app.url("/v1/channels/webchat"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(channel["seen_origins"][0]["origin"], "https://shop.example.com");

    let (id, token) = app.open_conversation(json!({"name": "김해피", "email": "happy@example.com"})).await;
    let events_url = app.url(&format!("/v1/webchat/conversations/{id}/events"));
    let live = app.http.get(&events_url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut live = SseReader::new(live);

    let (status, first) = app.post_message(&id, &token, "주문번호 1001 배송 어디쯤이에요?", "c-1").await;
    assert_eq!(status, 202);
    let event = live.next(5).await;
    assert_eq!((event.id.as_deref(), event.event.as_deref()), (Some("1"), Some("message")));
    let data: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(data["text"], "주문번호 1001 배송 어디쯤이에요?");
    assert_eq!(data["author"], "customer");
    assert_eq!(data["id"], first["message_id"]);

    // A retry with the same client_message_id is the same message, stored once.
    let (status, retry) = app.post_message(&id, &token, "주문번호 1001 배송 어디쯤이에요?", "c-1").await;
    assert_eq!((status, &retry["message_id"]), (202, &first["message_id"]));
    app.post_message(&id, &token, "second", "c-2").await;
    app.post_message(&id, &token, "third", "c-3").await;
    let (second, third) = (live.next(5).await, live.next(5).await);
    assert_eq!((second.id.as_deref(), third.id.as_deref()), (Some("2"), Some("3")));

    let history = app.history(&id, &token).await;
    let texts: Vec<&str> = history.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["주문번호 1001 배송 어디쯤이에요?", "second", "third"]);
    let keys: Vec<&String> = history[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["author", "created_at", "id", "text"]);

    // Reconnecting with Last-Event-ID delivers only what came after it.
    let resumed = app.http.get(&events_url).bearer_auth(&token).header("Last-Event-ID", "1").send().await.unwrap();
    let mut resumed = SseReader::new(resumed);
    let (a, b) = (resumed.next(5).await, resumed.next(5).await);
    assert_eq!((a.id.as_deref(), b.id.as_deref()), (Some("2"), Some("3")));
    // EventSource cannot send headers: the token and the resume point also work as query parameters.
    let by_query = app.http.get(format!("{events_url}?token={token}&last_event_id=2")).send().await.unwrap();
    let mut by_query = SseReader::new(by_query);
    assert_eq!(by_query.next(5).await.id.as_deref(), Some("3"));
    app.post_message(&id, &token, "fourth", "c-4").await;
    assert_eq!(resumed.next(5).await.id.as_deref(), Some("4"));
    assert_eq!(by_query.next(5).await.id.as_deref(), Some("4"));
    drop((live, resumed, by_query));
    app.stop().await;
}

#[tokio::test]
async fn webchat_round_trip_on_sqlite() {
    webchat_round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn webchat_round_trip_on_postgres() {
    webchat_round_trip(Backend::Postgres).await;
}

async fn login(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    app.http.post(app.url("/v1/auth/login")).json(&json!({"login": login, "password": password})).send().await.unwrap()
}

#[tokio::test]
async fn roles_certification_and_workspace_boundaries() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let admin = &app.admin_token;
    let create = |body: Value, token: String| {
        let req = app.http.post(app.url("/v1/accounts")).bearer_auth(token).json(&body);
        async move { req.send().await.unwrap() }
    };
    let res = create(
        json!({"login": "agent.kim", "password": "s3cret-pass", "name": "김상담", "role": "agent"}),
        admin.clone(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let agent_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // Uncertified accounts cannot log in; certified ones can.
    assert_eq!(
        error_of(login(&app, "agent.kim", "s3cret-pass").await).await,
        (StatusCode::FORBIDDEN, "not_certified".into())
    );
    let res =
        app.http.post(app.url(&format!("/v1/accounts/{agent_id}/certify"))).bearer_auth(admin).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        error_of(login(&app, "agent.kim", "wrong-pass").await).await,
        (StatusCode::UNAUTHORIZED, "bad_credentials".into())
    );
    assert_eq!(
        error_of(login(&app, "nobody", "s3cret-pass").await).await,
        (StatusCode::UNAUTHORIZED, "bad_credentials".into())
    );
    let res = login(&app, "agent.kim", "s3cret-pass").await;
    assert_eq!(res.status(), 200);
    let agent_token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

    // Agents only chat: admin operations are 403.
    let res =
        create(json!({"login": "x.y", "password": "s3cret-pass", "name": "X", "role": "agent"}), agent_token.clone())
            .await;
    assert_eq!(error_of(res).await, (StatusCode::FORBIDDEN, "forbidden".into()));
    let res = app
        .http
        .post(app.url(&format!("/v1/accounts/{agent_id}/certify")))
        .bearer_auth(&agent_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app.http.get(app.url("/v1/channels/webchat")).bearer_auth(&agent_token).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let me: Value =
        app.http.get(app.url("/v1/me")).bearer_auth(&agent_token).send().await.unwrap().json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["name"].as_str()), (Some("agent"), Some("김상담")));
    // Agents and managers cannot be converted into each other.
    let res = app
        .http
        .patch(app.url(&format!("/v1/accounts/{agent_id}")))
        .bearer_auth(admin)
        .json(&json!({"role": "manager"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (StatusCode::CONFLICT, "role_conversion".into()));

    // Workspace B cannot see or touch workspace A's records.
    let b = app.second_workspace("admin-b", 2).await;
    let b_token = b.admin_token.expose().to_owned();
    let res = app.http.get(app.url(&format!("/v1/accounts/{agent_id}"))).bearer_auth(&b_token).send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::NOT_FOUND, "not_found".into()));
    let res =
        app.http.post(app.url(&format!("/v1/accounts/{agent_id}/certify"))).bearer_auth(&b_token).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let (conv_a, _) = app.open_conversation(json!({})).await;
    let res = app
        .http
        .post(app.url("/v1/webchat/conversations"))
        .header("X-Widget-Key", &b.widget_key)
        .json(&json!({"customer": {}}))
        .send()
        .await
        .unwrap();
    let b_conv_token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let (status, _) = app.post_message(&conv_a, &b_conv_token, "hi", "c-x").await;
    assert_eq!(status, 404, "a conversation token opens only its own conversation");

    // Certifying past the seat count is 409 (workspace B has 2 seats, its admin holds one).
    let mut ids = Vec::new();
    for login in ["b.one", "b.two"] {
        let res =
            create(json!({"login": login, "password": "s3cret-pass", "name": login, "role": "agent"}), b_token.clone())
                .await;
        ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let certify = |id: &str| app.http.post(app.url(&format!("/v1/accounts/{id}/certify"))).bearer_auth(&b_token).send();
    assert_eq!(certify(&ids[0]).await.unwrap().status(), 200);
    assert_eq!(error_of(certify(&ids[1]).await.unwrap()).await, (StatusCode::CONFLICT, "seat_limit".into()));

    // Logging out revokes the token.
    let res = app.http.post(app.url("/v1/auth/logout")).bearer_auth(&agent_token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = app.http.get(app.url("/v1/me")).bearer_auth(&agent_token).send().await.unwrap();
    assert_eq!(error_of(res).await, (StatusCode::UNAUTHORIZED, "unauthorized".into()));
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (id, token) = app.open_conversation(json!({})).await;
    let messages = app.url(&format!("/v1/webchat/conversations/{id}/messages"));
    let raw = |body: Vec<u8>| {
        app.http.post(&messages).bearer_auth(&token).header("content-type", "application/json").body(body).send()
    };

    let cases: Vec<(&str, reqwest::Response, StatusCode, &str)> = vec![
        ("malformed JSON", raw(b"{\"text\": ".to_vec()).await.unwrap(), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            "unknown field",
            raw(br#"{"text":"hi","client_message_id":"c","extra":1}"#.to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "missing field",
            raw(br#"{"text":"hi"}"#.to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "2 MB body",
            raw(format!(r#"{{"text":"{}","client_message_id":"c"}}"#, "a".repeat(2 * 1024 * 1024)).into_bytes())
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "invalid UTF-8",
            raw(b"{\"text\":\"\xff\xfe\",\"client_message_id\":\"c\"}".to_vec()).await.unwrap(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "empty text",
            raw(br#"{"text":"   ","client_message_id":"c"}"#.to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_message",
        ),
        (
            "no content type",
            app.http.post(&messages).bearer_auth(&token).body("{}").send().await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "missing customer token",
            app.http.post(&messages).json(&json!({"text": "hi", "client_message_id": "c"})).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong customer token",
            app.http
                .post(&messages)
                .bearer_auth("sdc_nope")
                .json(&json!({"text": "hi", "client_message_id": "c"}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "missing operator token",
            app.http.get(app.url("/v1/accounts")).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong operator token",
            app.http.get(app.url("/v1/accounts")).bearer_auth("sdm_wrong").send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "wrong widget key",
            app.http
                .post(app.url("/v1/webchat/conversations"))
                .header("X-Widget-Key", "wk_wrong")
                .json(&json!({"customer": {}}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_widget_key",
        ),
        (
            "missing widget key",
            app.http.get(app.url("/v1/webchat/settings")).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_widget_key",
        ),
        (
            "invalid customer email",
            app.http
                .post(app.url("/v1/webchat/conversations"))
                .header("X-Widget-Key", &app.widget_key)
                .json(&json!({"customer": {"email": "not-an-address"}}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "unknown id",
            app.http
                .get(app.url("/v1/accounts/00000000-0000-7000-8000-000000000000"))
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "malformed id",
            app.http.get(app.url("/v1/accounts/not-an-id")).bearer_auth(&app.admin_token).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "bad Last-Event-ID",
            app.http
                .get(app.url(&format!("/v1/webchat/conversations/{id}/events")))
                .bearer_auth(&token)
                .header("Last-Event-ID", "yesterday")
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_last_event_id",
        ),
        (
            "a resume point that is not a number",
            app.http
                .get(app.url(&format!("/v1/webchat/conversations/{id}/events?last_event_id=abc")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "an unknown parameter on the conversation stream",
            app.http
                .get(app.url(&format!("/v1/webchat/conversations/{id}/events?since=1")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "an unknown parameter on the console stream",
            app.http.get(app.url("/v1/rooms/events?since=1")).bearer_auth(&app.admin_token).send().await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "an array where an object belongs",
            raw(br#"["hi","c-array"]"#.to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "an array where a nested object belongs",
            app.http
                .post(app.url("/v1/webchat/conversations"))
                .header("X-Widget-Key", &app.widget_key)
                .json(&json!({"customer": ["김해피", "happy@example.com"]}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "a console file name that is not UTF-8",
            app.http.get(app.url("/console/%FF")).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "a 9 KiB URI",
            app.http.get(app.url(&format!("/v1/rooms?q={}", "a".repeat(9 * 1024)))).send().await.unwrap(),
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
        ),
        (
            "33 KiB of headers",
            app.http.get(app.url("/healthz")).header("x-padding", "a".repeat(33 * 1024)).send().await.unwrap(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        ),
        (
            "unknown route",
            app.http.get(app.url("/v1/nothing")).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            app.http.delete(app.url("/v1/auth/login")).send().await.unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "weak password",
            app.http
                .post(app.url("/v1/accounts"))
                .bearer_auth(&app.admin_token)
                .json(&json!({"login": "shorty", "password": "123", "name": "S", "role": "agent"}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            "a second admin",
            app.http
                .post(app.url("/v1/accounts"))
                .bearer_auth(&app.admin_token)
                .json(&json!({"login": "boss2", "password": "long-enough", "name": "B", "role": "admin"}))
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_account",
        ),
    ];
    for (what, res, status, code) in cases {
        assert!(res.headers().get("x-request-id").is_some(), "{what}: every answer carries a request id");
        assert_eq!(error_of(res).await, (status, code.to_owned()), "{what}");
    }
    // Nothing above stored a message.
    assert!(app.history(&id, &token).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn browsers_may_call_the_webchat_api_from_any_page() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for path in ["/v1/webchat/settings", "/v1/webchat/conversations", "/v1/webchat/conversations/x/messages"] {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("Origin", "https://shop.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "x-widget-key,x-widget-load,content-type,authorization")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{path}: {}", preflight.status());
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*", "{path}");
        let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(allowed.contains("x-widget-key") && allowed.contains("authorization"), "{path}: {allowed}");
        assert!(allowed.contains("x-widget-load"), "{path}: {allowed}");
    }
    // Operator routes stay same-origin.
    let res = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/v1/accounts"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}

#[tokio::test]
async fn the_widget_script_is_served() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let res = app.http.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/javascript"));
    let js = res.text().await.unwrap();
    assert!(js.contains("/v1/webchat/settings") && js.contains("X-Widget-Key"));
    app.stop().await;
}

#[tokio::test]
async fn a_stream_on_one_process_sees_messages_written_by_another() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    // A second engine on the same PostgreSQL database, as in a multi-instance deployment.
    let over = sangdam::config::Overrides {
        addr: Some("127.0.0.1:0".into()),
        database_url: Some(app.db.url.clone()),
        ..Default::default()
    };
    let config = sangdam::config::Config::resolve(Default::default(), over, None).unwrap();
    let other = sangdam::http::server::start_with(
        &config,
        app.db.store().await,
        std::sync::Arc::new(sangdam::clock::SystemClock),
    )
    .await
    .unwrap();
    assert!(other.bootstrapped.is_none(), "the database is bootstrapped once");

    let (id, token) = app.open_conversation(json!({})).await;
    let live = app
        .http
        .get(app.url(&format!("/v1/webchat/conversations/{id}/events")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let mut live = SseReader::new(live);
    let res = app
        .http
        .post(format!("http://{}/v1/webchat/conversations/{id}/messages", other.addr))
        .bearer_auth(&token)
        .json(&json!({"text": "written elsewhere", "client_message_id": "x-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    // Well under the 30 s safety-net poll: the notification carried it.
    let event = live.next(5).await;
    assert_eq!(event.id.as_deref(), Some("1"));
    assert!(event.data.contains("written elsewhere"));
    drop(live);
    other.stop().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn the_engines_own_demo_page_may_always_load_the_widget() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let listed = json!({"allowed_origins": ["https://shop.example"]});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(listed)).await.0, 200);
    let settings = |origin: &str, same_origin: bool| {
        let mut req = app.http.get(app.url("/v1/webchat/settings")).header("X-Widget-Key", &app.widget_key);
        req = req.header("Origin", origin);
        if same_origin {
            req = req.header("Sec-Fetch-Site", "same-origin");
        }
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(settings(&app.base, false).await, 403, "another site is refused");
    assert_eq!(settings(&app.base, true).await, 200, "the engine's own page (/demo) is not");
    let open = app
        .http
        .post(app.url("/v1/webchat/conversations"))
        .header("X-Widget-Key", &app.widget_key)
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 201);
    let (_, channel) = app.call("GET", "/v1/channels/webchat", Some(&app.admin_token), None).await;
    assert_eq!(channel["seen_origins"], json!([]), "an unlisted origin is not recorded: {channel}");

    // Listed, it counts like any site. A same-origin GET has no Origin: the widget sends its
    // page's origin as the Referer.
    let listed = json!({"allowed_origins": ["https://shop.example", app.base]});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(listed)).await.0, 200);
    let script = app.http.get(app.url("/widget.js")).send().await.unwrap().text().await.unwrap();
    let res = app
        .http
        .get(app.url("/v1/webchat/settings"))
        .header("X-Widget-Key", &app.widget_key)
        .header("X-Widget-Load", common::load_token(&script))
        .header("Referer", format!("{}/", app.base))
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, launch) = app.call("GET", "/v1/channels/webchat/launch", Some(&app.admin_token), None).await;
    let setup = launch["items"].as_array().unwrap().iter().find(|i| i["id"] == "channel_setup").unwrap().clone();
    assert_eq!(setup["done"], true, "{setup}");
    app.stop().await;
}

/// The next event named `name` on the stream.
async fn next_named(stream: &mut SseReader, name: &str) -> Value {
    loop {
        let event = stream.next(10).await;
        if event.event.as_deref() == Some(name) {
            return serde_json::from_str(&event.data).unwrap();
        }
    }
}

async fn the_customer_hears_who_answers_and_when_it_ends(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    common::rooms::queue_live(&app).await;
    let (_, kim) = common::rooms::counselor(&app, "kim.c", "김상담", "agent", None).await;
    let (id, token) = app.open_conversation(json!({"name": "김해피"})).await;
    let events = app.url(&format!("/v1/webchat/conversations/{id}/events?status=true"));
    let mut stream = SseReader::new(app.http.get(&events).bearer_auth(&token).send().await.unwrap());
    let first = stream.next(5).await;
    assert_eq!((first.event.as_deref(), first.id.as_deref()), (Some("status"), None), "the state comes first");
    let state: Value = serde_json::from_str(&first.data).unwrap();
    assert_eq!((state["status"].as_str(), &state["handoff"]), (Some("bot"), &Value::Null), "{state}");

    // A handoff: its message, then the state naming the handoff at the message's own time.
    assert_eq!(app.post_message(&id, &token, "상담원 연결해주세요", "h-1").await.0, 202);
    let handoff_message = loop {
        let m = next_named(&mut stream, "message").await;
        if m["author"] == "bot" {
            break m;
        }
    };
    // The stream reads the state in two queries (the room, then its handoff), so one woken while
    // the handoff commits may first say "bot", with or without the handoff; the state after that
    // must be the queue's, naming the handoff.
    let state = loop {
        let state = next_named(&mut stream, "status").await;
        if state["status"] != "bot" {
            break state;
        }
    };
    assert_eq!(state["status"], "waiting", "{state}");
    assert_eq!(state["handoff"]["action"], "queue");
    let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(at(&state["handoff"]["at"]), at(&handoff_message["created_at"]));

    // Taken and answered: the counselor's name on the state and on the reply; closed: the end.
    assert_eq!(common::rooms::act(&app, &kim, &id, "receive", None).await.0, 200);
    let state = next_named(&mut stream, "status").await;
    assert_eq!((state["status"].as_str(), state["counselor_name"].as_str()), (Some("received"), Some("김상담")));
    let reply = json!({"text": "안녕하세요, 김상담입니다."});
    assert_eq!(common::rooms::act(&app, &kim, &id, "messages", Some(reply)).await.0, 201);
    let m = next_named(&mut stream, "message").await;
    assert_eq!((m["author"].as_str(), m["author_name"].as_str()), (Some("counselor"), Some("김상담")), "{m}");
    assert_eq!(common::rooms::act(&app, &kim, &id, "close", None).await.0, 200);
    let state = loop {
        let state = next_named(&mut stream, "status").await;
        if state["status"] == "closed" {
            break state;
        }
    };
    assert_eq!((state["close_type"].as_str(), &state["counselor_name"]), (Some("counselor"), &Value::Null));
    assert!(state["closed_at"].is_string(), "{state}");

    // History tells the same.
    let res = app
        .http
        .get(app.url(&format!("/v1/webchat/conversations/{id}/messages")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["conversation"]["status"], "closed", "{body}");
    let named: Vec<_> = body["messages"].as_array().unwrap().iter().filter_map(|m| m["author_name"].as_str()).collect();
    assert_eq!(named, ["김상담"]);
    app.stop().await;
}

#[tokio::test]
async fn the_customer_hears_who_answers_and_when_it_ends_on_sqlite() {
    the_customer_hears_who_answers_and_when_it_ends(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_customer_hears_who_answers_and_when_it_ends_on_postgres() {
    the_customer_hears_who_answers_and_when_it_ends(Backend::Postgres).await;
}

/// Opens a conversation with the widget key and the given extra headers; the status and body.
async fn open_with(app: &TestApp, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = app.http.post(app.url("/v1/webchat/conversations")).header("X-Widget-Key", &app.widget_key);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.json(&json!({})).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn conversations_need_an_origin_once_origins_are_listed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    // While the channel lists no origins, any caller may open one (so it can be tried out).
    assert_eq!(open_with(&app, &[]).await.0, 201);
    let listed = json!({"allowed_origins": ["https://shop.example"]});
    assert_eq!(app.call("PATCH", "/v1/channels/webchat", Some(&app.admin_token), Some(listed)).await.0, 200);

    let (status, body) = open_with(&app, &[]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("origin_required")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("Authorization"), "the way in is named: {body}");
    assert_eq!(open_with(&app, &[("Origin", "https://copycat.example")]).await.0, 403);
    assert_eq!(open_with(&app, &[("Origin", "https://shop.example")]).await.0, 201);

    // A brand's server: the widget key with an admin's or manager's API token, no Origin.
    let admin = format!("Bearer {}", app.admin_token);
    assert_eq!(open_with(&app, &[("Authorization", &admin)]).await.0, 201);
    let (status, body) = open_with(&app, &[("Authorization", "Bearer sdm_unknown")]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")), "{body}");
    let (status, agent) = app
        .call(
            "POST",
            "/v1/accounts",
            Some(&app.admin_token),
            Some(json!({"login": "agent.kim", "password": "s3cret-pass-kim", "name": "Kim", "role": "agent"})),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let certify = format!("/v1/accounts/{}/certify", agent["id"].as_str().unwrap());
    assert_eq!(app.call("POST", &certify, Some(&app.admin_token), None).await.0, 200);
    let (status, login) = app
        .call("POST", "/v1/auth/login", None, Some(json!({"login": "agent.kim", "password": "s3cret-pass-kim"})))
        .await;
    assert_eq!(status, 200, "{login}");
    let agent = format!("Bearer {}", login["token"].as_str().unwrap());
    let (status, body) = open_with(&app, &[("Authorization", &agent)]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")), "an agent is no server: {body}");
    let other = app.second_workspace("admin-other", 2).await;
    let foreign = format!("Bearer {}", other.admin_token.expose());
    let (status, body) = open_with(&app, &[("Authorization", &foreign)]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")), "{body}");
    app.stop().await;
}

on_each_backend!(conversations_need_an_origin_once_origins_are_listed);

#[tokio::test]
async fn the_document_tells_json_from_streams_scripts_and_empty_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc: Value = app.http.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let ok = |path: &str| doc["paths"][path]["get"]["responses"]["200"]["content"].clone();
    for stream in ["/v1/webchat/conversations/{id}/events", "/v1/rooms/events"] {
        assert_eq!(ok(stream).as_object().unwrap().keys().collect::<Vec<_>>(), ["text/event-stream"], "{stream}");
    }
    assert!(ok("/metrics")["text/plain"].is_object(), "{}", ok("/metrics"));
    assert!(ok("/widget.js")["application/javascript"].is_object(), "{}", ok("/widget.js"));
    assert!(ok("/openapi.json")["application/json"].is_object());
    for (path, method) in
        [("/v1/auth/logout", "post"), ("/v1/helpdesks/{name}", "delete"), ("/v1/accounts/{id}/days/{date}", "delete")]
    {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses["204"].is_object(), "{path}: {responses}");
        assert!(responses["204"].get("content").is_none_or(|c| c.as_object().unwrap().is_empty()), "{responses}");
    }
    let settings = &doc["paths"]["/v1/webchat/settings"]["get"]["parameters"];
    assert!(settings.as_array().unwrap().iter().any(|p| p["name"] == "X-Widget-Load" && p["in"] == "header"));
    let open = &doc["paths"]["/v1/webchat/conversations"]["post"];
    assert!(open["description"].as_str().unwrap().contains("origin_required"));
    assert!(open["security"].as_array().unwrap().iter().any(|r| r.get("bearer").is_some()), "{open}");
    app.stop().await;
}
