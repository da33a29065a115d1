//! The preview panel: an operator's test conversation on a channel's current configuration, on
//! the live path with everything captured and nothing delivered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::deliver::{Capture, DeliveryError, converse};
use super::{Agent, ConversationState, CustomerInfo, Trace, Turn};
use crate::channels::Channel;
use crate::ids::WorkspaceId;

/// How long an idle preview conversation is remembered.
const SESSION_TTL: Duration = Duration::from_secs(60 * 60);
/// Most preview conversations remembered at once.
const MAX_SESSIONS: usize = 10_000;

/// A preview message.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// What the pretend customer says.
    pub text: String,
    /// Continues an earlier preview conversation; a new one starts when absent or unknown.
    #[serde(default)]
    pub session: Option<String>,
    /// Who the pretend customer is (for order lookups).
    #[serde(default)]
    pub customer: Option<CustomerInfo>,
}

/// What the agent would have done.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PreviewResponse {
    /// The replies the customer would get, in order.
    pub replies: Vec<String>,
    /// How the message was understood.
    pub trace: Trace,
    /// Pass back to continue this conversation.
    pub session: String,
}

/// Preview conversations in memory, per workspace.
#[derive(Debug, Default)]
pub struct PreviewSessions {
    sessions: Mutex<HashMap<(WorkspaceId, String), (ConversationState, Instant)>>,
}

impl PreviewSessions {
    fn take(&self, ws: WorkspaceId, session: &str) -> ConversationState {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, seen)| seen.elapsed() < SESSION_TTL);
        map.remove(&(ws, session.to_owned())).map(|(state, _)| state).unwrap_or_default()
    }

    fn put(&self, ws: WorkspaceId, session: String, state: ConversationState) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.clear();
        }
        map.insert((ws, session), (state, Instant::now()));
    }
}

/// Runs one preview message through the agent with the channel's current settings.
pub async fn preview(
    agent: &Agent,
    sessions: &PreviewSessions,
    channel: &Channel,
    request: PreviewRequest,
    text: &str,
) -> Result<PreviewResponse, DeliveryError> {
    let session =
        request.session.filter(|s| !s.is_empty() && s.len() <= 100).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let state = sessions.take(channel.workspace_id, &session);
    let customer = request.customer.unwrap_or_default();
    let turn = Turn { channel: channel.kind, settings: &channel.settings, customer: &customer, text };
    let capture = Capture::default();
    let outcome = converse(agent, &turn, state, &capture).await?;
    sessions.put(channel.workspace_id, session.clone(), outcome.state);
    Ok(PreviewResponse { replies: capture.replies(), trace: outcome.trace, session })
}
