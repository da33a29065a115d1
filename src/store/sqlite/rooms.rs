//! Rooms and messages on SQLite.

use async_trait::async_trait;
use sqlx::types::Json;

use super::{SqliteStore, ts};
use crate::ids::{CustomerId, RoomId, WorkspaceId};
use crate::rooms::{Appended, Message, NewMessage, Room};
use crate::store::rows::{MessageRow, RoomRow, message_columns, room_columns};
use crate::store::{NewConversation, RoomStore, StoreError, StoreResult};

impl SqliteStore {
    pub(super) async fn room_in<'e, E>(executor: E, ws: WorkspaceId, id: RoomId) -> StoreResult<Room>
    where
        E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
    {
        let row =
            sqlx::query_as::<_, RoomRow>(concat!("SELECT ", room_columns!(), " WHERE r.workspace_id = ? AND r.id = ?"))
                .bind(ws)
                .bind(id)
                .fetch_optional(executor)
                .await?
                .ok_or(StoreError::NotFound)?;
        Ok(Room::try_from(row)?)
    }
}

#[async_trait]
impl RoomStore for SqliteStore {
    async fn open_conversation(&self, c: &NewConversation) -> StoreResult<Room> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let customer_id: CustomerId = sqlx::query_scalar(
            "INSERT INTO customers (id, workspace_id, external_id, name, phone, email, tags, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET \
             name = COALESCE(excluded.name, name), phone = COALESCE(excluded.phone, phone), \
             email = COALESCE(excluded.email, email) RETURNING id",
        )
        .bind(c.customer_id)
        .bind(c.workspace_id)
        .bind(&c.customer.external_id)
        .bind(&c.customer.name)
        .bind(&c.customer.phone)
        .bind(&c.customer.email)
        .bind(Json(Vec::<String>::new()))
        .bind(ts(c.at))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, token_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(c.room_id)
        .bind(c.workspace_id)
        .bind(c.channel.as_str())
        .bind(customer_id)
        .bind(c.status.as_str())
        .bind(&c.token_hash)
        .bind(ts(c.at))
        .execute(&mut *tx)
        .await?;
        let room = Self::room_in(&mut *tx, c.workspace_id, c.room_id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn room_by_token(&self, token_hash: &str) -> StoreResult<Option<(WorkspaceId, RoomId)>> {
        Ok(sqlx::query_as("SELECT workspace_id, id FROM rooms WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await?)
    }

    async fn room(&self, ws: WorkspaceId, id: RoomId) -> StoreResult<Room> {
        Self::room_in(&self.reader, ws, id).await
    }

    async fn append_message(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage) -> StoreResult<Appended> {
        self.appender.append(ws, room, m.clone()).await
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
            " FROM messages WHERE room_id = ? AND workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(room)
        .bind(ws)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    async fn recent_messages(&self, ws: WorkspaceId, room: RoomId, limit: i64) -> StoreResult<Vec<Message>> {
        let rows = sqlx::query_as::<_, MessageRow>(concat!(
            "SELECT * FROM (SELECT ",
            message_columns!(),
            " FROM messages WHERE room_id = ? AND workspace_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq"
        ))
        .bind(room)
        .bind(ws)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }
}
