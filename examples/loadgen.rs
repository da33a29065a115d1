//! Load generator: acknowledged webchat messages per second and latency percentiles.
//!
//! By default it starts the engine in this process on a fresh database (SQLite in a temporary
//! directory, or PostgreSQL with `--database-url`), then drives it over real HTTP on loopback:
//! each client opens its own conversation and posts messages back to back, counting a message
//! when the engine answered 202. Point it at a running engine with `--url` and `--widget-key`.
//!
//! ```sh
//! cargo run --release --example loadgen -- --clients 64 --seconds 10
//! cargo run --release --example loadgen -- --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//! With `--database-url` the database must be empty or already hold this engine's schema; the
//! generator opens a workspace of its own in it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use sangdam::clock::SystemClock;
use sangdam::config::{Config, FileConfig, Overrides};
use sangdam::http::server;
use sangdam::workspaces::provision::{self, WorkspaceSpec};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Concurrent clients, each with its own conversation.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Measured duration, after a one-second warm-up.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Run the engine in-process on this database instead of a temporary SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Drive an engine that is already running at this base URL.
    #[arg(long, requires = "widget_key")]
    url: Option<String>,
    /// The webchat widget key of the engine at `--url`.
    #[arg(long)]
    widget_key: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _dir;
    let (base, key, backend, running) = match (&args.url, &args.widget_key) {
        (Some(url), Some(key)) => (url.trim_end_matches('/').to_owned(), key.clone(), "external", None),
        _ => {
            let dir = tempfile::tempdir()?;
            let url = args
                .database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("sangdam.db").display()));
            _dir = dir;
            let over = Overrides { addr: Some("127.0.0.1:0".into()), database_url: Some(url), ..Default::default() };
            let mut config = Config::resolve(FileConfig::default(), over, None)?;
            // Every client opens its conversation from this one address.
            config.limits.conversations_per_address = 1_000_000;
            let store = sangdam::store::connect(&config.database).await?;
            let backend = store.backend();
            let spec = WorkspaceSpec {
                name: "Load test".into(),
                seats: 10,
                time_zone: "Asia/Seoul".into(),
                admin_login: format!("load-{}", uuid::Uuid::new_v4().simple()),
                admin_password: None,
                admin_token: None,
            };
            let made = provision::provision(store.as_ref(), &SystemClock, spec, false).await?.expect("created");
            let running = server::start_with(&config, store, Arc::new(SystemClock)).await?;
            (format!("http://{}", running.addr), made.widget_key, backend, Some(running))
        }
    };

    let http = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let mut conversations = Vec::new();
    for _ in 0..args.clients {
        let opened: Value = http
            .post(format!("{base}/v1/webchat/conversations"))
            .header("X-Widget-Key", &key)
            .json(&json!({"customer": {}}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        conversations.push((
            opened["conversation_id"].as_str().unwrap().to_owned(),
            opened["token"].as_str().unwrap().to_owned(),
        ));
    }

    let start = Instant::now();
    let warm_until = start + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = conversations
        .into_iter()
        .enumerate()
        .map(|(client, (id, token))| {
            let (http, url) = (http.clone(), format!("{base}/v1/webchat/conversations/{id}/messages"));
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                for n in 0u64.. {
                    let sent = Instant::now();
                    if sent >= stop_at {
                        break;
                    }
                    let body = json!({"text": format!("client {client} says hello {n} — 배송 언제 와요?"), "client_message_id": format!("{client}-{n}")});
                    let ok = matches!(http.post(&url).bearer_auth(&token).json(&body).send().await, Ok(r) if r.status() == 202);
                    if sent >= warm_until {
                        if ok { latencies.push(sent.elapsed()) } else { errors += 1 }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    let report = json!({
        "backend": backend,
        "clients": args.clients,
        "seconds": args.seconds,
        "acknowledged": latencies.len(),
        "errors": errors,
        "messages_per_sec": (latencies.len() as f64 / args.seconds as f64).round(),
        "p50_ms": ms(pct(0.50)),
        "p99_ms": ms(pct(0.99)),
        "max_ms": ms(latencies.last().copied().unwrap_or_default()),
    });
    println!("{report}");
    if let Some(running) = running {
        running.stop().await?;
    }
    Ok(())
}
