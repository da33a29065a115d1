//! Logins, passwords and tokens (issue 15, finding 3), at the HTTP level on both backends:
//! throttling with `Retry-After`, the password policy in both languages, token lifetimes,
//! revocation on logout and password change, the `SANGDAM_ADMIN_TOKEN` across restarts, and logins
//! unique per workspace regardless of case.

mod common;

use std::sync::Arc;

use chrono::TimeDelta;
use common::{Backend, PUBLIC_URL, TestApp};
use sangdam::clock::FixedClock;
use sangdam::config::{Config, FileConfig, Overrides};
use sangdam::http::server;
use sangdam::secret::Secret;
use serde_json::{Value, json};

fn clock() -> FixedClock {
    FixedClock::new(chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").expect("a time").to_utc())
}

async fn spawn(backend: Backend, clock: &FixedClock, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    TestApp::spawn_with(backend, Arc::new(clock.clone()), tweak).await
}

/// `POST /v1/auth/login`: status, `Retry-After` and body.
async fn login(app: &TestApp, body: Value, lang: &str) -> (u16, Option<String>, Value) {
    let res =
        app.http.post(app.url("/v1/auth/login")).header("Accept-Language", lang).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, retry, res.json().await.unwrap_or(Value::Null))
}

async fn token_of(app: &TestApp, login_name: &str, password: &str) -> String {
    let (status, _, body) = login(app, json!({"login": login_name, "password": password}), "en").await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// Registers and certifies an agent with `token` (an admin's); returns its id.
async fn agent(app: &TestApp, token: &str, login_name: &str, password: &str) -> String {
    let (status, body) = app
        .call(
            "POST",
            "/v1/accounts",
            Some(token),
            Some(json!({"login": login_name, "password": password, "name": login_name, "role": "agent"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call("POST", &format!("/v1/accounts/{id}/certify"), Some(token), None).await.0, 200);
    id
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.call("GET", "/v1/me", Some(token), None).await.0
}

async fn failed_logins_are_throttled_and_the_lockout_lifts(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |_| {}).await else { return };
    let wrong = json!({"login": app.admin_login, "password": "not-the-password"});
    for _ in 0..5 {
        let (status, retry, body) = login(&app, wrong.clone(), "en").await;
        assert_eq!((status, retry, body["error"].as_str()), (401, None, Some("bad_credentials")));
    }
    let (status, retry, body) = login(&app, wrong.clone(), "en").await;
    assert_eq!((status, body["error"].as_str()), (429, Some("too_many_attempts")), "{body}");
    assert_eq!(retry.as_deref(), Some("60"), "five failures in five minutes: one more try a minute");
    let right = json!({"login": app.admin_login.to_uppercase(), "password": app.admin_password});
    let (status, _, body) = login(&app, right.clone(), "ko").await;
    assert_eq!(status, 429, "even the right password waits: a locked login tells nothing");
    assert!(body["message"].as_str().unwrap().contains("초 뒤에"), "{body}");
    clock.advance(TimeDelta::seconds(60));
    assert_eq!(login(&app, right.clone(), "en").await.0, 200, "the lockout lifts by itself");
    // A success forgets the failures: five more are answered 401 again.
    for _ in 0..5 {
        assert_eq!(login(&app, wrong.clone(), "en").await.0, 401);
    }
    app.stop().await;
}
on_each_backend!(failed_logins_are_throttled_and_the_lockout_lifts);

async fn one_address_is_throttled_across_logins(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |c| c.logins.throttle.per_address = 4).await else { return };
    for i in 0..4 {
        let (status, ..) =
            login(&app, json!({"login": format!("nobody{i}"), "password": "whatever-it-is"}), "en").await;
        assert_eq!(status, 401);
    }
    let (status, retry, _) = login(&app, json!({"login": app.admin_login, "password": app.admin_password}), "en").await;
    assert_eq!((status, retry.as_deref()), (429, Some("75")), "4 attempts per 300 s: one every 75 s");
    clock.advance(TimeDelta::seconds(75));
    assert_eq!(login(&app, json!({"login": app.admin_login, "password": app.admin_password}), "en").await.0, 200);
    app.stop().await;
}
on_each_backend!(one_address_is_throttled_across_logins);

async fn weak_passwords_are_refused_in_the_readers_language(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |_| {}).await else { return };
    let create = |password: &str, lang: &str| {
        app.http
            .post(app.url("/v1/accounts"))
            .bearer_auth(&app.admin_token)
            .header("Accept-Language", lang)
            .json(&json!({"login": "agent.kim", "password": password, "name": "김상담", "role": "agent"}))
            .send()
    };
    for (password, en, ko) in [
        ("aaaaaaaa", "use 10 to 256 characters", "10자 이상"),
        ("aaaaaaaaaa", "different characters", "서로 다른 문자"),
        ("password123", "too common", "흔한 비밀번호"),
        ("Qwertyuiop", "too common", "흔한 비밀번호"),
        ("AGENT.KIM-2026", "contain the login", "아이디"),
    ] {
        for (lang, expected) in [("en-US,en;q=0.9", en), ("ko-KR,ko;q=0.9,en;q=0.5", ko)] {
            let res = create(password, lang).await.unwrap();
            assert_eq!(res.status(), 422, "{password}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "weak_password");
            assert!(body["message"].as_str().unwrap().contains(expected), "{password} {lang}: {body}");
        }
    }
    assert_eq!(create("s3cret-pass", "en").await.unwrap().status(), 201);
    // The generated bootstrap password passes the same rules (the admin can sign in with it).
    assert_eq!(login(&app, json!({"login": "admin", "password": app.admin_password}), "en").await.0, 200);
    app.stop().await;
}
on_each_backend!(weak_passwords_are_refused_in_the_readers_language);

async fn tokens_expire_when_idle_and_when_old(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |c| c.logins.tokens.max = TimeDelta::days(2)).await else { return };
    let idle = token_of(&app, &app.admin_login, &app.admin_password).await;
    let busy = token_of(&app, &app.admin_login, &app.admin_password).await;
    clock.advance(TimeDelta::hours(11));
    assert_eq!(me(&app, &busy).await, 200, "used within 12 hours");
    clock.advance(TimeDelta::hours(1));
    assert_eq!(me(&app, &idle).await, 401, "12 hours without use");
    assert_eq!(me(&app, &busy).await, 200, "its last use an hour ago keeps it alive");
    for _ in 0..3 {
        clock.advance(TimeDelta::hours(11));
        assert_eq!(me(&app, &busy).await, 200);
    }
    clock.advance(TimeDelta::hours(3));
    assert_eq!(me(&app, &busy).await, 401, "two days old: gone however busy");
    app.stop().await;
}
on_each_backend!(tokens_expire_when_idle_and_when_old);

async fn logout_revokes_the_token(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |_| {}).await else { return };
    let token = token_of(&app, &app.admin_login, &app.admin_password).await;
    assert_eq!(me(&app, &token).await, 200);
    assert_eq!(app.call("POST", "/v1/auth/logout", Some(&token), None).await.0, 204);
    assert_eq!(me(&app, &token).await, 401);
    app.stop().await;
}
on_each_backend!(logout_revokes_the_token);

