//! Channels a workspace talks to customers on, and their settings.
//!
//! Each workspace has one `webchat` and one `sms` channel. Their settings are kept as one JSON
//! document per channel, so adding a setting needs no migration; the launch checklist reads them.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::WorkspaceId;

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

/// A channel's stored settings. Unknown keys are kept so that newer settings survive a downgrade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelSettings {
    /// How the agent introduces itself when a customer opens the widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_message: Option<String>,
    /// Widget header title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Widget brand colour, as CSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Widget language: `ko` or `en`; the browser's language when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Origins (scheme://host[:port]) the widget may be embedded on.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Settings this version does not know, kept as they are.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
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
    /// Last settings change.
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
