//! Channels on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{SqliteStore, taken, ts};
use crate::channels::{Channel, ChannelKind, SeenOrigin};
use crate::ids::WorkspaceId;
use crate::launch::{LaunchState, Transition};
use crate::store::rows::{ChannelRow, OriginRow, TransitionRow, channel_columns};
use crate::store::{ChannelStore, ChannelUpdate, StoreError, StoreResult};

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn channel(&self, ws: WorkspaceId, kind: ChannelKind) -> StoreResult<Channel> {
        sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE workspace_id = ? AND kind = ?"
        ))
        .bind(ws)
        .bind(kind.as_str())
        .fetch_optional(&self.reader)
        .await?
        .map(Channel::from)
        .ok_or(StoreError::NotFound)
    }

    async fn channel_by_widget_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE widget_key = ?"
        ))
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Channel::from))
    }

    async fn launch_state(
        &self,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> StoreResult<(LaunchState, Option<DateTime<Utc>>)> {
        let row: Option<(String, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT launch_state, activated_at FROM channels WHERE workspace_id = ? AND kind = ?")
                .bind(ws)
                .bind(kind.as_str())
                .fetch_optional(&self.reader)
                .await?;
        let (state, activated_at) = row.ok_or(StoreError::NotFound)?;
        let state = LaunchState::try_from(state).map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
        Ok((state, activated_at))
    }

    async fn channel_by_sms_number(&self, number: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE sms_number = ?"
        ))
        .bind(number)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Channel::from))
    }

    async fn save_channel(&self, u: &ChannelUpdate<'_>) -> StoreResult<Channel> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let updated = sqlx::query(
            "UPDATE channels SET settings = ?, secrets = ?, checks = ?, launch_state = ?, activated_at = ?, \
             sms_number = ?, version = version + 1, updated_at = ? \
             WHERE workspace_id = ? AND kind = ? AND version = ?",
        )
        .bind(Json(u.settings))
        .bind(Json(u.secrets))
        .bind(Json(u.checks))
        .bind(u.state.as_str())
        .bind(u.activated_at.map(ts))
        .bind(u.sms_number())
        .bind(ts(u.at))
        .bind(u.workspace_id)
        .bind(u.kind.as_str())
        .bind(u.expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| taken(e, "phone_number"))?;
        if updated.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 FROM channels WHERE workspace_id = ? AND kind = ?")
                .bind(u.workspace_id)
                .bind(u.kind.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
        }
        if let Some(t) = u.transition {
            sqlx::query(
                "INSERT INTO launch_transitions (workspace_id, channel, from_state, to_state, actor_id, reason, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(u.workspace_id)
            .bind(u.kind.as_str())
            .bind(t.from.as_str())
            .bind(t.to.as_str())
            .bind(t.actor)
            .bind(&t.reason)
            .bind(ts(t.at))
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE workspace_id = ? AND kind = ?"
        ))
        .bind(u.workspace_id)
        .bind(u.kind.as_str())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn launch_history(&self, ws: WorkspaceId, kind: ChannelKind, limit: i64) -> StoreResult<Vec<Transition>> {
        let rows = sqlx::query_as::<_, TransitionRow>(
            "SELECT t.from_state, t.to_state, t.at, t.actor_id, a.name AS actor_name, t.reason \
             FROM launch_transitions t LEFT JOIN accounts a ON a.id = t.actor_id \
             WHERE t.workspace_id = ? AND t.channel = ? ORDER BY t.id DESC LIMIT ?",
        )
        .bind(ws)
        .bind(kind.as_str())
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Transition::from).collect())
    }

    async fn record_widget_origin(&self, ws: WorkspaceId, origin: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let first_seen: DateTime<Utc> = sqlx::query_scalar(
            "INSERT INTO widget_origins (workspace_id, origin, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (workspace_id, origin) DO UPDATE SET last_seen_at = excluded.last_seen_at \
             RETURNING first_seen_at",
        )
        .bind(ws)
        .bind(origin)
        .bind(ts(at))
        .bind(ts(at))
        .fetch_one(&self.writer)
        .await?;
        Ok(first_seen == at)
    }

    async fn widget_origins(&self, ws: WorkspaceId) -> StoreResult<Vec<SeenOrigin>> {
        let rows = sqlx::query_as::<_, OriginRow>(
            "SELECT origin, first_seen_at, last_seen_at FROM widget_origins WHERE workspace_id = ? \
             ORDER BY last_seen_at DESC LIMIT 100",
        )
        .bind(ws)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(SeenOrigin::from).collect())
    }
}
