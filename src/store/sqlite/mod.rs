//! The embedded SQLite backend: the default, a single file in the data directory.
//!
//! Writes go through one connection (SQLite has one writer anyway; queuing in the pool is cheaper
//! than spinning on the file lock), reads through a pool of read-only connections that WAL lets
//! run beside the writer. Read-then-write transactions start with `BEGIN IMMEDIATE` so that a
//! second process on the same file (the CLI, say) waits for the lock instead of failing midway.
//!
//! `synchronous=NORMAL` in WAL mode keeps every committed transaction through a crash of the
//! process; only a power loss may lose the last moments. `SANGDAM_SQLITE_SYNCHRONOUS=full` trades
//! throughput for that too.

mod accounts;
mod agent;
mod appender;
mod channels;
mod handoffs;
mod queue;
mod rooms;
mod sms;
mod widget_loads;
mod workspaces;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::{Store, StoreResult};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single writing connection.
    writer: SqlitePool,
    /// Read-only connections.
    reader: SqlitePool,
    /// Group-committing message appends.
    appender: appender::Appender,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let synchronous = match std::env::var("SANGDAM_SQLITE_SYNCHRONOUS").as_deref() {
            Ok("full") | Ok("FULL") => SqliteSynchronous::Full,
            _ => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        // SQLite's own page cache is 2 MB by default; the writer's changes land in a handful of
        // large indexes, and a bigger cache keeps their inner pages (64 MB for the writer, 16 MB
        // for each reader, taken only as pages are used).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get().max(4));
        let reader = SqlitePoolOptions::new()
            .max_connections(readers as u32)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true).pragma("cache_size", "-16384"))
            .await?;
        let appender = appender::Appender::spawn(writer.clone());
        Ok(Self { writer, reader, appender })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Formats a time the way this backend stores it: fixed width, so text order is time order.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Maps a UNIQUE violation to [`super::StoreError::Taken`] naming `what`.
pub(crate) fn taken(e: sqlx::Error, what: &'static str) -> super::StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => super::StoreError::Taken(what),
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_they_compare() {
        let a = DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z").unwrap().to_utc();
        let b = a + chrono::TimeDelta::microseconds(1);
        assert_eq!(ts(a), "2026-11-21T09:00:00.000000Z");
        assert!(ts(a) < ts(b));
    }
}
