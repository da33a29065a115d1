//! The store under faults: a full disk heals once space is back, and a PostgreSQL server that is
//! gone shows quickly in `/healthz` and at start-up.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, TestApp, TestDb};
use sangdam::clock::SystemClock;
use sangdam::store::sqlite::SqliteStore;
use sangdam::store::{Location, RoomStore, Store, WorkspaceStore};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const ADMIN_TOKEN: &str = "sdm_store-faults-test-admin-token-0123456789";

/// A small tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts `size` (e.g. `8m`); `None` when this process may not mount (not root). Under CI,
    /// which runs as root, failing to mount fails the test instead of skipping it.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::inherit())
            .status();
        match status {
            Ok(s) if s.success() => Some(Tmpfs { dir }),
            other if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
                panic!("under CI the full-disk test must run, but mounting a tmpfs failed: {other:?}")
            }
            other => {
                eprintln!("note: cannot mount a tmpfs ({other:?}); skipping the real full-disk test");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// Writes zeros to `path` until the file system refuses; the disk is then full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0u8; 64 * 1024];
    for size in [chunk.len(), 4096, 512, 1] {
        while file.write_all(&chunk[..size]).and_then(|()| file.flush()).is_ok() {}
    }
    let _ = file.sync_all();
}

/// A webchat conversation: its id, token and the widget key.
struct Conversation {
    id: String,
    token: String,
}

async fn open(http: &reqwest::Client, base: &str, key: &str) -> reqwest::Response {
    http.post(format!("{base}/v1/webchat/conversations"))
        .header("X-Widget-Key", key)
        .json(&json!({"customer": {"name": "Full disk"}}))
        .send()
        .await
        .unwrap()
}

async fn post(http: &reqwest::Client, base: &str, c: &Conversation, n: usize) -> reqwest::Response {
    // Long texts make the database grow quickly.
    let text = format!("message {n} {}", "x".repeat(2000));
    http.post(format!("{base}/v1/webchat/conversations/{}/messages", c.id))
        .bearer_auth(&c.token)
        .json(&json!({"text": text, "client_message_id": format!("c-{n}")}))
        .send()
        .await
        .unwrap()
}

async fn widget_key(http: &reqwest::Client, base: &str) -> String {
    let channel: Value = http
        .get(format!("{base}/v1/channels/webchat"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    channel["widget_key"].as_str().unwrap().to_owned()
}

/// Checks a refusal is the 503 that names a full disk, with `Retry-After`.
async fn assert_full(res: reqwest::Response) {
    assert_eq!(res.status(), 503, "a write on a full disk is refused with 503");
    assert!(res.headers().get("retry-after").is_some(), "a 503 says when to retry");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "store_unavailable", "{body}");
    assert!(body["message"].as_str().unwrap().contains("full"), "{body}");
}

async fn healthz(http: &reqwest::Client, base: &str) -> (u16, Value) {
    let res = http.get(format!("{base}/healthz")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// The real binary, killed when dropped so a failing test leaves no server behind.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(db: &TestDb) -> Server {
    let (child, base) = common::serve(db, ADMIN_TOKEN, &[]);
    Server { child, base }
}

fn message_id(body: &Value) -> String {
    body["message_id"].as_str().expect("a message id").to_owned()
}

/// The real binary on a database in a small tmpfs: fill the disk until writes fail, free it, and
/// the same process writes again; nothing acknowledged is lost.
#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_heals() {
    let Some(fs) = Tmpfs::mount("16m") else { return };
    let db = TestDb::sqlite_at(fs.path().join("sangdam.db"));
    let http = reqwest::Client::new();
    let server = start(&db);
    let base = server.base.clone();
    let key = widget_key(&http, &base).await;
    let opened: Value = open(&http, &base, &key).await.json().await.unwrap();
    let c = Conversation {
        id: opened["conversation_id"].as_str().unwrap().into(),
        token: opened["token"].as_str().unwrap().into(),
    };

    let mut acked = HashSet::new();
    for n in 0..5 {
        let res = post(&http, &base, &c, n).await;
        assert_eq!(res.status(), 202);
        acked.insert(message_id(&res.json().await.unwrap()));
    }

    let filler: PathBuf = fs.path().join("filler");
    fill(&filler);
    let mut n = 5;
    let refused = loop {
        let res = post(&http, &base, &c, n).await;
        n += 1;
        if res.status() != 202 {
            break res;
        }
        acked.insert(message_id(&res.json().await.unwrap()));
        assert!(n < 5_000, "the disk never filled");
    };
    assert_full(refused).await;
    // Still refused cleanly (not the 500 of a writer stuck in its failed transaction), message and
    // conversation writes alike, and the health check says so.
    assert_full(post(&http, &base, &c, n).await).await;
    n += 1;
    assert_full(open(&http, &base, &key).await).await;
    let (status, body) = healthz(&http, &base).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "store_unavailable", "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("full"), "{body}");

    // Space is back: the same process writes again.
    std::fs::remove_file(&filler).unwrap();
    let res = post(&http, &base, &c, n).await;
    assert_eq!(res.status(), 202, "writes succeed once space is back");
    acked.insert(message_id(&res.json().await.unwrap()));
    assert_eq!(open(&http, &base, &key).await.status(), 201);
    let (status, body) = healthz(&http, &base).await;
    assert_eq!(status, 200, "{body}");

    // After a restart every acknowledged message is there.
    drop(server);
    let server = start(&db);
    let stored: HashSet<String> = common::history(&http, &server.base, &c.id, &c.token)
        .await
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged messages were lost: {lost:?}", lost.len());
}

/// The same on any machine: SQLite's own page cap makes the database full, a real SQLITE_FULL at
/// the same place as a full disk's.
#[tokio::test]
async fn a_full_database_refuses_writes_with_503_and_heals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sangdam.db");
    let sqlite = SqliteStore::open(&path).await.expect("open store");
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    let app = TestApp::spawn_on_store(TestDb::sqlite_at(path.clone()), store, Arc::new(SystemClock), |_| {}).await;
    let (http, base) = (app.http.clone(), app.base.clone());
    let opened: Value = open(&http, &base, &app.widget_key).await.json().await.unwrap();
    let c = Conversation {
        id: opened["conversation_id"].as_str().unwrap().into(),
        token: opened["token"].as_str().unwrap().into(),
    };
    let mut acked = HashSet::new();
    for n in 0..5 {
        let res = post(&http, &base, &c, n).await;
        assert_eq!(res.status(), 202);
        acked.insert(message_id(&res.json().await.unwrap()));
    }

    // The cap cannot go below the file's size: the database is full at what it holds now.
    sqlite.limit_pages(Some(1)).await.unwrap();
    let mut n = 5;
    let refused = loop {
        let res = post(&http, &base, &c, n).await;
        n += 1;
        if res.status() != 202 {
            break res;
        }
        acked.insert(message_id(&res.json().await.unwrap()));
        assert!(n < 5_000, "the database never filled");
    };
    assert_full(refused).await;
    assert_full(post(&http, &base, &c, n).await).await;
    n += 1;
    // A conversation may still fit in the pages the database has; it never fails with a 500.
    let status = open(&http, &base, &app.widget_key).await.status();
    assert!(status == 201 || status == 503, "{status}");
    let (status, body) = healthz(&http, &base).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("full"), "{body}");

    sqlite.limit_pages(None).await.unwrap();
    let res = post(&http, &base, &c, n).await;
    assert_eq!(res.status(), 202, "writes succeed once there is room");
    acked.insert(message_id(&res.json().await.unwrap()));
    assert_eq!(open(&http, &base, &app.widget_key).await.status(), 201);
    let (status, body) = healthz(&http, &base).await;
    assert_eq!(status, 200, "{body}");

    // Reopened, the database holds every acknowledged message.
    app.running.stop().await.expect("clean shutdown");
    sqlite.close().await;
    let store = SqliteStore::open(&path).await.expect("reopen");
    let ws = store.first_admin().await.unwrap().unwrap().workspace_id;
    let room = c.id.parse().expect("a room id");
    let stored: HashSet<String> =
        store.recent_messages(ws, room, 10_000).await.unwrap().into_iter().map(|m| m.id.to_string()).collect();
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged messages were lost: {lost:?}", lost.len());
    store.close().await;
}

