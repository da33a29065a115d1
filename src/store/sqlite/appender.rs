//! Group commit for message appends on SQLite.
//!
//! SQLite has one writer, and a transaction per message spends most of its time in the commit
//! and in the round trips to the connection's thread. Appends are therefore queued to one task
//! that writes everything waiting in one `BEGIN IMMEDIATE` transaction and answers each caller
//! only after that transaction committed: an acknowledged message is durable exactly as before,
//! and throughput grows with the load instead of being capped by one commit per message.

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{queue, ts};
use crate::ids::{RoomId, WorkspaceId};
use crate::rooms::{Appended, Message, NewMessage};
use crate::store::rows::{MessageRow, message_columns};
use crate::store::{StoreError, StoreResult};

/// Most appends written in one transaction.
const MAX_BATCH: usize = 128;

struct Job {
    ws: WorkspaceId,
    room: RoomId,
    message: NewMessage,
    reply: oneshot::Sender<StoreResult<Appended>>,
}

/// Handle to the appending task.
#[derive(Debug, Clone)]
pub(super) struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts the task; it ends when every handle is dropped.
    pub(super) fn spawn(pool: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, rx));
        Self { jobs }
    }

    /// Appends one message; returns once it is committed.
    pub(super) async fn append(&self, ws: WorkspaceId, room: RoomId, message: NewMessage) -> StoreResult<Appended> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { ws, room, message, reply }).await.map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match write(&pool, &batch).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            // The whole transaction failed (the file locked by another process past the busy
            // timeout, the disk full): retry each append alone so every caller gets its own
            // answer. Each retry is a fresh transaction; the pool replaced the connection if the
            // failure left it inside the old one.
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, size = batch.len(), "batched append failed; retrying one by one");
                for job in batch.drain(..) {
                    let outcome = match write(&pool, std::slice::from_ref(&job)).await {
                        Ok(mut one) => one.pop().unwrap_or(Err(StoreError::NotFound)),
                        Err(e) => Err(e.into()),
                    };
                    let _ = job.reply.send(outcome);
                }
            }
            // A batch of one: its caller gets the error.
            Err(e) => {
                if let Some(job) = batch.pop() {
                    let _ = job.reply.send(Err(e.into()));
                }
            }
        }
    }
}

/// Writes a batch in one transaction; per-append outcomes, or the error that aborted it all.
async fn write(pool: &SqlitePool, jobs: &[Job]) -> Result<Vec<StoreResult<Appended>>, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for Job { ws, room, message: m, .. } in jobs {
        // Inside the write transaction the check cannot race, and it sees earlier appends of
        // this same batch.
        if let Some(client_id) = &m.client_message_id {
            let earlier = sqlx::query_as::<_, MessageRow>(concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE room_id = ? AND client_message_id = ? AND workspace_id = ?"
            ))
            .bind(room)
            .bind(client_id)
            .bind(ws)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(earlier) = earlier {
                outcomes.push(Ok(Appended { message: Message::from(earlier), duplicate: true }));
                continue;
            }
        }
        let Some(seq) = insert(&mut tx, *ws, *room, m).await? else {
            outcomes.push(Err(StoreError::NotFound));
            continue;
        };
        outcomes.push(Ok(Appended { message: m.stored(*room, seq), duplicate: false }));
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Numbers and inserts one message inside a write transaction, moving the room by the status
/// machine; `None` when the room does not exist in the workspace.
pub(super) async fn insert(
    tx: &mut SqliteConnection,
    ws: WorkspaceId,
    room: RoomId,
    m: &NewMessage,
) -> Result<Option<i64>, sqlx::Error> {
    // One statement numbers the message and reads what the status machine needs; only a message
    // that changes the status costs more.
    let bumped: Option<(i64, String, bool)> = sqlx::query_as(
        "UPDATE rooms SET last_seq = last_seq + 1, last_message_author = ?, last_message_at = ?, \
         version = version + 1 WHERE workspace_id = ? AND id = ? RETURNING last_seq, status, queued",
    )
    .bind(m.author.as_str())
    .bind(ts(m.created_at))
    .bind(ws)
    .bind(room)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((seq, status, queued)) = bumped else { return Ok(None) };
    queue::after_message(tx, ws, room, m.author, (queue::status(status)?, queued), m.created_at).await?;
    sqlx::query(
        "INSERT INTO messages (id, workspace_id, room_id, seq, author, author_account_id, text, client_message_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(m.id)
    .bind(ws)
    .bind(room)
    .bind(seq)
    .bind(m.author.as_str())
    .bind(m.author_account_id)
    .bind(&m.text)
    .bind(&m.client_message_id)
    .bind(ts(m.created_at))
    .execute(&mut *tx)
    .await?;
    Ok(Some(seq))
}
