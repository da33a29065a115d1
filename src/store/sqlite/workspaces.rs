//! Workspaces on SQLite.

use async_trait::async_trait;
use sqlx::types::Json;

use super::{SqliteStore, ts};
use crate::accounts::Account;
use crate::ids::WorkspaceId;
use crate::store::rows::{AccountRow, WorkspaceRow, account_columns};
use crate::store::{Provisioning, StoreError, StoreResult, WorkspaceStore};
use crate::workspaces::Workspace;

#[async_trait]
impl WorkspaceStore for SqliteStore {
    async fn provision(&self, p: &Provisioning, only_if_empty: bool) -> StoreResult<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if only_if_empty {
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces").fetch_one(&mut *tx).await?;
            if existing > 0 {
                return Ok(false);
            }
        }
        let w = &p.workspace;
        sqlx::query("INSERT INTO workspaces (id, name, seats, time_zone, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(w.id)
            .bind(&w.name)
            .bind(w.seats)
            .bind(&w.time_zone)
            .bind(ts(w.created_at))
            .execute(&mut *tx)
            .await?;
        let a = &p.admin;
        super::accounts::insert_account(&mut *tx, a).await?;
        sqlx::query("INSERT INTO api_tokens (token_hash, account_id, workspace_id, created_at) VALUES (?, ?, ?, ?)")
            .bind(&p.admin_token_hash)
            .bind(a.id)
            .bind(w.id)
            .bind(ts(w.created_at))
            .execute(&mut *tx)
            .await?;
        for (kind, settings) in &p.channels {
            let widget_key = (*kind == crate::channels::ChannelKind::Webchat).then_some(&p.widget_key);
            sqlx::query(
                "INSERT INTO channels (workspace_id, kind, widget_key, settings, updated_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(w.id)
            .bind(kind.as_str())
            .bind(widget_key)
            .bind(Json(settings))
            .bind(ts(w.created_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        sqlx::query_as::<_, WorkspaceRow>("SELECT id, name, seats, time_zone, created_at FROM workspaces WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .map(Workspace::from)
            .ok_or(StoreError::NotFound)
    }

    async fn first_admin(&self) -> StoreResult<Option<Account>> {
        let row = sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE role = 'admin' AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1"
        ))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Account::from))
    }
}
