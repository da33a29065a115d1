//! Creating workspaces: at first start on an empty database, and from the command line.

use std::str::FromStr;

use crate::accounts::{Account, Role, password, policy, service::valid_login};
use crate::channels::{ChannelKind, ChannelSettings};
use crate::clock::Clock;
use crate::ids::{AccountId, WorkspaceId};
use crate::secret::{self, Secret, TokenKind};
use crate::store::{AccountRecord, Provisioning, Store, StoreError};
use crate::workspaces::Workspace;

/// What to create.
#[derive(Debug, Clone)]
pub struct WorkspaceSpec {
    /// Brand name.
    pub name: String,
    /// Seat count.
    pub seats: i64,
    /// IANA time zone.
    pub time_zone: String,
    /// The admin's login.
    pub admin_login: String,
    /// The admin's password; generated when absent.
    pub admin_password: Option<Secret>,
    /// The admin's first API token; generated when absent.
    pub admin_token: Option<Secret>,
}

impl WorkspaceSpec {
    /// The workspace created on an empty database.
    pub fn first(admin_token: Option<Secret>) -> Self {
        WorkspaceSpec {
            name: "Default workspace".into(),
            seats: 10,
            time_zone: "Asia/Seoul".into(),
            admin_login: "admin".into(),
            admin_password: None,
            admin_token,
        }
    }
}

/// A created workspace with the credentials to show once.
#[derive(Debug)]
pub struct Provisioned {
    /// The workspace.
    pub workspace: Workspace,
    /// Its admin.
    pub admin: Account,
    /// The admin's password, when it was generated.
    pub generated_password: Option<Secret>,
    /// The admin's API token.
    pub admin_token: Secret,
    /// The webchat widget key.
    pub widget_key: String,
}

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The spec is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a workspace with its admin, token and channels. With `only_if_empty`, returns `None`
/// when the database already holds a workspace.
pub async fn provision(
    store: &dyn Store,
    clock: &dyn Clock,
    spec: WorkspaceSpec,
    only_if_empty: bool,
) -> Result<Option<Provisioned>, ProvisionError> {
    if spec.name.trim().is_empty() {
        return Err(ProvisionError::Invalid("the workspace needs a name".into()));
    }
    if spec.seats < 1 {
        return Err(ProvisionError::Invalid("a workspace needs at least one seat (its admin)".into()));
    }
    chrono_tz::Tz::from_str(&spec.time_zone).map_err(|_| {
        ProvisionError::Invalid(format!("unknown time zone {:?}; use an IANA name like Asia/Seoul", spec.time_zone))
    })?;
    let admin_login = valid_login(&spec.admin_login).map_err(|e| ProvisionError::Invalid(e.to_string()))?;
    if let Some(token) = &spec.admin_token
        && token.expose().len() < 24
    {
        return Err(ProvisionError::Invalid("the admin token must be at least 24 characters".into()));
    }
    let generated_password = spec.admin_password.is_none().then(|| policy_password(&admin_login));
    let password = spec.admin_password.or(generated_password.clone()).unwrap_or_else(|| policy_password(&admin_login));
    let admin_token = spec.admin_token.unwrap_or_else(|| secret::generate(TokenKind::Operator));
    let now = clock.now();
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: spec.name.trim().to_owned(),
        seats: spec.seats,
        time_zone: spec.time_zone,
        created_at: now,
    };
    let admin = AccountRecord {
        id: AccountId::new(),
        workspace_id: workspace.id,
        login: admin_login,
        password_hash: password::hash(password).await.map_err(|e| ProvisionError::Invalid(e.to_string()))?,
        name: "Admin".into(),
        role: Role::Admin,
        manager_id: None,
        certified: true,
        created_at: now,
    };
    let widget_key = secret::generate(TokenKind::WidgetKey).expose().to_owned();
    let plan = Provisioning {
        workspace: workspace.clone(),
        admin: admin.clone(),
        admin_token_hash: secret::token_hash(admin_token.expose()),
        widget_key: widget_key.clone(),
        channels: ChannelKind::ALL.iter().map(|k| (*k, ChannelSettings::default())).collect(),
    };
    match store.provision(&plan, only_if_empty).await {
        Ok(false) => return Ok(None),
        Ok(true) => {}
        Err(StoreError::Taken(_)) => {
            return Err(ProvisionError::Invalid(format!("the login {:?} is already taken", admin.login)));
        }
        Err(e) => return Err(e.into()),
    }
    let admin = store.account(workspace.id, admin.id).await?;
    Ok(Some(Provisioned { workspace, admin, generated_password, admin_token, widget_key }))
}

/// A generated password that passes the password policy (24 random characters nearly always do;
/// the loop covers the one in millions that happens to contain the login).
fn policy_password(login: &str) -> Secret {
    loop {
        let candidate = secret::generate_password();
        if policy::check(candidate.expose(), login).is_ok() {
            return candidate;
        }
    }
}

/// At start-up: creates the first workspace on an empty database, then takes
/// `SANGDAM_ADMIN_TOKEN`, when set, as a token of the first workspace's admin, once.
///
/// The environment token is deliberate: the first start that sees a value stores its hash for
/// good and revokes the environment token it replaces. A value seen before is never stored again,
/// so after a logout (or the admin's password change) it stays revoked across restarts. To rotate,
/// set a new value and restart: the new one works and the old one stops. The environment token
/// does not expire by idleness or age.
pub async fn bootstrap(
    store: &dyn Store,
    clock: &dyn Clock,
    admin_token: Option<Secret>,
) -> Result<Option<Provisioned>, ProvisionError> {
    let created = provision(store, clock, WorkspaceSpec::first(admin_token.clone()), true).await?;
    let Some(token) = admin_token else { return Ok(created) };
    let admin = match &created {
        Some(made) => Some(made.admin.clone()),
        None => store.first_admin().await?,
    };
    if let Some(admin) = admin {
        if store.adopt_env_token(&secret::token_hash(token.expose()), &admin, clock.now()).await? {
            tracing::info!(login = %admin.login, "SANGDAM_ADMIN_TOKEN accepted; any earlier one is revoked");
        } else {
            tracing::debug!("SANGDAM_ADMIN_TOKEN was seen before; it is not stored again");
        }
    }
    Ok(created)
}
