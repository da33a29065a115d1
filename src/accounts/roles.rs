//! Roles and the one table of who may do what.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An account's role in its workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: service settings, accounts, channels, all rooms and history.
    Admin,
    /// Rooms, history and statistics of themselves and the agents they manage.
    Manager,
    /// Chat only: their own rooms and the waiting list.
    Agent,
}

impl Role {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
        }
    }

    /// Whether this role grants `permission`; the only place roles are checked.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => {
                matches!(permission, ViewAccounts | ConfigureChannels | OperateChannels | WorkRooms | SuperviseQueue)
            }
            Role::Agent => matches!(permission, WorkRooms),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "agent" => Ok(Role::Agent),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Register, change, certify, uncertify and delete accounts.
    ManageAccounts,
    /// List accounts (managers see their group).
    ViewAccounts,
    /// Change channel configuration, skills and handoff settings.
    ConfigureChannels,
    /// Read channel settings, walk the checklist, turn channels on and off, use the preview.
    OperateChannels,
    /// Work rooms in the counselor queue.
    WorkRooms,
    /// Read the queue's settings and plan counselors' days (managers: their own group's).
    SuperviseQueue,
    /// Change the queue's distribution and auto-close settings.
    ConfigureQueue,
}

impl Permission {
    /// Plain words for a 403 message.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ManageAccounts => "managing accounts needs the admin role",
            Permission::ViewAccounts => "listing accounts needs the admin or manager role",
            Permission::ConfigureChannels => "changing channel configuration needs the admin or manager role",
            Permission::OperateChannels => "operating channels needs the admin or manager role",
            Permission::WorkRooms => "working rooms needs a counselor account",
            Permission::SuperviseQueue => {
                "reading the queue settings and planning counselors' days needs the admin or manager role"
            }
            Permission::ConfigureQueue => "changing the counselor queue's settings needs the admin role",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Permission; 7] = [
        Permission::ManageAccounts,
        Permission::ViewAccounts,
        Permission::ConfigureChannels,
        Permission::OperateChannels,
        Permission::WorkRooms,
        Permission::SuperviseQueue,
        Permission::ConfigureQueue,
    ];

    #[test]
    fn admin_may_do_everything() {
        assert!(ALL.iter().all(|p| Role::Admin.allows(*p)));
    }

    #[test]
    fn managers_run_channels_but_cannot_register_accounts() {
        assert!(!Role::Manager.allows(Permission::ManageAccounts));
        assert!(Role::Manager.allows(Permission::ConfigureChannels));
        assert!(Role::Manager.allows(Permission::OperateChannels));
        assert!(Role::Manager.allows(Permission::WorkRooms));
        assert!(Role::Manager.allows(Permission::SuperviseQueue));
        assert!(!Role::Manager.allows(Permission::ConfigureQueue));
    }

    #[test]
    fn agents_only_chat() {
        let allowed: Vec<_> = ALL.iter().filter(|p| Role::Agent.allows(**p)).collect();
        assert_eq!(allowed, vec![&Permission::WorkRooms]);
    }

    #[test]
    fn roles_round_trip_through_storage() {
        for role in [Role::Admin, Role::Manager, Role::Agent] {
            assert_eq!(Role::try_from(role.as_str().to_owned()).unwrap(), role);
        }
        assert!(Role::try_from("owner".to_owned()).is_err());
    }
}
