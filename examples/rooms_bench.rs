//! Room queue benchmark: the room list, content search and the auto-close sweep at a million rooms.
//!
//! Seeds one workspace with `--rooms` rooms (default 1,000,000) straight through SQL, two messages
//! each: `--eligible` answered rooms whose customer went silent two days ago (default 100,000),
//! 50,000 other open rooms that are not due, and closed rooms spread evenly over the last 90 days. Then
//! it starts the engine on that database and measures `GET /v1/rooms` per tab and sort, and
//! content searches, over real HTTP; stops it, switches auto-close on (with a closing message) and
//! times one sweep, which must close exactly the eligible rooms.
//!
//! ```sh
//! cargo run --release --example rooms_bench
//! cargo run --release --example rooms_bench -- --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//! With PostgreSQL the benchmark creates (and afterwards drops) its own database,
//! `sangdam_rooms_bench`, on that server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DurationRound, TimeDelta, Utc};
use clap::Parser;
use sangdam::clock::SystemClock;
use sangdam::config::{Config, FileConfig, Overrides};
use sangdam::http::server;
use sangdam::rooms::autoclose::AutoCloseSettings;
use sangdam::rooms::queue::QueueSettings;
use sangdam::rooms::sweeper::{self, Effects};
use sangdam::workspaces::provision::{self, WorkspaceSpec};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Rooms in the workspace.
    #[arg(long, default_value_t = 1_000_000)]
    rooms: i64,
    /// Of which due to auto-close.
    #[arg(long, default_value_t = 100_000)]
    eligible: i64,
    /// Requests per measured list query.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// A PostgreSQL server to run on (a database of its own is created there) instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
    /// PostgreSQL only: seed, switch auto-close on and stop, keeping the database (for profiling
    /// the sweep with `sangdam rooms sweep` on copies of it). Pass `--requests 1` to skip most of the lists.
    #[arg(long)]
    seed_only: bool,
}

