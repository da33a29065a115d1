//! The room list, counts and auto-close at a million rooms. Slow to set up, so ignored by default:
//! `cargo test --test queue_store scale -- --ignored --nocapture` prints the timings.

use std::time::{Duration, Instant};

use super::*;

const ROOMS: i64 = 1_000_000;
const COUNSELORS: i64 = 50;

/// Fills the workspace with `ROOMS` rooms (half closed, a third answered, the rest spread over the
/// other statuses),
/// two messages each, straight in SQL.
async fn fill(db: &TestDb, ws: WorkspaceId) {
    let base = 1_700_000_000_i64;
    let statements = |ts: &dyn Fn(&str) -> String, series: &str, uuid: &dyn Fn(&str, &str) -> String| -> Vec<String> {
        let status = "CASE WHEN i % 100 < 50 THEN 'closed' WHEN i % 100 < 55 THEN 'bot' WHEN i % 100 < 60 THEN 'waiting' \
                      WHEN i % 100 < 64 THEN 'received' WHEN i % 100 < 67 THEN 'inquiry' ELSE 'answered' END";
        let last = ts(&format!("{base} + i * 30"));
        vec![
            format!(
                "INSERT INTO accounts (id, workspace_id, login, password_hash, name, role, certified, created_at) \
                 SELECT {}, '{ws}', 'scale' || i, 'x', 'c' || i, 'agent', TRUE, {} FROM {}",
                uuid("b000", "i"),
                ts(&base.to_string()),
                series.replace("LIMIT", &COUNSELORS.to_string())
            ),
            format!(
                "INSERT INTO customers (id, workspace_id, name, phone, tags, created_at) \
                 SELECT {}, '{ws}', 'name' || i, '010-' || i, '[]', {} FROM {}",
                uuid("8000", "i"),
                ts(&base.to_string()),
                series.replace("LIMIT", &ROOMS.to_string())
            ),
            format!(
                "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, assignee_id, last_seq, \
                 last_message_author, last_message_at, created_at, closed_at, close_type, queued) \
                 SELECT {}, '{ws}', 'webchat', {}, {status}, \
                 CASE WHEN i % 100 >= 50 AND i % 100 < 60 THEN NULL ELSE {} END, 2, \
                 CASE WHEN i % 100 >= 67 THEN 'counselor' ELSE 'customer' END, {last}, {}, \
                 CASE WHEN i % 100 < 50 THEN {last} END, CASE WHEN i % 100 < 50 THEN 'counselor' END, TRUE FROM {}",
                uuid("9000", "i"),
                uuid("8000", "i"),
                uuid("b000", &format!("(i % {COUNSELORS} + 1)")),
                ts(&format!("{base} + i * 30 - 3600")),
                series.replace("LIMIT", &ROOMS.to_string())
            ),
            format!(
                "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {}, '{ws}', {}, 1, 'customer', '주문 문의 번호 ' || i, {} FROM {}",
                uuid("a000", "i"),
                uuid("9000", "i"),
                ts(&format!("{base} + i * 30 - 60")),
                series.replace("LIMIT", &ROOMS.to_string())
            ),
            format!(
                "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {}, '{ws}', {}, 2, 'customer', 'Delivery question ' || i, {last} FROM {}",
                uuid("c000", "i"),
                uuid("9000", "i"),
                series.replace("LIMIT", &ROOMS.to_string())
            ),
        ]
    };
    match &db.location {
        sangdam::store::Location::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", path.display())).await.unwrap();
            let ts = |e: &str| format!("strftime('%Y-%m-%dT%H:%M:%S.000000Z', {e}, 'unixepoch')");
            let uuid = |part: &str, e: &str| format!("printf('00000000-0000-7000-{part}-%012d', {e})");
            let series =
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < LIMIT) SELECT i FROM n)";
            for sql in statements(&ts, series, &uuid) {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
            }
            sqlx::query("ANALYZE").execute(&pool).await.unwrap();
            pool.close().await;
        }
        sangdam::store::Location::Postgres(_) => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let ts = |e: &str| format!("to_timestamp({e})");
            let uuid = |part: &str, e: &str| format!("'00000000-0000-7000-{part}-' || lpad(({e})::text, 12, '0')");
            let series = "generate_series(1, LIMIT) AS n(i)";
            for sql in statements(&ts, series, &uuid) {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
            }
            sqlx::query("VACUUM ANALYZE").execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// The slowest of `runs` runs of `f`.
async fn worst<F, Fut, T>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut worst = Duration::ZERO;
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        worst = worst.max(started.elapsed());
    }
    worst
}

