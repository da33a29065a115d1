//! Accounts and tokens on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{PgStore, taken};
use crate::accounts::{Account, Principal};
use crate::ids::{AccountId, WorkspaceId};
use crate::store::rows::{AccountRow, LoginRow, PrincipalRow, account_columns};
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
        "INSERT INTO accounts (id, workspace_id, login, password_hash, name, role, manager_id, certified, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.id)
    .bind(a.workspace_id)
    .bind(&a.login)
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

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<(Account, String)>> {
        let row = sqlx::query_as::<_, LoginRow>(concat!(
            "SELECT ",
            account_columns!(),
            ", password_hash FROM accounts WHERE login = $1"
        ))
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (Account::from(r.account), r.password_hash)))
    }

    async fn update_account(&self, ws: WorkspaceId, id: AccountId, c: &AccountChanges) -> StoreResult<Account> {
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
        .fetch_optional(&self.pool)
        .await?;
        row.map(Account::from).ok_or(StoreError::NotFound)
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

    async fn principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let row = sqlx::query_as::<_, PrincipalRow>(
            "SELECT a.id AS account_id, a.workspace_id, a.role FROM api_tokens t \
             JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND a.certified AND a.deleted_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Principal::from))
    }

    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM api_tokens WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }
}