const OTHER_OPEN: i64 = 50_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        !args.seed_only || args.database_url.is_some(),
        "--seed-only keeps a PostgreSQL database: give --database-url"
    );
    let dir = tempfile::tempdir()?;
    let url = match &args.database_url {
        Some(server_url) => fresh_pg_database(server_url).await?,
        None => format!("sqlite:{}", dir.path().join("sangdam.db").display()),
    };
    let over = Overrides { addr: Some("127.0.0.1:0".into()), database_url: Some(url.clone()), ..Default::default() };
    let config = Config::resolve(FileConfig::default(), over, None)?;
    let store = sangdam::store::connect(&config.database).await?;
    let backend = store.backend();
    let spec = WorkspaceSpec {
        name: "Room bench".into(),
        seats: 10,
        time_zone: "Asia/Seoul".into(),
        admin_login: format!("bench-{}", uuid::Uuid::new_v4().simple()),
        admin_password: None,
        admin_token: None,
    };
    let made = provision::provision(store.as_ref(), &SystemClock, spec, false).await?.expect("created");
    let ws = made.workspace.id;
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1))?;

    let started = Instant::now();
    seed(&url, &ws.to_string(), &made.admin.id.to_string(), args.rooms, args.eligible, now).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    eprintln!("seeded {} rooms on {backend} in {seed_seconds:.1} s", args.rooms);

    // The list and search, over HTTP, with auto-close still off.
    let running = server::start_with(&config, store, Arc::new(SystemClock)).await?;
    let base = format!("http://{}", running.addr);
    let token = made.admin_token.expose().to_owned();
    let http = reqwest::Client::new();
    let mut lists = serde_json::Map::new();
    for query in [
        "status=answered",
        "status=answered&sort=last_message_asc",
        "status=inquiry&sort=created_desc",
        "status=waiting&sort=created_asc",
        "status=closed",
        "status=hold",
    ] {
        lists.insert(query.into(), measure(&http, &base, &token, query, args.requests).await?);
    }
    let mut searches = serde_json::Map::new();
    for query in [
        "status=answered&q=%ED%99%98%EB%B6%88",          // 환불: common
        "status=inquiry&q=gift%20wrap",                  // English, case-insensitive
        "status=received&q=order%20100042",              // one room
        "status=answered&q=order%20100042",              // in no room of this tab
        "status=received&q=%EC%98%81%EC%88%98%EC%A6%9D", // 영수증: no room has it
    ] {
        searches.insert(query.into(), measure(&http, &base, &token, query, args.requests).await?);
    }
    let counts = measure(&http, &base, &token, "counts", args.requests / 4).await?;
    running.stop().await?;

    // The sweep, with the closing message on.
    let store = sangdam::store::connect(&config.database).await?;
    let settings = QueueSettings {
        auto_close: AutoCloseSettings {
            enabled: true,
            wait_minutes: 60,
            message: Some("상담이 자동 종료되었습니다. 더 궁금한 점이 있으면 다시 문의해 주세요.".into()),
            ..AutoCloseSettings::default()
        },
        ..QueueSettings::default()
    };
    store.save_queue_settings(ws, &settings, None, now).await?;
    if args.seed_only {
        eprintln!("seeded and kept: {url}");
        return Ok(());
    }
    let started = Instant::now();
    let closed = sweeper::auto_close(store.as_ref(), &Effects::default(), Utc::now(), false, |_| {}).await?;
    let sweep_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(closed as i64 == args.eligible, "the sweep closed {closed} rooms, not {}", args.eligible);
    let again = sweeper::auto_close(store.as_ref(), &Effects::default(), Utc::now(), false, |_| {}).await?;
    anyhow::ensure!(again == 0, "a second sweep closed {again} more rooms");
    store.close().await;
    if let Some(server_url) = &args.database_url {
        drop_pg_database(server_url).await?;
    }

    let report = json!({
        "backend": backend,
        "rooms": args.rooms,
        "eligible": args.eligible,
        "seed_seconds": round(seed_seconds),
        "sweep_seconds": round(sweep_seconds),
        "swept": closed,
        "list_ms": lists,
        "search_ms": searches,
        "counts_ms": counts,
    });
    println!("{report}");
    Ok(())
}

/// Runs `GET /v1/rooms?QUERY` (or `/v1/rooms/counts`) `n` times; p50/p99/max in milliseconds and
/// how many rooms the first answer held.
async fn measure(http: &reqwest::Client, base: &str, token: &str, query: &str, n: usize) -> anyhow::Result<Value> {
    let url = if query == "counts" { format!("{base}/v1/rooms/counts") } else { format!("{base}/v1/rooms?{query}") };
    let mut times = Vec::with_capacity(n);
    let mut found = None;
    for _ in 0..n.max(1) {
        let started = Instant::now();
        let response = http.get(&url).bearer_auth(token).send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        times.push(started.elapsed());
        anyhow::ensure!(status.is_success(), "{url}: {status} {body}");
        found.get_or_insert_with(|| body["rooms"].as_array().map_or(0, Vec::len));
    }
    times.sort();
    let at = |q: f64| ms(times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1]);
    Ok(json!({"p50": at(0.50), "p99": at(0.99), "max": ms(times[times.len() - 1]), "rooms": found}))
}

