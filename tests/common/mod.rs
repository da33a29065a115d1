//! Test harness: fresh databases on both backends, a server on a free port, an SSE reader.
#![allow(dead_code)]

pub mod helpdesk;
pub mod rooms;
pub mod twilio;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use sangdam::clock::SystemClock;
use sangdam::config::{Config, FileConfig, Overrides};
use sangdam::http::server::{self, Running};
use sangdam::store::{Location, Store};
use sangdam::workspaces::provision::{self, Provisioned, WorkspaceSpec};
use serde_json::Value;

/// Runs a store test body once on a fresh database of `backend`, with a clock standing at
/// 2026-11-21T09:00:00.123456Z; does nothing when PostgreSQL is not configured locally.
pub async fn with_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Arc<dyn Store>, sangdam::clock::FixedClock) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDb::new(backend).await else { return };
    let store = db.store().await;
    assert_eq!(store.backend(), if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-21T09:00:00.123456Z").expect("a time").to_utc();
    body(Arc::clone(&store), sangdam::clock::FixedClock::new(start)).await;
    store.close().await;
    db.drop_db().await;
}

/// Runs the store test `$body(store, clock)` once per backend, through [`with_store`].
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                $crate::common::with_store($crate::common::Backend::Sqlite, super::$body).await;
            }
            #[tokio::test]
            async fn postgres() {
                $crate::common::with_store($crate::common::Backend::Postgres, super::$body).await;
            }
        }
    };
}

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const PG_ENV: &str = "SANGDAM_TEST_DATABASE_URL";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL, or `None` to skip PostgreSQL runs locally. Under CI a missing URL fails.
pub fn pg_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
            panic!("{PG_ENV} must be set under CI: the store suite runs on PostgreSQL too")
        }
        _ => {
            eprintln!("note: {PG_ENV} is not set; skipping the PostgreSQL run of this test");
            None
        }
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub location: Location,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// A new empty database on `backend`; `None` when PostgreSQL is not configured locally.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("sangdam.db");
                Some(TestDb {
                    url: format!("sqlite:{}", path.display()),
                    location: Location::Sqlite(path),
                    _dir: Some(dir),
                    pg_admin: None,
                })
            }
            Backend::Postgres => {
                let admin = pg_url()?;
                let name = format!("sangdam_t_{}", uuid::Uuid::new_v4().simple());
                let conn = sqlx::PgPool::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {PG_ENV} is unreachable: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&conn)
                    .await
                    .expect("create test database");
                conn.close().await;
                let url = with_database(&admin, &name);
                Some(TestDb {
                    location: Location::parse(&url).expect("pg url"),
                    url,
                    _dir: None,
                    pg_admin: Some((admin, name)),
                })
            }
        }
    }

    /// Opens the store on this database.
    pub async fn store(&self) -> Arc<dyn Store> {
        sangdam::store::connect(&self.location).await.expect("open store")
    }

    /// Drops a PostgreSQL test database (SQLite's goes with its temp dir).
    pub async fn drop_db(self) {
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(conn) = sqlx::PgPool::connect(admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&conn)
                .await;
            conn.close().await;
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// Starts the real `sangdam serve` binary on a free port over `db`, with the admin token and extra
/// environment; returns the process and its base URL once it listens.
pub fn serve(db: &TestDb, admin_token: &str, env: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sangdam"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &db.url, "--public-url", PUBLIC_URL])
        .env("SANGDAM_ADMIN_TOKEN", admin_token)
        .env("RUST_LOG", "warn")
        .env("SANGDAM_OUTBOUND_ALLOW", TEST_OUTBOUND_ALLOW)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn sangdam");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("the server prints its address").expect("a line");
        if let Some(rest) = line.strip_prefix("sangdam listening on ") {
            break rest.split_whitespace().next().expect("an address").to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

/// What the test servers' outbound guard allows: the loopback address the mocks listen on.
pub const TEST_OUTBOUND_ALLOW: &str = "127.0.0.1/32";

/// The public URL test servers believe they are reached at (as behind a proxy); Twilio signs
/// webhooks with it.
pub const PUBLIC_URL: &str = "https://sangdam.test";

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub running: Running,
    pub admin_token: String,
    /// The first admin's login and generated password, for signing in as a person would.
    pub admin_login: String,
    pub admin_password: String,
    pub widget_key: String,
    pub db: TestDb,
}

impl TestApp {
    /// Starts a server on a fresh database; `None` when the backend is not available locally.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, Arc::new(SystemClock), |_| {}).await
    }

    /// Like [`TestApp::spawn`] with a given clock and configuration changes.
    pub async fn spawn_with(
        backend: Backend,
        clock: Arc<dyn sangdam::clock::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        init_test_logs();
        let db = TestDb::new(backend).await?;
        let store = db.store().await;
        Some(Self::spawn_on_store(db, store, clock, tweak).await)
    }

    /// Like [`TestApp::spawn_with`] on a store the test opened itself (through a proxy, or with a
    /// handle it keeps for injecting faults); `db` is the database it uses.
    pub async fn spawn_on_store(
        db: TestDb,
        store: Arc<dyn Store>,
        clock: Arc<dyn sangdam::clock::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let over = Overrides {
            addr: Some("127.0.0.1:0".into()),
            database_url: Some(db.url.clone()),
            public_url: Some(PUBLIC_URL.into()),
            ..Default::default()
        };
        let mut config = Config::resolve(FileConfig::default(), over, None).expect("config");
        // The mocks of outside APIs listen on loopback, which the outbound guard refuses unless
        // allowed; tests that check the refusal clear this in `tweak`.
        config.outbound_allow = sangdam::outbound::AllowList::parse(TEST_OUTBOUND_ALLOW).expect("allow list");
        tweak(&mut config);
        let running = server::start_with(&config, store, clock).await.expect("server starts");
        let made = running.bootstrapped.as_ref().expect("an empty database is bootstrapped");
        let admin_token = made.admin_token.expose().to_owned();
        let widget_key = made.widget_key.clone();
        let admin_login = made.admin.login.clone();
        let admin_password = made.generated_password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
        TestApp {
            base: format!("http://{}", running.addr),
            http: reqwest::Client::new(),
            running,
            admin_token,
            admin_login,
            admin_password,
            widget_key,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A second workspace on the same database.
    pub async fn second_workspace(&self, admin_login: &str, seats: i64) -> Provisioned {
        let spec = WorkspaceSpec {
            name: "Other brand".into(),
            seats,
            time_zone: "Asia/Seoul".into(),
            admin_login: admin_login.into(),
            admin_password: None,
            admin_token: None,
        };
        provision::provision(self.running.store.as_ref(), &SystemClock, spec, false)
            .await
            .expect("provision")
            .expect("created")
    }

    /// Sends a JSON request with an optional bearer token; returns the status and the JSON body
    /// (`Null` when there is none).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Opens a webchat conversation; returns (id, token).
    /// Opens a conversation as the brand's server does (widget key and the admin's token), so it
    /// works whatever origins the channel allows.
    pub async fn open_conversation(&self, customer: Value) -> (String, String) {
        let res = self
            .http
            .post(self.url("/v1/webchat/conversations"))
            .header("X-Widget-Key", &self.widget_key)
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({ "customer": customer }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        (body["conversation_id"].as_str().unwrap().into(), body["token"].as_str().unwrap().into())
    }

    /// Loads the widget on a page of `origin` as a browser would; see [`load_widget`].
    pub async fn load_widget(&self, origin: &str) -> reqwest::Response {
        load_widget(&self.http, &self.base, &self.widget_key, origin).await
    }

    /// Posts a customer message; returns the status and body.
    pub async fn post_message(&self, id: &str, token: &str, text: &str, client_id: &str) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(&format!("/v1/webchat/conversations/{id}/messages")))
            .bearer_auth(token)
            .json(&serde_json::json!({ "text": text, "client_message_id": client_id }))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The conversation's history as the customer reads it.
    pub async fn history(&self, id: &str, token: &str) -> Vec<Value> {
        history(&self.http, &self.base, id, token).await
    }

    pub async fn stop(self) {
        self.running.stop().await.expect("clean shutdown");
        self.db.drop_db().await;
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// Reads server-sent events from a streaming response.
pub struct SseReader {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl SseReader {
    pub fn new(res: reqwest::Response) -> Self {
        Self { stream: res.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The next event (comments and keep-alives skipped); panics after `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> SseEvent {
        tokio::time::timeout(Duration::from_secs(secs), self.next_inner()).await.expect("an event in time")
    }

    async fn next_inner(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { id: None, event: None, data: String::new() };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().into());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = Some(v.trim().into());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data.push_str(v.trim_start());
                    }
                }
                if event.event.is_some() || !event.data.is_empty() {
                    return event;
                }
                continue;
            }
            let chunk = self.stream.next().await.expect("stream open").expect("stream chunk");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Logs to the test output when `TEST_LOG` is set.
pub fn init_test_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt().with_env_filter("debug,hyper=info,h2=info").with_test_writer().try_init();
    }
}

/// `GET /v1/webchat/conversations/{id}/messages` on any engine.
pub async fn history(http: &reqwest::Client, base: &str, id: &str, token: &str) -> Vec<Value> {
    let res =
        http.get(format!("{base}/v1/webchat/conversations/{id}/messages")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["messages"].as_array().expect("a messages array").clone()
}

/// Runs `async fn $scenario(backend: Backend)` as two tests, `$scenario::sqlite` and
/// `$scenario::postgres`.
#[macro_export]
macro_rules! on_each_backend {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario($crate::common::Backend::Postgres).await;
            }
        }
    };
}

impl TestDb {
    /// A SQLite database at `path`, which the caller creates and removes (a file system the test
    /// mounted, say).
    pub fn sqlite_at(path: std::path::PathBuf) -> TestDb {
        TestDb {
            url: format!("sqlite:{}", path.display()),
            location: Location::Sqlite(path),
            _dir: None,
            pg_admin: None,
        }
    }
}

/// Loads the widget on a page of `origin` as a browser would: fetches `/widget.js`, takes the load
/// token out of it and sends it with the settings call, which records the origin. Returns the
/// settings answer.
pub async fn load_widget(http: &reqwest::Client, base: &str, key: &str, origin: &str) -> reqwest::Response {
    let script = http.get(format!("{base}/widget.js")).send().await.unwrap().text().await.unwrap();
    http.get(format!("{base}/v1/webchat/settings"))
        .header("X-Widget-Key", key)
        .header("Origin", origin)
        .header("X-Widget-Load", load_token(&script))
        .send()
        .await
        .unwrap()
}

/// The load token in a served copy of `/widget.js`.
pub fn load_token(script: &str) -> String {
    let start = script.find("const LOAD_TOKEN = \"").expect("the served widget carries a load token") + 20;
    let len = script[start..].find('"').unwrap();
    script[start..start + len].to_owned()
}
