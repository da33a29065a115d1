//! The PostgreSQL backend, for several engine processes sharing one database.
//!
//! Read-then-write operations lock the rows they decide on (`FOR UPDATE`), so two processes
//! certifying the last seat, or appending to the same room, serialise on the row rather than on a
//! table. A committed message is announced with `pg_notify` so live streams on other processes wake.
//!
//! A server that is gone shows quickly: start-up tries one connection and names the host and port
//! it could not reach, a request waits at most [`acquire_timeout`] for a connection, and the health
//! check at most [`super::HEALTH_TIMEOUT`].

mod accounts;
mod agent;
mod channels;
mod handoffs;
mod queue;
mod rooms;
mod sms;
mod widget_loads;
mod workspaces;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{RoomSignal, Store, StoreError, StoreResult};

/// How long start-up waits for the first connection: long enough for a server across a slow
/// network, short enough that a wrong host or a closed port is reported at once.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The channel `pg_notify` announces appended messages on; payload `workspace:room:seq`.
pub(crate) const ROOM_CHANNEL: &str = "sangdam_rooms";

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Cancelled on close, so the notification listener lets go of its connection.
    closing: CancellationToken,
}

impl PgStore {
    /// Connects and applies migrations. A server that cannot be reached fails at once, with an
    /// error naming its host and port (never the URL, which may hold a password).
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options: PgConnectOptions = url.parse().map_err(|e| {
            // The parser's message names the part at fault, not the URL.
            StoreError::Unavailable(format!("the PostgreSQL URL is not valid: {e}"))
        })?;
        let target = target(&options);
        let unreachable =
            |cause: String| StoreError::Unavailable(format!("could not connect to PostgreSQL at {target}: {cause}"));
        // One direct attempt: the pool would retry a refused connection until its acquire timeout
        // and then report only that it timed out.
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Err(_) => return Err(unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))),
        }
        let max = std::env::var("SANGDAM_PG_POOL_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(acquire_timeout())
            .connect_with(options)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool, closing: CancellationToken::new() })
    }
}

/// Where a connection goes, for messages: `host:port`, or the socket directory.
fn target(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(dir) => format!("{} (port {})", dir.display(), options.get_port()),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

/// How long a call waits for a free connection before it is refused with 503: 5 s, or
/// `SANGDAM_PG_ACQUIRE_TIMEOUT` seconds. While the server is down every call waits this long, so
/// it is kept short; under load, calls queue for a connection for at most this long.
fn acquire_timeout() -> Duration {
    std::env::var("SANGDAM_PG_ACQUIRE_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| (0.001..=3600.0).contains(s))
        .map_or(Duration::from_secs(5), Duration::from_secs_f64)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Asks the server whether it takes writes (a standby, or one set read-only, does not),
    /// within [`super::HEALTH_TIMEOUT`].
    async fn health(&self) -> StoreResult<()> {
        super::bounded_health(async {
            let read_only: bool =
                sqlx::query_scalar("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")
                    .fetch_one(&self.pool)
                    .await?;
            if read_only {
                return Err(StoreError::Unavailable("the database is read-only: the server takes no writes".into()));
            }
            Ok(())
        })
        .await
    }

    async fn close(&self) {
        self.closing.cancel();
        self.pool.close().await;
    }

    async fn room_signals(&self) -> StoreResult<Option<mpsc::Receiver<RoomSignal>>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(ROOM_CHANNEL).await?;
        let (tx, rx) = mpsc::channel(1024);
        let closing = self.closing.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = closing.cancelled() => return,
                    received = listener.recv() => received,
                };
                match received {
                    Ok(note) => {
                        if let Some(signal) = RoomSignal::parse(note.payload())
                            && tx.send(signal).await.is_err()
                        {
                            return;
                        }
                    }
                    // The listener reconnects by itself on the next recv; pause so a database
                    // that is down is not hammered.
                    Err(e) => {
                        tracing::warn!(error = %e, "room notification listener lost its connection");
                        if tx.is_closed() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}

/// Maps a UNIQUE violation to [`super::StoreError::Taken`] naming `what`.
pub(crate) fn taken(e: sqlx::Error, what: &'static str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => super::StoreError::Taken(what),
        _ => e.into(),
    }
}
