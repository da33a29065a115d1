//! The agent's memory and handoff decisions on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{SqliteStore, ts};
use crate::agent::ConversationState;
use crate::ids::{RoomId, WorkspaceId};
use crate::store::{AgentStore, StoreError, StoreResult};

#[async_trait]
impl AgentStore for SqliteStore {
    async fn agent_state(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<ConversationState>> {
        let state: Option<Option<Json<ConversationState>>> =
            sqlx::query_scalar("SELECT agent_state FROM rooms WHERE workspace_id = ? AND id = ?")
                .bind(ws)
                .bind(room)
                .fetch_optional(&self.reader)
                .await?;
        Ok(state.ok_or(StoreError::NotFound)?.map(|s| s.0))
    }

    async fn save_agent_state(&self, ws: WorkspaceId, room: RoomId, state: &ConversationState) -> StoreResult<()> {
        let done = sqlx::query("UPDATE rooms SET agent_state = ? WHERE workspace_id = ? AND id = ?")
            .bind(Json(state))
            .bind(ws)
            .bind(room)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn unanswered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(WorkspaceId, RoomId)>> {
        Ok(sqlx::query_as(
            "SELECT r.workspace_id, r.id FROM rooms r WHERE r.status = 'bot' AND r.last_message_author = 'customer' \
             AND r.last_message_at >= ? AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.room_id = r.id) \
             ORDER BY r.last_message_at LIMIT ?",
        )
        .bind(ts(since))
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }
}