fn ms(d: Duration) -> f64 {
    round(d.as_secs_f64() * 1000.0)
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Messages the seeded customers and counselors write, by room number modulo their count.
const CUSTOMER_LINES: [&str; 8] = [
    "주문번호 {n} 배송이 언제 오나요?",
    "환불 요청합니다. 주문 {n} 취소해 주세요",
    "Where is my order {n}? It has been a week",
    "교환하고 싶어요 사이즈가 안 맞아요 ({n})",
    "Can I get gift wrapping on order {n}?",
    "적립금이 안 들어왔어요 주문 {n}",
    "배송지 변경 가능할까요? {n}",
    "Do you ship to Canada? Asking about order {n}",
];
const COUNSELOR_LINES: [&str; 4] = [
    "확인해 보니 내일 도착 예정입니다.",
    "환불 접수되었습니다. 3영업일 내 처리됩니다.",
    "Gift wrap has been added to your order.",
    "교환 신청서를 보내드렸어요.",
];

async fn seed(
    url: &str,
    ws: &str,
    admin: &str,
    rooms: i64,
    eligible: i64,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let customer_case = sql_case(&CUSTOMER_LINES);
    let counselor_case = sql_case(&COUNSELOR_LINES);
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        let statements = [
            format!(
                "INSERT INTO customers (id, workspace_id, name, phone, email, tags, created_at) \
                 SELECT {id}, '{ws}', '고객' || n, '+8210' || lpad(n::text, 8, '0'), 'c' || n || '@example.com', \
                 '[]', $1 - n * interval '1 second' FROM generate_series(1, {rooms}) n",
                id = pg_id("c")
            ),
            format!(
                "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, assignee_id, tags, last_seq, \
                 last_message_author, last_message_at, created_at, close_type, closed_at, processed, queued, version) \
                 SELECT {rid}, '{ws}', 'webchat', {cid}, \
                   CASE WHEN n <= {eligible} THEN 'answered' WHEN n <= {open} THEN \
                     (ARRAY['waiting','received','inquiry'])[1 + n % 3] ELSE 'closed' END, \
                   CASE WHEN n <= {eligible} OR (n <= {open} AND n % 3 <> 0) THEN '{admin}' END, '[]', 2, \
                   CASE WHEN n <= {eligible} THEN 'counselor' WHEN n <= {open} THEN 'customer' ELSE 'counselor' END, \
                   CASE WHEN n <= {eligible} THEN $1 - interval '2 days' - n * interval '1 second' \
                        WHEN n <= {open} THEN $1 - (n % 3600) * interval '1 second' \
                        ELSE $1 - ((n::bigint * 7919) % 7776000) * interval '1 second' END, \
                   $1 - interval '100 days' + n * interval '1 second', \
                   CASE WHEN n > {open} THEN 'auto' END, \
                   CASE WHEN n > {open} THEN $1 - ((n::bigint * 7919) % 7776000) * interval '1 second' END, n > {open}, TRUE, 1 \
                 FROM generate_series(1, {rooms}) n",
                rid = pg_id("r"),
                cid = pg_id("c"),
                open = eligible + OTHER_OPEN
            ),
            format!(
                "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {mid}, '{ws}', {rid}, 1, 'customer', replace({customer_case}, '{{n}}', n::text), \
                   $1 - interval '3 days' FROM generate_series(1, {rooms}) n",
                mid = pg_id("a"),
                rid = pg_id("r"),
            ),
            format!(
                "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {mid}, '{ws}', {rid}, 2, CASE WHEN n <= {eligible} OR n > {open} THEN 'counselor' ELSE 'customer' END, \
                   {counselor_case}, $1 - interval '2 days' FROM generate_series(1, {rooms}) n",
                mid = pg_id("b"),
                rid = pg_id("r"),
                open = eligible + OTHER_OPEN
            ),
            "ANALYZE".to_owned(),
        ];
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement)).bind(now).execute(&pool).await?;
        }
        pool.close().await;
    } else {
        let path = url.trim_start_matches("sqlite:");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await?;
        let t = |offset: &str| format!("strftime('%Y-%m-%dT%H:%M:%S', $1, {offset}) || '.000000Z'");
        let open = eligible + OTHER_OPEN;
        let statements = [
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rooms}) \
                 INSERT INTO customers (id, workspace_id, name, phone, email, tags, created_at) \
                 SELECT {id}, '{ws}', '고객' || n, '+8210' || printf('%08d', n), 'c' || n || '@example.com', '[]', {at} FROM s",
                id = sqlite_id("c"),
                at = t("'-' || n || ' seconds'")
            ),
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rooms}) \
                 INSERT INTO rooms (id, workspace_id, channel, customer_id, status, assignee_id, tags, last_seq, \
                 last_message_author, last_message_at, created_at, close_type, closed_at, processed, queued, version) \
                 SELECT {rid}, '{ws}', 'webchat', {cid}, \
                   CASE WHEN n <= {eligible} THEN 'answered' WHEN n <= {open} THEN \
                     (CASE n % 3 WHEN 0 THEN 'waiting' WHEN 1 THEN 'received' ELSE 'inquiry' END) ELSE 'closed' END, \
                   CASE WHEN n <= {eligible} OR (n <= {open} AND n % 3 <> 0) THEN '{admin}' END, '[]', 2, \
                   CASE WHEN n <= {eligible} THEN 'counselor' WHEN n <= {open} THEN 'customer' ELSE 'counselor' END, \
                   CASE WHEN n <= {eligible} THEN {due} WHEN n <= {open} THEN {recent} ELSE {old} END, \
                   {created}, CASE WHEN n > {open} THEN 'auto' END, CASE WHEN n > {open} THEN {old} END, \
                   n > {open}, 1, 1 FROM s",
                rid = sqlite_id("r"),
                cid = sqlite_id("c"),
                due = t("'-' || (172800 + n) || ' seconds'"),
                recent = t("'-' || (n % 3600) || ' seconds'"),
                old = t("'-' || ((n * 7919) % 7776000) || ' seconds'"),
                created = t("'-' || (8640000 - n) || ' seconds'"),
            ),
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rooms}) \
                 INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {mid}, '{ws}', {rid}, 1, 'customer', replace({customer_case}, '{{n}}', n), {at} FROM s",
                mid = sqlite_id("a"),
                rid = sqlite_id("r"),
                at = t("'-3 days'")
            ),
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rooms}) \
                 INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at) \
                 SELECT {mid}, '{ws}', {rid}, 2, CASE WHEN n <= {eligible} OR n > {open} THEN 'counselor' ELSE 'customer' END, \
                   {counselor_case}, {at} FROM s",
                mid = sqlite_id("b"),
                rid = sqlite_id("r"),
                at = t("'-2 days'")
            ),
            "ANALYZE".to_owned(),
        ];
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(now.format("%Y-%m-%dT%H:%M:%S").to_string())
                .execute(&pool)
                .await?;
        }
        pool.close().await;
    }
    Ok(())
}

