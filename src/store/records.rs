//! Records the domain hands to the store for writing.

use chrono::{DateTime, Utc};

use crate::accounts::Role;
use crate::channels::{ChannelKind, ChannelSecrets, ChannelSettings};
use crate::ids::{AccountId, CustomerId, RoomId, WorkspaceId};
use crate::launch::{Checks, LaunchState, TransitionRecord};
use crate::rooms::{CustomerIdentity, RoomStatus};
use crate::workspaces::Workspace;

/// A new account with its password already hashed.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// Id of the new account.
    pub id: AccountId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Login name as typed; the store also keeps it lowercase for lookups and uniqueness.
    pub login: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Responsible admin or manager.
    pub manager_id: Option<AccountId>,
    /// Certified from the start (only the bootstrapped admin is).
    pub certified: bool,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New display name.
    pub name: Option<String>,
    /// New argon2 PHC string.
    pub password_hash: Option<String>,
    /// New distribution participation.
    pub counselling: Option<bool>,
    /// New responsible admin or manager.
    pub manager_id: Option<AccountId>,
    /// Revoke the account's tokens in the same transaction (a password change).
    pub revoke_tokens: bool,
    /// The one token to keep when revoking (the caller's own, changing their own password).
    pub keep_token_hash: Option<String>,
}

/// Everything a new workspace starts with.
#[derive(Debug, Clone)]
pub struct Provisioning {
    /// The workspace.
    pub workspace: Workspace,
    /// Its admin, certified.
    pub admin: AccountRecord,
    /// Hash of the admin's first API token.
    pub admin_token_hash: String,
    /// The public key of the webchat widget.
    pub widget_key: String,
    /// Initial settings per channel.
    pub channels: Vec<(ChannelKind, ChannelSettings)>,
}

/// A conversation about to be opened.
#[derive(Debug, Clone)]
pub struct NewConversation {
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Id for the room.
    pub room_id: RoomId,
    /// Id for the customer, if no customer with the same external id exists.
    pub customer_id: CustomerId,
    /// Channel.
    pub channel: ChannelKind,
    /// Who the customer says they are.
    pub customer: CustomerIdentity,
    /// Initial status.
    pub status: RoomStatus,
    /// Hash of the customer's conversation token (webchat; SMS customers have none).
    pub token_hash: Option<String>,
    /// Opening time.
    pub at: DateTime<Utc>,
}

/// A channel save: the new settings, checks and launch state, and the transition if any.
#[derive(Debug, Clone)]
pub struct ChannelUpdate<'a> {
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Which channel.
    pub kind: ChannelKind,
    /// The version the change was worked out from.
    pub expected_version: i64,
    /// New settings.
    pub settings: &'a ChannelSettings,
    /// New write-only settings.
    pub secrets: &'a ChannelSecrets,
    /// New checklist observations.
    pub checks: &'a Checks,
    /// New launch state.
    pub state: LaunchState,
    /// When the agent was last turned on.
    pub activated_at: Option<DateTime<Utc>>,
    /// Time of the save.
    pub at: DateTime<Utc>,
    /// The transition to record, when the state changes.
    pub transition: Option<&'a TransitionRecord>,
}

impl ChannelUpdate<'_> {
    /// The number inbound SMS webhooks are matched on.
    pub fn sms_number(&self) -> Option<&str> {
        (self.kind == ChannelKind::Sms).then_some(self.settings.phone_number.as_deref()).flatten()
    }
}
