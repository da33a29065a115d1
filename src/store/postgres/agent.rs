//! The agent's memory and handoff decisions on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::PgStore;
use crate::agent::ConversationState;
use crate::ids::{RoomId, WorkspaceId};
use crate::store::rows::HandoffRow;
use crate::store::{AgentStore, HandoffRecord, StoreError, StoreResult};

#[async_trait]
impl AgentStore for PgStore {
    async fn agent_state(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<ConversationState>> {
        let state: Option<Option<Json<ConversationState>>> =
            sqlx::query_scalar("SELECT agent_state FROM rooms WHERE workspace_id = $1 AND id = $2")
                .bind(ws)
                .bind(room)
                .fetch_optional(&self.pool)
                .await?;
        Ok(state.ok_or(StoreError::NotFound)?.map(|s| s.0))
    }

    async fn save_agent_state(&self, ws: WorkspaceId, room: RoomId, state: &ConversationState) -> StoreResult<()> {
        let done = sqlx::query("UPDATE rooms SET agent_state = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(Json(state))
            .bind(ws)
            .bind(room)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn record_handoff(&self, h: &HandoffRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO handoffs (workspace_id, room_id, message_id, reason, detail, trace, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(h.workspace_id)
        .bind(h.room_id)
        .bind(h.message_id)
        .bind(h.reason.as_str())
        .bind(&h.detail)
        .bind(Json(&h.trace))
        .bind(h.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unanswered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(WorkspaceId, RoomId)>> {
        Ok(sqlx::query_as(
            "SELECT r.workspace_id, r.id FROM rooms r WHERE r.status = 'bot' AND r.last_message_author = 'customer' \
             AND r.last_message_at >= $1 AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.room_id = r.id) \
             ORDER BY r.last_message_at LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn handoff_of(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<HandoffRecord>> {
        let row = sqlx::query_as::<_, HandoffRow>(
            "SELECT workspace_id, room_id, message_id, reason, detail, trace, created_at FROM handoffs \
             WHERE workspace_id = $1 AND room_id = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(ws)
        .bind(room)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(HandoffRecord::from))
    }
}
