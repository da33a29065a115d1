//! Signing keys and used widget load tokens on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, ts};
use crate::store::{StoreResult, WidgetLoadStore};

#[async_trait]
impl WidgetLoadStore for SqliteStore {
    async fn signing_key(&self, purpose: &str, candidate: &str, at: DateTime<Utc>) -> StoreResult<String> {
        // The no-op update makes RETURNING give the stored key when there is one already.
        let key = sqlx::query_scalar(
            "INSERT INTO signing_keys (purpose, key, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (purpose) DO UPDATE SET purpose = excluded.purpose RETURNING key",
        )
        .bind(purpose)
        .bind(candidate)
        .bind(ts(at))
        .fetch_one(&self.writer)
        .await?;
        Ok(key)
    }

    async fn use_widget_load(&self, nonce: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool> {
        sqlx::query("DELETE FROM widget_load_nonces WHERE expires_at < ?").bind(ts(now)).execute(&self.writer).await?;
        let inserted = sqlx::query(
            "INSERT INTO widget_load_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(ts(expires_at))
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }
}
