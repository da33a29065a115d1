//! Account operations: registration, certification, changes, login.
//!
//! Each function takes the caller, checks the permission first, validates, then asks the store.

use crate::accounts::{Account, AccountPatch, NewAccount, Permission, Principal, Role, password};
use crate::clock::Clock;
use crate::ids::AccountId;
use crate::secret::{self, Secret, TokenKind};
use crate::store::{AccountChanges, AccountRecord, Store, StoreError};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The caller's role does not allow this.
    #[error("{}", .0.describe())]
    Forbidden(Permission),
    /// No such account in the caller's workspace.
    #[error("no account with that id in this workspace")]
    NotFound,
    /// A field is invalid; says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The login is used by another account.
    #[error("the login {0:?} is already taken")]
    LoginTaken(String),
    /// Certifying would exceed the workspace's seats.
    #[error("all {0} seats are certified; uncertify an account or add seats first")]
    SeatLimit(i64),
    /// The account holds open rooms.
    #[error("the account still holds {0} open rooms; transfer them to another counselor first")]
    HoldsOpenRooms(i64),
    /// Agents and managers cannot be converted into each other.
    #[error("an {from} cannot become a {to}: delete the account and register it again with the new role")]
    RoleConversion {
        /// Current role.
        from: &'static str,
        /// Requested role.
        to: &'static str,
    },
    /// Login failed: unknown login or wrong password (never says which).
    #[error("wrong login or password")]
    BadCredentials,
    /// The account exists and the password is right, but it is not certified.
    #[error("this account is not certified; ask the workspace admin to certify it")]
    NotCertified,
    /// Hashing a password failed (never the caller's fault).
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AccountError::NotFound,
            StoreError::SeatLimit { seats } => AccountError::SeatLimit(seats),
            StoreError::HoldsOpenRooms(n) => AccountError::HoldsOpenRooms(n),
            other => AccountError::Store(other),
        }
    }
}

type Result<T> = std::result::Result<T, AccountError>;

/// Registers a manager or agent (admin only). The account starts uncertified.
#[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, login = %input.login))]
pub async fn create(store: &dyn Store, clock: &dyn Clock, caller: &Principal, input: NewAccount) -> Result<Account> {
    caller.require(Permission::ManageAccounts)?;
    let login = valid_login(&input.login)?;
    let name = valid_name(&input.name)?;
    valid_password(&input.password)?;
    let manager_id = match input.role {
        Role::Admin => {
            return Err(AccountError::Invalid(
                "role: a workspace has exactly one admin; register a manager or an agent".into(),
            ));
        }
        // A manager's own manager is always the admin (seed 002).
        Role::Manager => match input.manager_id {
            Some(id) if id != caller.account_id => {
                return Err(AccountError::Invalid("manager_id: a manager always reports to the admin".into()));
            }
            _ => caller.account_id,
        },
        Role::Agent => match input.manager_id {
            Some(id) => valid_manager(store, caller, id).await?,
            None => caller.account_id,
        },
    };
    let record = AccountRecord {
        id: AccountId::new(),
        workspace_id: caller.workspace_id,
        login: login.clone(),
        password_hash: password::hash(Secret::new(input.password)).await.map_err(internal)?,
        name,
        role: input.role,
        manager_id: Some(manager_id),
        certified: false,
        created_at: clock.now(),
    };
    match store.insert_account(&record).await {
        Err(StoreError::Taken(_)) => return Err(AccountError::LoginTaken(login)),
        other => other?,
    }
    Ok(store.account(caller.workspace_id, record.id).await?)
}

/// The accounts the caller may see: all for the admin, a manager's own group for managers.
pub async fn list(store: &dyn Store, caller: &Principal) -> Result<Vec<Account>> {
    caller.require(Permission::ViewAccounts)?;
    let all = store.accounts(caller.workspace_id).await?;
    Ok(match caller.role {
        Role::Admin => all,
        _ => all.into_iter().filter(|a| a.id == caller.account_id || a.manager_id == Some(caller.account_id)).collect(),
    })
}

/// One account, if the caller may see it (anyone may see their own).
pub async fn get(store: &dyn Store, caller: &Principal, id: AccountId) -> Result<Account> {
    let account = store.account(caller.workspace_id, id).await?;
    let visible = id == caller.account_id
        || caller.role == Role::Admin
        || (caller.role == Role::Manager && account.manager_id == Some(caller.account_id));
    if visible { Ok(account) } else { Err(AccountError::NotFound) }
}

