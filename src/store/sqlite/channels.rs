//! Channels on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, ts};
use crate::channels::{Channel, ChannelKind, SeenOrigin};
use crate::ids::WorkspaceId;
use crate::store::rows::{ChannelRow, OriginRow};
use crate::store::{ChannelStore, StoreError, StoreResult};

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn channel(&self, ws: WorkspaceId, kind: ChannelKind) -> StoreResult<Channel> {
        sqlx::query_as::<_, ChannelRow>(
            "SELECT workspace_id, kind, widget_key, settings, updated_at FROM channels WHERE workspace_id = ? AND kind = ?",
        )
        .bind(ws)
        .bind(kind.as_str())
        .fetch_optional(&self.reader)
        .await?
        .map(Channel::from)
        .ok_or(StoreError::NotFound)
    }

    async fn channel_by_widget_key(&self, key: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query_as::<_, ChannelRow>(
            "SELECT workspace_id, kind, widget_key, settings, updated_at FROM channels WHERE widget_key = ?",
        )
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Channel::from))
    }

    async fn record_widget_origin(&self, ws: WorkspaceId, origin: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO widget_origins (workspace_id, origin, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (workspace_id, origin) DO UPDATE SET last_seen_at = excluded.last_seen_at",
        )
        .bind(ws)
        .bind(origin)
        .bind(ts(at))
        .bind(ts(at))
        .execute(&self.writer)
        .await?;
        Ok(())
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