async fn at_scale(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else { return };
    let store = db.store().await;
    let now = at("2026-11-21T09:00:00Z");
    let (ws, _) = workspace(store.as_ref(), now, "admin").await;
    let started = Instant::now();
    fill(&db, ws).await;
    println!("{backend:?}: filled {ROOMS} rooms in {:?}", started.elapsed());
    let store_arc = store;
    let store = store_arc.as_ref();
    // Counselor 11 has the rooms i with i % 50 = 10: some of them received (i % 100 = 60).
    let counselor: AccountId = "00000000-0000-7000-b000-000000000011".parse().unwrap();
    let mut cases: Vec<(&str, RoomQuery, Duration)> = Vec::new();
    let base = query(ws);
    let mine = Scope::Counselors { ids: vec![counselor], bot: false };
    let closed_from = Some(at("2024-10-27T00:00:00Z"));
    for (name, q, limit) in [
        ("waiting", RoomQuery { tab: Tab::Waiting, ..base.clone() }, 50),
        ("bot asc", RoomQuery { tab: Tab::Bot, sort: Sort::LastMessageAsc, ..base.clone() }, 50),
        ("in progress", RoomQuery { tab: Tab::InProgress, ..base.clone() }, 50),
        ("received by created", RoomQuery { tab: Tab::Received, sort: Sort::CreatedDesc, ..base.clone() }, 50),
        ("mine received", RoomQuery { tab: Tab::Received, scope: mine.clone(), ..base.clone() }, 50),
        ("closed today", RoomQuery { tab: Tab::Closed, closed_from, ..base.clone() }, 50),
        (
            "closed all",
            RoomQuery { tab: Tab::Closed, closed_from: Some(at("2000-01-01T00:00:00Z")), ..base.clone() },
            50,
        ),
        (
            "phone",
            RoomQuery {
                tab: Tab::Closed,
                closed_from: Some(at("2000-01-01T00:00:00Z")),
                search: Some((SearchField::Phone, "010-4200".into())),
                ..base.clone()
            },
            50,
        ),
        (
            "content common",
            RoomQuery { tab: Tab::Waiting, search: Some((SearchField::Content, "delivery".into())), ..base.clone() },
            50,
        ),
        (
            "content rare",
            RoomQuery {
                tab: Tab::Waiting, search: Some((SearchField::Content, "번호 500088".into())), ..base.clone()
            },
            50,
        ),
        (
            "content rare closed",
            RoomQuery {
                tab: Tab::Closed,
                closed_from: Some(at("2000-01-01T00:00:00Z")),
                search: Some((SearchField::Content, "번호 500001".into())),
                ..base.clone()
            },
            50,
        ),
    ] {
        let q = RoomQuery { limit, ..q };
        let rows = store.list_rooms(&q).await.unwrap();
        let took = worst(5, || store.list_rooms(&q)).await;
        println!("{backend:?}: {name}: {} rooms, worst {took:?}", rows.len());
        cases.push((name, q, took));
    }
    let took = worst(5, || store.room_counts(ws, &Scope::All, at("2026-11-01T00:00:00Z"))).await;
    println!("{backend:?}: counts, worst {took:?}");
    let took = worst(5, || store.room_counts(ws, &mine, at("2026-11-01T00:00:00Z"))).await;
    println!("{backend:?}: counts for one counselor, worst {took:?}");
    // Rule (a) over the answered third, 100,000 at a time.
    let s = AutoCloseSettings { enabled: true, wait_minutes: 60, ..AutoCloseSettings::default() };
    let started = Instant::now();
    let due = store.due_rooms(ws, &s, at("2027-01-01T00:00:00Z"), 100_000).await.unwrap();
    println!("{backend:?}: {} due rooms found in {:?}", due.len(), started.elapsed());
    let started = Instant::now();
    let closed = store.auto_close(&due, Some("자동 종료"), at("2027-01-01T00:00:00Z")).await.unwrap();
    println!("{backend:?}: {} rooms auto-closed in {:?}", closed.len(), started.elapsed());
    store.close().await;
    drop(store_arc);
    db.drop_db().await;
}

fn query(ws: WorkspaceId) -> RoomQuery {
    RoomQuery {
        workspace_id: ws,
        scope: Scope::All,
        tab: Tab::Waiting,
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

#[tokio::test]
#[ignore = "fills a million rooms; run by hand"]
async fn sqlite() {
    at_scale(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "fills a million rooms; run by hand"]
async fn postgres() {
    at_scale(Backend::Postgres).await;
}
