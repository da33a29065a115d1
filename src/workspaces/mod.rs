//! Workspaces: one brand each, and the boundary of every request.
//!
//! Provisioning creates the workspace, its single admin, the admin's first token and the
//! workspace's channels in one store transaction, so a half-made workspace never exists.

pub mod provision;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::ids::WorkspaceId;

/// A brand's workspace.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Workspace {
    /// Stable id.
    pub id: WorkspaceId,
    /// Brand or company name.
    pub name: String,
    /// How many accounts may be certified at once (the admin included).
    pub seats: i64,
    /// IANA time zone for working hours and "today" in the closed list, e.g. `Asia/Seoul`.
    pub time_zone: String,
    /// When the workspace was created.
    pub created_at: DateTime<Utc>,
}