/// A `CASE n % len` over the lines, as SQL text.
fn sql_case(lines: &[&str]) -> String {
    let arms: String =
        lines.iter().enumerate().map(|(i, line)| format!(" WHEN {i} THEN '{}'", line.replace('\'', "''"))).collect();
    format!("(CASE n % {}{arms} END)", lines.len())
}

/// The hex digit that keeps ids of different tables apart: rooms, customers, first and second
/// messages.
fn kind_digit(kind: &str) -> u8 {
    match kind {
        "r" => 1,
        "c" => 2,
        "a" => 3,
        _ => 4,
    }
}

/// A UUID-shaped id from row number `n`, as PostgreSQL SQL.
fn pg_id(kind: &str) -> String {
    format!("'00000000-0000-7000-8{}00-' || lpad(to_hex(n), 12, '0')", kind_digit(kind))
}

/// A UUID-shaped id from row number `n`, as SQLite SQL.
fn sqlite_id(kind: &str) -> String {
    format!("'00000000-0000-7000-8{}00-' || printf('%012x', n)", kind_digit(kind))
}

const BENCH_DB: &str = "sangdam_rooms_bench";

/// Creates the benchmark's own database on the server `url` points at; its URL.
async fn fresh_pg_database(url: &str) -> anyhow::Result<String> {
    drop_pg_database(url).await?;
    let admin = sqlx::PgPool::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {BENCH_DB}"))).execute(&admin).await?;
    admin.close().await;
    let (server, _) = url.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("{url}: no database name"))?;
    Ok(format!("{server}/{BENCH_DB}"))
}

async fn drop_pg_database(url: &str) -> anyhow::Result<()> {
    let admin = sqlx::PgPool::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}