/// Forwards TCP connections to `target` until stopped; stopping closes the port and every
/// connection through it, as a server that went away would.
struct Proxy {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(listen: SocketAddr, target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(listen).await.expect("proxy port");
        let addr = listener.local_addr().unwrap();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let spawned = Arc::clone(&tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                spawned.lock().unwrap().push(pipe);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { addr, tasks }
    }

    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

/// PostgreSQL goes away under a running engine: `/healthz` says 503 within its 2 s bound (not after
/// the pool's 10 s), requests are refused with 503, and both recover when the server is back.
#[tokio::test]
async fn postgres_gone_shows_in_healthz_within_seconds() {
    let Some(db) = TestDb::new(Backend::Postgres).await else { return };
    let options: sqlx::postgres::PgConnectOptions = db.url.parse().unwrap();
    let real = format!("{}:{}", options.get_host(), options.get_port());
    let target: SocketAddr = tokio::net::lookup_host(&real).await.unwrap().next().unwrap();
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap(), target).await;
    let through = db.url.replacen(&real, &proxy.addr.to_string(), 1);
    assert_ne!(through, db.url, "the test URL names {real}");
    let store = sangdam::store::connect(&Location::parse(&through).unwrap()).await.expect("store via proxy");
    let app = TestApp::spawn_on_store(db, store, Arc::new(SystemClock), |_| {}).await;
    let (status, body) = healthz(&app.http, &app.base).await;
    assert_eq!(status, 200, "{body}");

    proxy.stop();
    let started = Instant::now();
    let (status, body) = healthz(&app.http, &app.base).await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "store_unavailable", "{body}");
    assert!(took < Duration::from_secs(5), "the health check took {took:?}");
    let res = app.http.get(app.url("/v1/channels/webchat")).bearer_auth(&app.admin_token).send().await.unwrap();
    assert_eq!(res.status(), 503, "a request while the database is gone is refused, not failed");
    assert!(res.headers().get("retry-after").is_some());

    // The server is back on the same address.
    let back = Proxy::start(proxy.addr, target).await;
    let mut status = 0;
    for _ in 0..50 {
        (status, _) = healthz(&app.http, &app.base).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "healthy again once the server is back");
    app.stop().await;
    back.stop();
}

/// Start-up against a closed port fails at once and names the host and port, never the password.
#[tokio::test]
async fn connecting_to_a_closed_port_names_it_at_once() {
    let port = closed_port().await;
    let url = format!("postgres://sangdam:hunter2-secret@127.0.0.1:{port}/sangdam");
    let started = Instant::now();
    let Err(e) = sangdam::store::connect(&Location::parse(&url).unwrap()).await else {
        panic!("connected to a closed port")
    };
    let took = started.elapsed();
    let text = e.to_string();
    assert!(took < Duration::from_secs(3), "failing took {took:?}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    // The binary says the same and exits.
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sangdam"))
            .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
            .env_remove("SANGDAM_ADMIN_TOKEN")
            .output()
    });
    let out = tokio::time::timeout(Duration::from_secs(30), out).await.expect("the engine exits").unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "exiting took {:?}", started.elapsed());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
