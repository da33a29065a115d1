//! Signing keys and used widget load tokens on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::{StoreResult, WidgetLoadStore};

#[async_trait]
impl WidgetLoadStore for PgStore {
    async fn signing_key(&self, purpose: &str, candidate: &str, at: DateTime<Utc>) -> StoreResult<String> {
        // The no-op update makes RETURNING give the stored key when there is one already; two
        // processes starting together get the same key, whichever inserted it.
        let key = sqlx::query_scalar(
            "INSERT INTO signing_keys (purpose, key, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (purpose) DO UPDATE SET purpose = EXCLUDED.purpose RETURNING key",
        )
        .bind(purpose)
        .bind(candidate)
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        Ok(key)
    }

    async fn use_widget_load(&self, nonce: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool> {
        sqlx::query("DELETE FROM widget_load_nonces WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        let inserted = sqlx::query(
            "INSERT INTO widget_load_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }
}
