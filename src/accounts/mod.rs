//! Accounts and roles (seed 002).
//!
//! One `admin` per workspace holds every permission; a `manager` works rooms and sees the history
//! of the agents they manage; an `agent` only chats. An account must be certified to log in, and a
//! workspace never has more certified accounts than seats. Agents and managers cannot be converted
//! into each other. Who may do what is decided in one place: [`roles::Permission`].

pub mod auth;
pub mod password;
pub mod policy;
pub mod roles;
pub mod service;
pub mod throttle;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, WorkspaceId};
pub use roles::{Permission, Role};

/// An operator or counselor account, as the API shows it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Account {
    /// Stable id.
    pub id: AccountId,
    /// The workspace the account belongs to.
    pub workspace_id: WorkspaceId,
    /// Login name, unique within the workspace regardless of case (`Kim` and `kim` are one).
    pub login: String,
    /// Display name shown to colleagues and, for counselors, to customers.
    pub name: String,
    /// What the account may do.
    pub role: Role,
    /// The admin or manager responsible for this account; defines groups and transfer rules.
    pub manager_id: Option<AccountId>,
    /// Only certified accounts can log in; they count against the workspace's seats.
    pub certified: bool,
    /// Whether the account takes part in room distribution ("상담 진행" / "상담 안함").
    pub counselling: bool,
    /// When the account was deleted; history keeps showing it as "name (deleted)".
    pub deleted_at: Option<DateTime<Utc>>,
    /// When the account was registered.
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// The name history shows: marks uncertified and deleted accounts as the seed describes.
    pub fn display_name(&self) -> String {
        if self.deleted_at.is_some() {
            format!("{} (deleted)", self.name)
        } else if !self.certified {
            format!("{} (uncertified)", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// An authenticated caller of the operator API.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The account behind the token.
    pub account_id: AccountId,
    /// The workspace every request of this caller is scoped to.
    pub workspace_id: WorkspaceId,
    /// The caller's role, checked through [`Principal::require`].
    pub role: Role,
}

impl Principal {
    /// Fails with [`service::AccountError::Forbidden`] unless the role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), service::AccountError> {
        if self.role.allows(permission) { Ok(()) } else { Err(service::AccountError::Forbidden(permission)) }
    }
}

/// Body of `POST /v1/accounts`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Login name (3–64 characters: letters, digits, `.`, `_`, `-`, `@`).
    #[schemars(regex(pattern = service::LOGIN_PATTERN))]
    pub login: String,
    /// Password: 10 to 256 characters, at least 4 different ones, not containing the login and
    /// not on the list of common passwords (422 `weak_password` otherwise).
    #[schemars(length(min = policy::MIN_CHARS, max = policy::MAX_CHARS))]
    pub password: String,
    /// Display name (1–100 printable characters, not blank; stored trimmed).
    #[schemars(length(max = service::MAX_NAME_CHARS), regex(pattern = crate::text::LINE_PATTERN))]
    pub name: String,
    /// `manager` or `agent`; a workspace has exactly one `admin`.
    #[schemars(with = "RegisteredRole")]
    pub role: Role,
    /// The responsible admin or manager. Agents default to the admin; managers always report to
    /// the admin.
    #[serde(default)]
    pub manager_id: Option<AccountId>,
}

/// The roles an account can be registered with, as the document states them (the admin exists
/// from the first start and there is only one).
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum RegisteredRole {
    /// Works rooms and sees the history of the agents they manage.
    Manager,
    /// Only chats.
    Agent,
}

/// Body of `PATCH /v1/accounts/{id}`; every field optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// New display name (1–100 printable characters, not blank; stored trimmed).
    #[schemars(length(max = service::MAX_NAME_CHARS), regex(pattern = crate::text::LINE_PATTERN))]
    pub name: Option<String>,
    /// New password, under the same rules as at registration. Changing one's own needs
    /// `current_password` and revokes the account's other tokens; an admin setting another
    /// account's password revokes all of that account's tokens.
    #[schemars(length(min = policy::MIN_CHARS, max = policy::MAX_CHARS))]
    pub password: Option<String>,
    /// The caller's current password; required to change one's own password.
    pub current_password: Option<String>,
    /// Whether the account takes part in distribution.
    pub counselling: Option<bool>,
    /// New responsible admin or manager (agents only).
    pub manager_id: Option<AccountId>,
    /// A role change is only accepted when it keeps the role: agents and managers cannot be
    /// converted into each other.
    pub role: Option<Role>,
}