/// Changes an account. The admin may change anything but the role; everyone may change their
/// own name and password.
pub async fn update(store: &dyn Store, caller: &Principal, id: AccountId, patch: AccountPatch) -> Result<Account> {
    let own = id == caller.account_id;
    let admin_only = patch.counselling.is_some() || patch.manager_id.is_some();
    if !own || admin_only {
        caller.require(Permission::ManageAccounts)?;
    }
    let current = store.account(caller.workspace_id, id).await?;
    if let Some(role) = patch.role.filter(|role| *role != current.role) {
        return Err(AccountError::RoleConversion { from: current.role.as_str(), to: role.as_str() });
    }
    let manager_id = match patch.manager_id {
        Some(_) if current.role != Role::Agent => {
            return Err(AccountError::Invalid("manager_id: only an agent's manager can be changed".into()));
        }
        Some(mid) => Some(valid_manager(store, caller, mid).await?),
        None => None,
    };
    let password_hash = match patch.password {
        Some(p) => {
            valid_password(&p)?;
            Some(password::hash(Secret::new(p)).await.map_err(internal)?)
        }
        None => None,
    };
    let changes = AccountChanges {
        name: patch.name.as_deref().map(valid_name).transpose()?,
        password_hash,
        counselling: patch.counselling,
        manager_id,
    };
    Ok(store.update_account(caller.workspace_id, id, &changes).await?)
}

/// Certifies an account so it can log in (admin only); 409 past the seat count.
pub async fn certify(store: &dyn Store, caller: &Principal, id: AccountId) -> Result<Account> {
    caller.require(Permission::ManageAccounts)?;
    Ok(store.certify(caller.workspace_id, id).await?)
}

/// Uncertifies an account (admin only); refused while it holds open rooms or for the admin.
pub async fn uncertify(store: &dyn Store, caller: &Principal, id: AccountId) -> Result<Account> {
    caller.require(Permission::ManageAccounts)?;
    if id == caller.account_id {
        return Err(AccountError::Invalid("the admin account cannot be uncertified".into()));
    }
    Ok(store.uncertify(caller.workspace_id, id).await?)
}

/// Deletes an account (admin only); refused while it holds open rooms or for the admin.
pub async fn delete(store: &dyn Store, clock: &dyn Clock, caller: &Principal, id: AccountId) -> Result<Account> {
    caller.require(Permission::ManageAccounts)?;
    if id == caller.account_id {
        return Err(AccountError::Invalid("the admin account cannot be deleted".into()));
    }
    Ok(store.delete_account(caller.workspace_id, id, clock.now()).await?)
}

/// Checks a login and password and issues a new bearer token.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn login(store: &dyn Store, clock: &dyn Clock, login: &str, password: Secret) -> Result<(Secret, Account)> {
    let found = store.account_by_login(login).await?;
    let Some((account, hash)) = found.filter(|(a, _)| a.deleted_at.is_none()) else {
        // Spend the same time as a real check, so timing does not reveal which logins exist.
        password::verify(password, password::DECOY_HASH.into()).await;
        return Err(AccountError::BadCredentials);
    };
    if !password::verify(password, hash).await {
        return Err(AccountError::BadCredentials);
    }
    if !account.certified {
        return Err(AccountError::NotCertified);
    }
    let token = secret::generate(TokenKind::Operator);
    store.insert_token(&secret::token_hash(token.expose()), &account, clock.now()).await?;
    Ok((token, account))
}

/// Revokes the token the caller used.
pub async fn logout(store: &dyn Store, token: &Secret) -> Result<()> {
    Ok(store.delete_token(&secret::token_hash(token.expose())).await?)
}

async fn valid_manager(store: &dyn Store, caller: &Principal, id: AccountId) -> Result<AccountId> {
    match store.account(caller.workspace_id, id).await {
        Ok(m) if m.role != Role::Agent && m.deleted_at.is_none() => Ok(m.id),
        Ok(_) | Err(StoreError::NotFound) => {
            Err(AccountError::Invalid("manager_id: must name the admin or a manager of this workspace".into()))
        }
        Err(e) => Err(e.into()),
    }
}

/// A login: 3–64 characters of letters, digits, `.`, `_`, `-` and `@`.
pub fn valid_login(login: &str) -> Result<String> {
    let ok_chars = login.chars().all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c));
    if !(3..=64).contains(&login.chars().count()) || !ok_chars {
        return Err(AccountError::Invalid(
            "login: use 3 to 64 characters: letters, digits, '.', '_', '-' or '@'".into(),
        ));
    }
    Ok(login.to_owned())
}

fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AccountError::Invalid("name: give 1 to 100 printable characters".into()));
    }
    Ok(name.to_owned())
}

fn valid_password(password: &str) -> Result<()> {
    if !(8..=256).contains(&password.chars().count()) {
        return Err(AccountError::Invalid("password: use 8 to 256 characters".into()));
    }
    Ok(())
}

fn internal(e: anyhow::Error) -> AccountError {
    AccountError::Internal(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_checked() {
        assert!(valid_login("kim.happy@brand").is_ok());
        assert!(valid_login("ab").is_err());
        assert!(valid_login("has space").is_err());
        assert!(valid_login("김해피").is_err());
    }

    #[test]
    fn names_accept_korean_and_reject_blank() {
        assert_eq!(valid_name("  김해피 ").unwrap(), "김해피");
        assert!(valid_name("   ").is_err());
        assert!(valid_name("a\u{7}b").is_err());
    }
}
