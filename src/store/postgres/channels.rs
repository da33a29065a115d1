//! Channels on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{PgStore, taken};
use crate::channels::{Channel, ChannelKind, SeenOrigin};
use crate::ids::WorkspaceId;
use crate::launch::{LaunchState, Transition};
use crate::store::rows::{ChannelRow, OriginRow, TransitionRow, channel_columns};
use crate::store::{ChannelStore, ChannelUpdate, StoreError, StoreResult};

#[async_trait]
impl ChannelStore for PgStore {
    async fn channel(&self, ws: WorkspaceId, kind: ChannelKind) -> StoreResult<Channel> {
        sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE workspace_id = $1 AND kind = $2"
        ))
        .bind(ws)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?
        .map(Channel::from)
        .ok_or(StoreError::NotFound)
    }

    async fn channel_by_widget_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE widget_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Channel::from))
    }

    async fn launch_state(
        &self,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> StoreResult<(LaunchState, Option<DateTime<Utc>>)> {
        let row: Option<(String, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT launch_state, activated_at FROM channels WHERE workspace_id = $1 AND kind = $2")
                .bind(ws)
                .bind(kind.as_str())
                .fetch_optional(&self.pool)
                .await?;
        let (state, activated_at) = row.ok_or(StoreError::NotFound)?;
        let state = LaunchState::try_from(state).map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
        Ok((state, activated_at))
    }

    async fn channel_by_sms_number(&self, number: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "SELECT ",
            channel_columns!(),
            " FROM channels WHERE sms_number = $1"
        ))
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Channel::from))
    }

    async fn save_channel(&self, u: &ChannelUpdate<'_>) -> StoreResult<Channel> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, ChannelRow>(concat!(
            "UPDATE channels SET settings = $1, secrets = $2, checks = $3, launch_state = $4, activated_at = $5, \
             sms_number = $6, version = version + 1, updated_at = $7 \
             WHERE workspace_id = $8 AND kind = $9 AND version = $10 RETURNING ",
            channel_columns!()
        ))
        .bind(Json(u.settings))
        .bind(Json(u.secrets))
        .bind(Json(u.checks))
        .bind(u.state.as_str())
        .bind(u.activated_at)
        .bind(u.sms_number())
        .bind(u.at)
        .bind(u.workspace_id)
        .bind(u.kind.as_str())
        .bind(u.expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| taken(e, "phone_number"))?;
        let Some(row) = row else {
            let exists = sqlx::query("SELECT 1 FROM channels WHERE workspace_id = $1 AND kind = $2")
                .bind(u.workspace_id)
                .bind(u.kind.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
        };
        if let Some(t) = u.transition {
            sqlx::query(
                "INSERT INTO launch_transitions (workspace_id, channel, from_state, to_state, actor_id, reason, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(u.workspace_id)
            .bind(u.kind.as_str())
            .bind(t.from.as_str())
            .bind(t.to.as_str())
            .bind(t.actor)
            .bind(&t.reason)
            .bind(t.at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(row.into())
    }

    async fn launch_history(&self, ws: WorkspaceId, kind: ChannelKind, limit: i64) -> StoreResult<Vec<Transition>> {
        let rows = sqlx::query_as::<_, TransitionRow>(
            "SELECT t.from_state, t.to_state, t.at, t.actor_id, a.name AS actor_name, t.reason \
             FROM launch_transitions t LEFT JOIN accounts a ON a.id = t.actor_id \
             WHERE t.workspace_id = $1 AND t.channel = $2 ORDER BY t.id DESC LIMIT $3",
        )
        .bind(ws)
        .bind(kind.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Transition::from).collect())
    }

    async fn record_widget_origin(&self, ws: WorkspaceId, origin: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        // `xmax = 0` only for a freshly inserted row.
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO widget_origins (workspace_id, origin, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (workspace_id, origin) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at \
             RETURNING (xmax = 0)",
        )
        .bind(ws)
        .bind(origin)
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        Ok(inserted)
    }

    async fn widget_origins(&self, ws: WorkspaceId) -> StoreResult<Vec<SeenOrigin>> {
        let rows = sqlx::query_as::<_, OriginRow>(
            "SELECT origin, first_seen_at, last_seen_at FROM widget_origins WHERE workspace_id = $1 \
             ORDER BY last_seen_at DESC LIMIT 100",
        )
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(SeenOrigin::from).collect())
    }
}