fn config_for(app_db_url: &str, admin_token: &str) -> Config {
    let over = Overrides {
        addr: Some("127.0.0.1:0".into()),
        database_url: Some(app_db_url.into()),
        public_url: Some(PUBLIC_URL.into()),
        ..Default::default()
    };
    Config::resolve(FileConfig::default(), over, Some(Secret::new(admin_token))).expect("config")
}

async fn the_env_admin_token_stays_revoked_across_restarts_and_rotates(backend: Backend) {
    const FIRST: &str = "sdm_first-environment-token-0001";
    const SECOND: &str = "sdm_second-environment-token-0002";
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |c| c.admin_token = Some(Secret::new(FIRST))).await else { return };
    assert_eq!(app.admin_token, FIRST);
    let TestApp { running, db, http, .. } = app;
    let me_at = |addr: std::net::SocketAddr, token: &'static str| {
        let http = http.clone();
        async move { http.get(format!("http://{addr}/v1/me")).bearer_auth(token).send().await.unwrap().status() }
    };
    assert_eq!(me_at(running.addr, FIRST).await, 200);
    clock.advance(TimeDelta::days(60));
    assert_eq!(me_at(running.addr, FIRST).await, 200, "the environment token does not age");
    let res = http.post(format!("http://{}/v1/auth/logout", running.addr)).bearer_auth(FIRST).send().await.unwrap();
    assert_eq!(res.status(), 204);
    running.stop().await.unwrap();

    let restart = |token: &str| {
        let config = config_for(&db.url, token);
        let clock = Arc::new(clock.clone());
        async move { server::start_with(&config, db_store(&config).await, clock).await.expect("restart") }
    };
    let running = restart(FIRST).await;
    assert_eq!(me_at(running.addr, FIRST).await, 401, "a logged-out environment token does not come back");
    running.stop().await.unwrap();

    let running = restart(SECOND).await;
    assert_eq!(me_at(running.addr, SECOND).await, 200, "a new value is taken");
    running.stop().await.unwrap();
    let running = restart(SECOND).await;
    assert_eq!(me_at(running.addr, SECOND).await, 200, "and kept across restarts");
    running.stop().await.unwrap();
    let running = restart(FIRST).await;
    assert_eq!(me_at(running.addr, FIRST).await, 401, "going back to an old value does not revive it");
    assert_eq!(me_at(running.addr, SECOND).await, 200);
    running.stop().await.unwrap();
    db.drop_db().await;
}
on_each_backend!(the_env_admin_token_stays_revoked_across_restarts_and_rotates);

