//! Rooms and messages on PostgreSQL.

use async_trait::async_trait;
use sqlx::PgConnection;
use sqlx::types::Json;

use super::{PgStore, ROOM_CHANNEL, queue};
use crate::ids::{CustomerId, RoomId, WorkspaceId};
use crate::rooms::{Appended, Message, NewMessage, Room};
use crate::store::rows::{MessageRow, RoomRow, message_columns, room_columns};
use crate::store::{NewConversation, RoomSignal, RoomStore, StoreError, StoreResult};

impl PgStore {
    /// The message stored earlier under `m`'s client id, if any.
    async fn earlier(&self, room: RoomId, m: &NewMessage) -> StoreResult<Option<Message>> {
        let Some(client_id) = &m.client_message_id else { return Ok(None) };
        let row = sqlx::query_as::<_, MessageRow>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE room_id = $1 AND client_message_id = $2"
        ))
        .bind(room)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Message::from))
    }

    pub(super) async fn room_in<'e, E>(executor: E, ws: WorkspaceId, id: RoomId) -> StoreResult<Room>
    where
        E: sqlx::Executor<'e, Database = sqlx::Postgres>,
    {
        let row = sqlx::query_as::<_, RoomRow>(concat!(
            "SELECT ",
            room_columns!(),
            " WHERE r.workspace_id = $1 AND r.id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Room::try_from(row)?)
    }
}

#[async_trait]
impl RoomStore for PgStore {
    async fn open_conversation(&self, c: &NewConversation) -> StoreResult<Room> {
        let mut tx = self.pool.begin().await?;
        let customer_id: CustomerId = sqlx::query_scalar(
            "INSERT INTO customers (id, workspace_id, external_id, name, phone, email, tags, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET \
             name = COALESCE(EXCLUDED.name, customers.name), phone = COALESCE(EXCLUDED.phone, customers.phone), \
             email = COALESCE(EXCLUDED.email, customers.email) RETURNING id",
        )
        .bind(c.customer_id)
        .bind(c.workspace_id)
        .bind(&c.customer.external_id)
        .bind(&c.customer.name)
        .bind(&c.customer.phone)
        .bind(&c.customer.email)
        .bind(Json(Vec::<String>::new()))
        .bind(c.at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.room_id)
        .bind(c.workspace_id)
        .bind(c.channel.as_str())
        .bind(customer_id)
        .bind(c.status.as_str())
        .bind(&c.token_hash)
        .bind(c.at)
        .execute(&mut *tx)
        .await?;
        let room = Self::room_in(&mut *tx, c.workspace_id, c.room_id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn room_by_token(&self, token_hash: &str) -> StoreResult<Option<(WorkspaceId, RoomId)>> {
        Ok(sqlx::query_as("SELECT workspace_id, id FROM rooms WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn room(&self, ws: WorkspaceId, id: RoomId) -> StoreResult<Room> {
        Self::room_in(&self.pool, ws, id).await
    }

    async fn append_message(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage) -> StoreResult<Appended> {
        let mut tx = self.pool.begin().await?;
        let seq = bump(&mut tx, ws, room, m).await?.ok_or(StoreError::NotFound)?;
        // A repeated client_message_id (a retry) is refused by the unique index; the earlier
        // message is the answer and the counter bump is rolled back.
        if let Err(e) = insert(&mut tx, ws, room, seq, m).await {
            tx.rollback().await?;
            return match self.earlier(room, m).await? {
                Some(message) => Ok(Appended { message, duplicate: true }),
                None => Err(e.into()),
            };
        }
        notify(&mut tx, ws, room, seq).await?;
        tx.commit().await?;
        Ok(Appended { message: m.stored(room, seq), duplicate: false })
    }

    async fn messages_after(
        &self,
        ws: WorkspaceId,
        room: RoomId,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let rows = sqlx::query_as::<_, MessageRow>(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE room_id = $1 AND workspace_id = $2 AND seq > $3 ORDER BY seq LIMIT $4"
        ))
        .bind(room)
        .bind(ws)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    async fn recent_messages(&self, ws: WorkspaceId, room: RoomId, limit: i64) -> StoreResult<Vec<Message>> {
        let rows = sqlx::query_as::<_, MessageRow>(concat!(
            "SELECT * FROM (SELECT ",
            message_columns!(),
            " FROM messages WHERE room_id = $1 AND workspace_id = $2 ORDER BY seq DESC LIMIT $3) recent ORDER BY seq"
        ))
        .bind(room)
        .bind(ws)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }
}

/// Takes the room's next sequence number and moves the room by the status machine. Bumping the
/// counter locks the room row: appends to one room are serialised, so sequence numbers commit in
/// order. `None` when there is no such room.
pub(super) async fn bump(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    m: &NewMessage,
) -> Result<Option<i64>, sqlx::Error> {
    let bumped: Option<(i64, String, bool)> = sqlx::query_as(
        "UPDATE rooms SET last_seq = last_seq + 1, last_message_author = $1, last_message_at = $2, \
         version = version + 1 WHERE workspace_id = $3 AND id = $4 RETURNING last_seq, status, queued",
    )
    .bind(m.author.as_str())
    .bind(m.created_at)
    .bind(ws)
    .bind(room)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((seq, status, queued)) = bumped else { return Ok(None) };
    queue::after_message(tx, ws, room, m.author, (queue::status(status)?, queued), m.created_at).await?;
    Ok(Some(seq))
}

/// Inserts a message at `seq`.
pub(super) async fn insert(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    seq: i64,
    m: &NewMessage,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (id, workspace_id, room_id, seq, author, author_account_id, text, client_message_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(m.id)
    .bind(ws)
    .bind(room)
    .bind(seq)
    .bind(m.author.as_str())
    .bind(m.author_account_id)
    .bind(&m.text)
    .bind(&m.client_message_id)
    .bind(m.created_at)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// Tells every engine process sharing the database that the room has message `seq`, on commit.
pub(super) async fn notify(tx: &mut PgConnection, ws: WorkspaceId, room: RoomId, seq: i64) -> Result<(), sqlx::Error> {
    let signal = RoomSignal { workspace_id: ws, room_id: room, seq };
    sqlx::query("SELECT pg_notify($1, $2)").bind(ROOM_CHANNEL).bind(signal.encode()).execute(&mut *tx).await.map(|_| ())
}
