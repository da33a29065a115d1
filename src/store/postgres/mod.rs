//! The PostgreSQL backend, for several engine processes sharing one database.
//!
//! Read-then-write operations lock the rows they decide on (`FOR UPDATE`), so two processes
//! certifying the last seat, or appending to the same room, serialise on the row rather than on a
//! table. A committed message is announced with `pg_notify` so live streams on other processes wake.

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
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{RoomSignal, Store, StoreResult};

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
    /// Connects and applies migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let max = std::env::var("SANGDAM_PG_POOL_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
        let pool =
            PgPoolOptions::new().max_connections(max).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool, closing: CancellationToken::new() })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
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
