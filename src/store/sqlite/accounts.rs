//! Accounts and tokens on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{SqliteStore, taken, ts};
use crate::accounts::Account;
use crate::accounts::auth::TokenGrant;
use crate::accounts::service::normalise_login;
use crate::ids::{AccountId, WorkspaceId};
use crate::store::rows::{AccountRow, LoginRow, TokenRow, account_columns};
use crate::store::{AccountChanges, AccountRecord, AccountStore, StoreError, StoreResult};

const OPEN_ROOMS: &str = "SELECT COUNT(*) FROM rooms WHERE workspace_id = ? AND assignee_id = ? AND status <> 'closed'";

impl SqliteStore {
    async fn account_in<'e, E>(executor: E, ws: WorkspaceId, id: AccountId) -> StoreResult<Account>
    where
        E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
    {
        sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE workspace_id = ? AND id = ?"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .map(Account::from)
        .ok_or(StoreError::NotFound)
    }
}

/// Inserts an account row; shared by registration and workspace provisioning.
pub(super) async fn insert_account<'e, E>(executor: E, a: &AccountRecord) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO accounts (id, workspace_id, login, login_normalised, password_hash, name, role, manager_id, \
         certified, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.id)
    .bind(a.workspace_id)
    .bind(&a.login)
    .bind(normalise_login(&a.login))
    .bind(&a.password_hash)
    .bind(&a.name)
    .bind(a.role.as_str())
    .bind(a.manager_id)
    .bind(a.certified)
    .bind(ts(a.created_at))
    .execute(executor)
    .await
    .map_err(|e| taken(e, "login"))?;
    Ok(())
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn insert_account(&self, a: &AccountRecord) -> StoreResult<()> {
        insert_account(&self.writer, a).await
    }

    async fn account(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        Self::account_in(&self.reader, ws, id).await
    }

    async fn accounts(&self, ws: WorkspaceId) -> StoreResult<Vec<Account>> {
        let rows = sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE workspace_id = ? ORDER BY created_at, id"
        ))
        .bind(ws)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Account::from).collect())
    }

    async fn accounts_by_login(
        &self,
        login_normalised: &str,
        ws: Option<WorkspaceId>,
    ) -> StoreResult<Vec<(Account, String)>> {
        let rows = sqlx::query_as::<_, LoginRow>(concat!(
            "SELECT ",
            account_columns!(),
            ", password_hash FROM accounts WHERE login_normalised = ? AND (? IS NULL OR workspace_id = ?) \
             AND deleted_at IS NULL"
        ))
        .bind(login_normalised)
        .bind(ws)
        .bind(ws)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|r| (Account::from(r.account), r.password_hash)).collect())
    }

    async fn password_hash(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<String> {
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE workspace_id = ? AND id = ?")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_account(&self, ws: WorkspaceId, id: AccountId, c: &AccountChanges) -> StoreResult<Account> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query(
            "UPDATE accounts SET name = COALESCE(?, name), password_hash = COALESCE(?, password_hash), \
             counselling = COALESCE(?, counselling), manager_id = COALESCE(?, manager_id) \
             WHERE workspace_id = ? AND id = ? AND deleted_at IS NULL",
        )
        .bind(&c.name)
        .bind(&c.password_hash)
        .bind(c.counselling)
        .bind(c.manager_id)
        .bind(ws)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if c.revoke_tokens {
            sqlx::query("DELETE FROM api_tokens WHERE account_id = ? AND (? IS NULL OR token_hash <> ?)")
                .bind(id)
                .bind(&c.keep_token_hash)
                .bind(&c.keep_token_hash)
                .execute(&mut *tx)
                .await?;
        }
        let account = Self::account_in(&mut *tx, ws, id).await?;
        tx.commit().await?;
        Ok(account)
    }

    async fn certify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let account = Self::account_in(&mut *tx, ws, id).await?;
        if account.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        if account.certified {
            return Ok(account);
        }
        let (seats, certified): (i64, i64) = sqlx::query_as(
            "SELECT w.seats, (SELECT COUNT(*) FROM accounts a WHERE a.workspace_id = w.id AND a.certified AND a.deleted_at IS NULL) \
             FROM workspaces w WHERE w.id = ?",
        )
        .bind(ws)
        .fetch_one(&mut *tx)
        .await?;
        if certified >= seats {
            return Err(StoreError::SeatLimit { seats });
        }
        sqlx::query("UPDATE accounts SET certified = 1 WHERE id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: true, ..account })
    }

    async fn uncertify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let account = Self::account_in(&mut *tx, ws, id).await?;
        let open: i64 = sqlx::query_scalar(OPEN_ROOMS).bind(ws).bind(id).fetch_one(&mut *tx).await?;
        if open > 0 {
            return Err(StoreError::HoldsOpenRooms(open));
        }
        sqlx::query("UPDATE accounts SET certified = 0 WHERE id = ?").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_tokens WHERE account_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: false, ..account })
    }

    async fn delete_account(&self, ws: WorkspaceId, id: AccountId, at: DateTime<Utc>) -> StoreResult<Account> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let account = Self::account_in(&mut *tx, ws, id).await?;
        if account.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        let open: i64 = sqlx::query_scalar(OPEN_ROOMS).bind(ws).bind(id).fetch_one(&mut *tx).await?;
        if open > 0 {
            return Err(StoreError::HoldsOpenRooms(open));
        }
        sqlx::query("UPDATE accounts SET certified = 0, deleted_at = ? WHERE id = ?")
            .bind(ts(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_tokens WHERE account_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: false, deleted_at: Some(at), ..account })
    }

    async fn insert_token(&self, token_hash: &str, account: &Account, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, account_id, workspace_id, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(account.id)
        .bind(account.workspace_id)
        .bind(ts(at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>> {
        let row = sqlx::query_as::<_, TokenRow>(
            "SELECT a.id AS account_id, a.workspace_id, a.role, t.created_at, t.last_used_at, t.source \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = ? AND a.certified AND a.deleted_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(TokenGrant::from))
    }

    async fn touch_token(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?")
            .bind(ts(at))
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn prune_tokens(
        &self,
        account: AccountId,
        idle_before: DateTime<Utc>,
        issued_before: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM api_tokens WHERE account_id = ? AND source = 'login' \
             AND (created_at < ? OR COALESCE(last_used_at, created_at) < ?)",
        )
        .bind(account)
        .bind(ts(issued_before))
        .bind(ts(idle_before))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM api_tokens WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn adopt_env_token(&self, token_hash: &str, admin: &Account, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let seen: Option<i64> = sqlx::query_scalar("SELECT 1 FROM admin_env_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if seen.is_some() {
            return Ok(false);
        }
        sqlx::query("INSERT INTO admin_env_tokens (token_hash, account_id, seen_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(admin.id)
            .bind(ts(at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_tokens WHERE source = 'env' AND token_hash <> ?")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, account_id, workspace_id, created_at, source) \
             VALUES (?, ?, ?, ?, 'env') ON CONFLICT (token_hash) DO UPDATE SET source = 'env', \
             account_id = excluded.account_id, workspace_id = excluded.workspace_id",
        )
        .bind(token_hash)
        .bind(admin.id)
        .bind(admin.workspace_id)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
