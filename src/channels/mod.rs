//! Channels a workspace talks to customers on, and their settings.
//!
//! Each workspace has one `webchat` and one `sms` channel. A channel carries its settings
//! ([`settings`]), what the launch checklist observed about it, and where its launch stands.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::WorkspaceId;
use crate::launch::{Checks, LaunchState};

pub mod settings;

pub use settings::{ChannelSecrets, ChannelSettings, FrustrationAction, HandoffAction, HandoffSettings, SettingsPatch};

/// A customer-facing channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The embeddable web chat widget.
    Webchat,
    /// Text messages through Twilio.
    Sms,
}

impl ChannelKind {
    /// Every channel, in display order.
    pub const ALL: [ChannelKind; 2] = [ChannelKind::Webchat, ChannelKind::Sms];

    /// The stored and URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webchat => "webchat",
            ChannelKind::Sms => "sms",
        }
    }

    /// Parses the URL form.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

impl TryFrom<String> for ChannelKind {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("unknown channel {value:?}"))
    }
}

/// A channel of one workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Which channel.
    pub kind: ChannelKind,
    /// Public key the webchat widget identifies the workspace with (webchat only).
    pub widget_key: Option<String>,
    /// Settings.
    pub settings: ChannelSettings,
    /// Write-only settings.
    pub secrets: ChannelSecrets,
    /// What the launch checklist observed: verifications, tests, when things changed.
    pub checks: Checks,
    /// Where the launch stands, as last saved.
    pub state: LaunchState,
    /// When the agent was last turned on.
    pub activated_at: Option<DateTime<Utc>>,
    /// Bumped by every save; a save naming an older version is refused.
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A page origin the widget was loaded from.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SeenOrigin {
    /// `scheme://host[:port]` of the embedding page.
    pub origin: String,
    /// First load from this origin.
    pub first_seen_at: DateTime<Utc>,
    /// Latest load from this origin.
    pub last_seen_at: DateTime<Utc>,
}
