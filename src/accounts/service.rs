//! Account operations: registration, certification, changes, login, tokens.
//!
//! Each function takes the caller, checks the permission first, validates, then asks the store.
//! Logins are unique within a workspace and compared lowercase; a login request may name its
//! workspace, and one that does not is refused like a wrong password when the login exists in
//! more than one, so no answer tells which workspaces hold a login.

use crate::accounts::auth::{Auth, ClientAddress, Verdict};
use crate::accounts::password::{self, Busy};
use crate::accounts::policy::{self, Weakness};
use crate::accounts::throttle::TooManyAttempts;
use crate::accounts::{Account, AccountPatch, NewAccount, Permission, Principal, Role};
use crate::clock::Clock;
use crate::ids::{AccountId, WorkspaceId};
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
    /// The new password breaks the password policy.
    #[error(transparent)]
    WeakPassword(#[from] Weakness),
    /// Too many failed attempts for this login or from this address.
    #[error(transparent)]
    TooManyAttempts(#[from] TooManyAttempts),
    /// The password hashers are all busy and their queue is full.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// Changing one's own password needs the current one.
    #[error("current_password: give your current password to change it")]
    CurrentPasswordRequired,
    /// The current password given is wrong.
    #[error("current_password: that is not your current password")]
    WrongCurrentPassword,
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
pub async fn create(
    store: &dyn Store,
    clock: &dyn Clock,
    auth: &Auth,
    caller: &Principal,
    input: NewAccount,
) -> Result<Account> {
    caller.require(Permission::ManageAccounts)?;
    let login = valid_login(&input.login)?;
    let name = valid_name(&input.name)?;
    policy::check(&input.password, &login)?;
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
        password_hash: auth.hasher.hash(Secret::new(input.password)).await?.map_err(internal)?,
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

/// One account, if the caller may see it (anyone may see their own). A deleted account is gone
/// from its own address; the list and the rooms' history still name it.
pub async fn get(store: &dyn Store, caller: &Principal, id: AccountId) -> Result<Account> {
    let account = live(store.account(caller.workspace_id, id).await?)?;
    let visible = id == caller.account_id
        || caller.role == Role::Admin
        || (caller.role == Role::Manager && account.manager_id == Some(caller.account_id));
    if visible { Ok(account) } else { Err(AccountError::NotFound) }
}

/// Changes an account. The admin may change anything but the role; everyone may change their
/// own name and password. Changing one's own password needs the current one and revokes every
/// other token of the account (the one used for the call stays valid); an admin setting another
/// account's password revokes all of that account's tokens.
pub async fn update(
    store: &dyn Store,
    auth: &Auth,
    caller: &Principal,
    caller_token: &Secret,
    id: AccountId,
    patch: AccountPatch,
) -> Result<Account> {
    let own = id == caller.account_id;
    let admin_only = patch.counselling.is_some() || patch.manager_id.is_some();
    if !own || admin_only {
        caller.require(Permission::ManageAccounts)?;
    }
    let current = live(store.account(caller.workspace_id, id).await?)?;
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
        Some(new) => {
            policy::check(&new, &current.login)?;
            if own {
                let given = patch.current_password.ok_or(AccountError::CurrentPasswordRequired)?;
                // The current password is a password like any other: guessing it is throttled.
                auth.throttle.attempt(&current.login, None)?;
                let stored = store.password_hash(caller.workspace_id, id).await?;
                if !auth.hasher.verify(Secret::new(given), stored).await? {
                    return Err(AccountError::WrongCurrentPassword);
                }
                auth.throttle.succeeded(&current.login);
            }
            Some(auth.hasher.hash(Secret::new(new)).await?.map_err(internal)?)
        }
        None => None,
    };
    let changes = AccountChanges {
        name: patch.name.as_deref().map(valid_name).transpose()?,
        revoke_tokens: password_hash.is_some(),
        keep_token_hash: (password_hash.is_some() && own).then(|| secret::token_hash(caller_token.expose())),
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

/// A login request.
#[derive(Debug)]
pub struct Credentials {
    /// The login as typed; compared lowercase.
    pub login: String,
    /// The workspace, when the caller names it.
    pub workspace: Option<WorkspaceId>,
    /// The password.
    pub password: Secret,
}

/// Checks a login and password and issues a new bearer token. Throttled per login and per
/// client address before any hashing; the same 401 for an unknown login, a wrong password and
/// a login that exists in several workspaces when none is named.
#[tracing::instrument(skip_all, fields(login = %credentials.login))]
pub async fn login(
    store: &dyn Store,
    clock: &dyn Clock,
    auth: &Auth,
    credentials: Credentials,
    from: ClientAddress,
) -> Result<(Secret, Account)> {
    let normalised = normalise_login(&credentials.login);
    auth.throttle.attempt(&normalised, from.0)?;
    let mut found = if valid_login(&normalised).is_ok() {
        store.accounts_by_login(&normalised, credentials.workspace).await?
    } else {
        Vec::new()
    };
    let Some((account, hash)) = found.pop().filter(|_| found.is_empty()) else {
        // Spend the same time as a real check, so timing does not reveal which logins exist.
        auth.hasher.verify(credentials.password, password::DECOY_HASH.into()).await?;
        return Err(AccountError::BadCredentials);
    };
    if !auth.hasher.verify(credentials.password, hash).await? {
        return Err(AccountError::BadCredentials);
    }
    auth.throttle.succeeded(&normalised);
    if !account.certified {
        return Err(AccountError::NotCertified);
    }
    let now = clock.now();
    store.prune_tokens(account.id, now - auth.tokens.idle, now - auth.tokens.max).await?;
    let token = secret::generate(TokenKind::Operator);
    store.insert_token(&secret::token_hash(token.expose()), &account, now).await?;
    Ok((token, account))
}

/// The caller behind a bearer token, if the token is known, within its lifetimes and its
/// account may log in. An expired token is forgotten; a used one has its last use written at
/// most once a minute.
pub async fn authenticate(store: &dyn Store, clock: &dyn Clock, auth: &Auth, token: &str) -> Result<Option<Principal>> {
    let hash = secret::token_hash(token);
    let Some(grant) = store.token(&hash).await? else { return Ok(None) };
    let now = clock.now();
    match auth.tokens.judge(&grant, now) {
        Verdict::Expired => {
            store.delete_token(&hash).await?;
            Ok(None)
        }
        Verdict::Valid { touch } => {
            if touch && let Err(e) = store.touch_token(&hash, now).await {
                // Losing one last-use mark is harmless; refusing the request for it is not.
                tracing::warn!(error = %e, "could not record a token's last use");
            }
            Ok(Some(grant.principal))
        }
    }
}

/// Revokes the token the caller used.
pub async fn logout(store: &dyn Store, token: &Secret) -> Result<()> {
    Ok(store.delete_token(&secret::token_hash(token.expose())).await?)
}

/// A login as it is stored and compared: lowercase (logins are ASCII).
pub fn normalise_login(login: &str) -> String {
    login.trim().to_ascii_lowercase()
}

/// `account`, unless it was deleted: then it is not found.
fn live(account: Account) -> Result<Account> {
    if account.deleted_at.is_some() { Err(AccountError::NotFound) } else { Ok(account) }
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

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// What a login may be, as a JSON Schema pattern: the rule [`valid_login`] checks.
pub const LOGIN_PATTERN: &str = "^[A-Za-z0-9._@-]{3,64}$";

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

/// A display name: at most [`MAX_NAME_CHARS`] printable characters, not blank; stored trimmed.
fn valid_name(name: &str) -> Result<String> {
    if name.chars().count() > MAX_NAME_CHARS || !crate::text::is_line(name) {
        return Err(AccountError::Invalid("name: give 1 to 100 printable characters".into()));
    }
    Ok(name.trim().to_owned())
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
