//! The preview panel: an operator's test conversation on a channel's current configuration, on
//! the live path with everything captured and nothing delivered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::deliver::{Capture, DeliveryError, Rehearsal, converse};
use super::{Agent, ConversationState, CustomerInfo, Trace, Turn};
use crate::channels::{Channel, HandoffAction};
use crate::handoff::adapter::RenderedRequest;
use crate::handoff::ticket::{TicketCustomer, TicketDraft, customer_name};
use crate::ids::WorkspaceId;
use crate::rooms::Author;

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
    /// The ticket a handoff would create; nothing is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketPreview>,
    /// Pass back to continue this conversation.
    pub session: String,
}

/// The ticket a preview handoff would create.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TicketPreview {
    /// Where it would go: `helpdesk`, or `queue`/`static` (no ticket is created; shown for the
    /// counselor's view of the same content).
    pub action: HandoffAction,
    /// The helpdesk integration (action `helpdesk`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helpdesk: Option<String>,
    /// The ticket.
    pub draft: TicketDraft,
    /// The request that would be sent, secrets hidden, when the integration is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RenderedRequest>,
}

/// Preview conversations in memory, per workspace.
#[derive(Debug, Default)]
pub struct PreviewSessions {
    sessions: Mutex<HashMap<(WorkspaceId, String), Session>>,
}

/// One preview conversation: the agent's memory and the transcript so far.
#[derive(Debug)]
struct Session {
    state: ConversationState,
    rehearsal: Rehearsal,
    seen: Instant,
}

impl PreviewSessions {
    fn take(&self, ws: WorkspaceId, session: &str) -> Option<Session> {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.seen.elapsed() < SESSION_TTL);
        map.remove(&(ws, session.to_owned()))
    }

    fn put(&self, ws: WorkspaceId, key: String, session: Session) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_SESSIONS {
            map.clear();
        }
        map.insert((ws, key), session);
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
    let key =
        request.session.filter(|s| !s.is_empty() && s.len() <= 100).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let customer = request.customer.unwrap_or_default();
    let (state, mut rehearsal) = match sessions.take(channel.workspace_id, &key) {
        Some(session) => (session.state, session.rehearsal),
        None => {
            let name = customer_name(customer.name.as_deref(), customer.email.as_deref(), customer.phone.as_deref());
            let who = TicketCustomer {
                id: "preview".to_owned(),
                name,
                email: customer.email.clone(),
                phone: customer.phone.clone(),
            };
            (ConversationState::default(), Rehearsal::new(channel.kind, who))
        }
    };
    let now = chrono::Utc::now();
    rehearsal.push(Author::Customer, text, now);
    let turn = Turn { channel: channel.kind, settings: &channel.settings, customer: &customer, text };
    let capture = Capture::new(rehearsal, now);
    let outcome = converse(&agent.rehearsing(&state), &turn, state, &capture).await?;
    let replies = capture.replies();
    let handoff = channel.settings.handoff.clone().unwrap_or_default();
    let ticket = capture.handoffs().pop().map(|(_, draft)| TicketPreview {
        action: handoff.action,
        helpdesk: handoff.helpdesk.filter(|_| handoff.action == HandoffAction::Helpdesk),
        draft,
        request: None,
    });
    let session = Session { state: outcome.state, rehearsal: capture.into_rehearsal(), seen: Instant::now() };
    sessions.put(channel.workspace_id, key.clone(), session);
    Ok(PreviewResponse { replies, trace: outcome.trace, ticket, session: key })
}
