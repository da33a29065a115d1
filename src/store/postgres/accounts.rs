//! Accounts and tokens on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PgStore, taken};
use crate::accounts::Account;
use crate::accounts::auth::TokenGrant;
use crate::accounts::service::normalise_login;
use crate::ids::{AccountId, WorkspaceId};
use crate::store::rows::{AccountRow, LoginRow, TokenRow, account_columns};
use crate::store::{AccountChanges, AccountRecord, AccountStore, StoreError, StoreResult};

const OPEN_ROOMS: &str =
    "SELECT COUNT(*) FROM rooms WHERE workspace_id = $1 AND assignee_id = $2 AND status <> 'closed'";

impl PgStore {
    /// Reads an account, locking its row for the rest of the transaction.
    async fn lock_account(tx: &mut sqlx::PgConnection, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE workspace_id = $1 AND id = $2 FOR UPDATE"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(tx)
        .await?
        .map(Account::from)
        .ok_or(StoreError::NotFound)
    }

    /// Fails when the account holds rooms that are not closed.
    async fn ensure_no_open_rooms(tx: &mut sqlx::PgConnection, ws: WorkspaceId, id: AccountId) -> StoreResult<()> {
        let open: i64 = sqlx::query_scalar(OPEN_ROOMS).bind(ws).bind(id).fetch_one(tx).await?;
        if open > 0 { Err(StoreError::HoldsOpenRooms(open)) } else { Ok(()) }
    }
}

/// Inserts an account row; shared by registration and workspace provisioning.
pub(super) async fn insert_account<'e, E>(executor: E, a: &AccountRecord) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO accounts (id, workspace_id, login, login_normalised, password_hash, name, role, manager_id, \
         certified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    .bind(a.created_at)
    .execute(executor)
    .await
    .map_err(|e| taken(e, "login"))?;
    Ok(())
}

#[async_trait]
impl AccountStore for PgStore {
    async fn insert_account(&self, a: &AccountRecord) -> StoreResult<()> {
        insert_account(&self.pool, a).await
    }

    async fn account(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(Account::from)
        .ok_or(StoreError::NotFound)
    }

    async fn accounts(&self, ws: WorkspaceId) -> StoreResult<Vec<Account>> {
        let rows = sqlx::query_as::<_, AccountRow>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE workspace_id = $1 ORDER BY created_at, id"
        ))
        .bind(ws)
        .fetch_all(&self.pool)
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
            ", password_hash FROM accounts WHERE login_normalised = $1 \
             AND ($2::text IS NULL OR workspace_id = $2) AND deleted_at IS NULL"
        ))
        .bind(login_normalised)
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (Account::from(r.account), r.password_hash)).collect())
    }

    async fn password_hash(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<String> {
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE workspace_id = $1 AND id = $2")
            .bind(ws)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_account(&self, ws: WorkspaceId, id: AccountId, c: &AccountChanges) -> StoreResult<Account> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, AccountRow>(concat!(
            "UPDATE accounts SET name = COALESCE($1, name), password_hash = COALESCE($2, password_hash), \
             counselling = COALESCE($3, counselling), manager_id = COALESCE($4, manager_id) \
             WHERE workspace_id = $5 AND id = $6 AND deleted_at IS NULL RETURNING ",
            account_columns!()
        ))
        .bind(&c.name)
        .bind(&c.password_hash)
        .bind(c.counselling)
        .bind(c.manager_id)
        .bind(ws)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let account = row.map(Account::from).ok_or(StoreError::NotFound)?;
        if c.revoke_tokens {
            sqlx::query("DELETE FROM api_tokens WHERE account_id = $1 AND ($2::text IS NULL OR token_hash <> $2)")
                .bind(id)
                .bind(&c.keep_token_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(account)
    }

    async fn certify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        let mut tx = self.pool.begin().await?;
        // The workspace row is the seat counter's lock: certifications of one workspace queue here.
        let seats: i64 = sqlx::query_scalar("SELECT seats FROM workspaces WHERE id = $1 FOR UPDATE")
            .bind(ws)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let account = Self::lock_account(&mut tx, ws, id).await?;
        if account.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        if account.certified {
            return Ok(account);
        }
        let certified: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE workspace_id = $1 AND certified AND deleted_at IS NULL",
        )
        .bind(ws)
        .fetch_one(&mut *tx)
        .await?;
        if certified >= seats {
            return Err(StoreError::SeatLimit { seats });
        }
        sqlx::query("UPDATE accounts SET certified = TRUE WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: true, ..account })
    }

    async fn uncertify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account> {
        let mut tx = self.pool.begin().await?;
        let account = Self::lock_account(&mut tx, ws, id).await?;
        Self::ensure_no_open_rooms(&mut tx, ws, id).await?;
        sqlx::query("UPDATE accounts SET certified = FALSE WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_tokens WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: false, ..account })
    }

    async fn delete_account(&self, ws: WorkspaceId, id: AccountId, at: DateTime<Utc>) -> StoreResult<Account> {
        let mut tx = self.pool.begin().await?;
        let account = Self::lock_account(&mut tx, ws, id).await?;
        if account.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        Self::ensure_no_open_rooms(&mut tx, ws, id).await?;
        sqlx::query("UPDATE accounts SET certified = FALSE, deleted_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM api_tokens WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Account { certified: false, deleted_at: Some(at), ..account })
    }

    async fn insert_token(&self, token_hash: &str, account: &Account, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, account_id, workspace_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(account.id)
        .bind(account.workspace_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>> {
        let row = sqlx::query_as::<_, TokenRow>(
            "SELECT a.id AS account_id, a.workspace_id, a.role, t.created_at, t.last_used_at, t.source \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND a.certified AND a.deleted_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(TokenGrant::from))
    }

    async fn touch_token(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
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
            "DELETE FROM api_tokens WHERE account_id = $1 AND source = 'login' \
             AND (created_at < $2 OR COALESCE(last_used_at, created_at) < $3)",
        )
        .bind(account)
        .bind(issued_before)
        .bind(idle_before)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM api_tokens WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn adopt_env_token(&self, token_hash: &str, admin: &Account, at: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Engines starting together with the same token: the first one adopts it, the others see it.
        let inserted = sqlx::query(
            "INSERT INTO admin_env_tokens (token_hash, account_id, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(admin.id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM api_tokens WHERE source = 'env' AND token_hash <> $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, account_id, workspace_id, created_at, source) \
             VALUES ($1, $2, $3, $4, 'env') ON CONFLICT (token_hash) DO UPDATE SET source = 'env', \
             account_id = EXCLUDED.account_id, workspace_id = EXCLUDED.workspace_id",
        )
        .bind(token_hash)
        .bind(admin.id)
        .bind(admin.workspace_id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