async fn db_store(config: &Config) -> Arc<dyn sangdam::store::Store> {
    sangdam::store::connect(&config.database).await.expect("open store")
}

async fn changing_ones_password_needs_the_current_one_and_revokes_other_tokens(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |_| {}).await else { return };
    let id = agent(&app, &app.admin_token, "agent.kim", "first-pass-1").await;
    let calling = token_of(&app, "agent.kim", "first-pass-1").await;
    let other = token_of(&app, "agent.kim", "first-pass-1").await;
    let path = format!("/v1/accounts/{id}");
    let (status, body) = app.call("PATCH", &path, Some(&calling), Some(json!({"password": "second-pass-2"}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("current_password_required")));
    let wrong = json!({"password": "second-pass-2", "current_password": "guess-it-now"});
    let (status, body) = app.call("PATCH", &path, Some(&calling), Some(wrong)).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("wrong_password")));
    let right = json!({"password": "second-pass-2", "current_password": "first-pass-1"});
    assert_eq!(app.call("PATCH", &path, Some(&calling), Some(right)).await.0, 200);
    assert_eq!(me(&app, &calling).await, 200, "the token that made the change stays");
    assert_eq!(me(&app, &other).await, 401, "every other token is revoked");
    assert_eq!(login(&app, json!({"login": "agent.kim", "password": "first-pass-1"}), "en").await.0, 401);
    let fresh = token_of(&app, "agent.kim", "second-pass-2").await;
    // An admin resetting the agent's password needs no current password and revokes them all.
    let reset = json!({"password": "third-pass-33"});
    assert_eq!(app.call("PATCH", &path, Some(&app.admin_token), Some(reset)).await.0, 200);
    assert_eq!(me(&app, &calling).await, 401);
    assert_eq!(me(&app, &fresh).await, 401);
    assert_eq!(me(&app, &app.admin_token).await, 200);
    token_of(&app, "agent.kim", "third-pass-33").await;
    app.stop().await;
}
on_each_backend!(changing_ones_password_needs_the_current_one_and_revokes_other_tokens);

async fn logins_ignore_case_and_are_unique_only_within_a_workspace(backend: Backend) {
    let clock = clock();
    let Some(app) = spawn(backend, &clock, |_| {}).await else { return };
    let ws_a = app.running.bootstrapped.as_ref().unwrap().workspace.id.to_string();
    agent(&app, &app.admin_token, "Agent.Kim", "kim-password-a").await;
    token_of(&app, "agent.kim", "kim-password-a").await;
    token_of(&app, "AGENT.KIM", "kim-password-a").await;
    let dup = json!({"login": "AGENT.kim", "password": "kim-password-z", "name": "K", "role": "agent"});
    let (status, body) = app.call("POST", "/v1/accounts", Some(&app.admin_token), Some(dup)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("login_taken")), "ADMIN and admin are one login");

    // Another workspace may use the same login (and even `admin`): no 409 tells it exists here.
    let other = app.second_workspace("admin", 3).await;
    let ws_b = other.workspace.id.to_string();
    agent(&app, other.admin_token.expose(), "agent.kim", "kim-password-b").await;

    // Without a workspace the login is ambiguous: refused exactly like a wrong password.
    let (status, _, body) = login(&app, json!({"login": "agent.kim", "password": "kim-password-a"}), "en").await;
    let (wrong_status, _, wrong_body) =
        login(&app, json!({"login": "agent.kim", "password": "not-a-password"}), "en").await;
    assert_eq!((status, &body), (wrong_status, &wrong_body));
    assert_eq!(status, 401);
    for (ws, password) in [(&ws_a, "kim-password-a"), (&ws_b, "kim-password-b")] {
        let (status, _, body) =
            login(&app, json!({"login": "Agent.Kim", "password": password, "workspace": ws}), "en").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["account"]["workspace_id"].as_str(), Some(ws.as_str()));
    }
    let (status, ..) =
        login(&app, json!({"login": "agent.kim", "password": "kim-password-b", "workspace": ws_a}), "en").await;
    assert_eq!(status, 401, "one workspace's password does not open the other's account");
    app.stop().await;
}
on_each_backend!(logins_ignore_case_and_are_unique_only_within_a_workspace);
