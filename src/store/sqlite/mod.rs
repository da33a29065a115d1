//! The embedded SQLite backend: the default, a single file in the data directory.
//!
//! Writes go through one connection (SQLite has one writer anyway; queuing in the pool is cheaper
//! than spinning on the file lock), reads through a pool of read-only connections that WAL lets
//! run beside the writer. Read-then-write transactions start with `BEGIN IMMEDIATE` so that a
//! second process on the same file (the CLI, say) waits for the lock instead of failing midway.
//!
//! A failed write must not poison the writer: SQLite rolls a transaction back by itself on some
//! errors (a full disk, an I/O error), after which the driver's own rollback fails and it would
//! count the connection as still inside a transaction, refusing every later `BEGIN`. The writer
//! pool therefore checks the connection each time it comes back and replaces one left in that
//! state, so the next write starts a fresh transaction on a fresh connection.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Store, StoreError, StoreResult};

/// Bytes the health probe writes: a few fresh pages, about what a message append needs, so a disk
/// too full for messages fails the probe too.
const PROBE_BYTES: i64 = 8 * 1024;

/// The health probe's own table, outside the migrations because it holds no data: at most one
/// row of random bytes, replaced by every probe.
const PROBE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY AUTOINCREMENT, pad BLOB NOT NULL)";

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The single writing connection.
    writer: SqlitePool,
    /// Read-only connections.
    reader: SqlitePool,
    /// Group-committing message appends.
    appender: appender::Appender,
    /// The page cap set by [`SqliteStore::limit_pages`] (0: none), applied to every new writing
    /// connection too.
    page_limit: Arc<AtomicU32>,
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
        let page_limit = Arc::new(AtomicU32::new(0));
        let limit = Arc::clone(&page_limit);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                let pages = limit.load(Ordering::Acquire);
                Box::pin(async move { apply_page_limit(conn, pages).await })
            })
            .after_release(|conn, _| Box::pin(still_usable(conn)))
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await
            .map_err(|e| cannot_open(path, e))?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        sqlx::query(PROBE_TABLE).execute(&writer).await?;
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get().max(4));
        let reader = SqlitePoolOptions::new()
            .max_connections(readers as u32)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true).pragma("cache_size", "-16384"))
            .await?;
        let appender = appender::Appender::spawn(writer.clone());
        Ok(Self { writer, reader, appender, page_limit })
    }

    /// Caps the database file at `pages` pages (SQLite's `max_page_count`; never below its
    /// current size), or lifts the cap with `None`. Writes that need more room then fail as on a
    /// full disk: this is how tests without a small file system of their own fill one.
    #[doc(hidden)]
    pub async fn limit_pages(&self, pages: Option<u32>) -> StoreResult<()> {
        let pages = pages.unwrap_or(0);
        self.page_limit.store(pages, Ordering::Release);
        let mut conn = self.writer.acquire().await?;
        apply_page_limit(&mut conn, pages).await?;
        Ok(())
    }
}

/// Sets `max_page_count` on a writing connection; 0 restores SQLite's maximum.
async fn apply_page_limit(conn: &mut SqliteConnection, pages: u32) -> Result<(), sqlx::Error> {
    let pages = if pages == 0 { u32::MAX - 1 } else { pages };
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).execute(conn).await?;
    Ok(())
}

/// Whether the writing connection may go back to the pool: not when it is still counted inside a
/// transaction, which happens when SQLite already rolled back a failed one by itself and the
/// driver's rollback then failed. Closing it ends whatever SQLite still holds; the pool opens a
/// fresh connection for the next write.
async fn still_usable(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    // The round trip lets the connection finish what a dropped transaction queued (its rollback),
    // so the transaction depth read below is final.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("the writing connection was left inside a failed transaction; opening a fresh one");
        return Ok(false);
    }
    Ok(true)
}

/// An open failure names the file, which an operator needs to fix a full or read-only disk.
fn cannot_open(path: &Path, e: sqlx::Error) -> StoreError {
    let cause = match StoreError::from(e) {
        StoreError::Unavailable(reason) => reason,
        other => other.to_string(),
    };
    StoreError::Unavailable(format!("could not open the SQLite database {}: {cause}", path.display()))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// Reads, and writes a few fresh pages through the writer (committed, so the write-ahead log
    /// must take them), within [`super::HEALTH_TIMEOUT`].
    async fn health(&self) -> StoreResult<()> {
        super::bounded_health(async {
            sqlx::query("SELECT 1").execute(&self.reader).await?;
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            // Insert before deleting: the probe needs free pages of its own, not those its delete frees.
            let id = sqlx::query("INSERT INTO health_probe (pad) VALUES (randomblob(?))")
                .bind(PROBE_BYTES)
                .execute(&mut *tx)
                .await?
                .last_insert_rowid();
            sqlx::query("DELETE FROM health_probe WHERE id < ?").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
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
