//! What the customer's widget reads besides the text: the name of the counselor who wrote each
//! reply, and where the conversation stands (with the agent, handed to people, closed), so the
//! widget can say who is answering and when the conversation has ended.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::WebchatError;
use crate::channels::HandoffAction;
use crate::ids::{AccountId, RoomId, WorkspaceId};
use crate::rooms::queue::CloseType;
use crate::rooms::{Author, Message, RoomStatus};
use crate::store::Store;

/// A message as the customer sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CustomerMessage {
    #[serde(flatten)]
    pub message: Message,
    /// The counselor's name, on a counselor's reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
}

/// Where a conversation stands, as the widget shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ConversationState {
    /// `bot` while the AI agent answers; `waiting`, `received`, `inquiry` or `answered` once it
    /// was handed to counselors; `closed` when it has ended.
    pub status: RoomStatus,
    /// The name of the counselor the conversation is assigned to.
    pub counselor_name: Option<String>,
    /// The agent's latest handoff in this conversation.
    pub handoff: Option<HandoffNote>,
    /// Who ended it: `customer`, `counselor`, `manager` or `auto`.
    pub close_type: Option<CloseType>,
    /// When it ended.
    pub closed_at: Option<DateTime<Utc>>,
}

/// When the agent handed the conversation on, and where to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HandoffNote {
    /// When it decided; the handoff message carries the same time.
    pub at: DateTime<Utc>,
    /// `queue` (counselors take over here), `helpdesk` (a ticket) or `static` (a reply saying
    /// where to follow up).
    pub action: HandoffAction,
}

/// Counselors' names, read once per account for as long as it is kept.
pub struct Names<'a> {
    store: &'a dyn Store,
    ws: WorkspaceId,
    known: HashMap<AccountId, Option<String>>,
}

impl<'a> Names<'a> {
    /// Names of `ws`'s accounts, read from `store` when first needed.
    pub fn new(store: &'a dyn Store, ws: WorkspaceId) -> Self {
        Self { store, ws, known: HashMap::new() }
    }

    /// The name customers see for `account`; none when it cannot be read (the reply still shows).
    pub async fn of(&mut self, account: AccountId) -> Option<String> {
        if let Some(name) = self.known.get(&account) {
            return name.clone();
        }
        let name = match self.store.account(self.ws, account).await {
            Ok(a) => Some(a.name),
            Err(e) => {
                tracing::debug!(error = %e, %account, "counselor name unavailable");
                None
            }
        };
        self.known.insert(account, name.clone());
        name
    }

    /// `message` with its counselor's name.
    pub async fn message(&mut self, message: Message) -> CustomerMessage {
        let author_name = match (message.author, message.author_account_id) {
            (Author::Counselor, Some(id)) => self.of(id).await,
            _ => None,
        };
        CustomerMessage { message, author_name }
    }
}

/// The conversation's state now.
pub async fn state(names: &mut Names<'_>, room: RoomId) -> Result<ConversationState, WebchatError> {
    let r = names.store.room(names.ws, room).await?;
    let handoff = names.store.handoff_of(names.ws, room).await?;
    let counselor_name = match (r.status, r.assignee_id) {
        (RoomStatus::Closed, _) | (_, None) => None,
        (_, Some(id)) => names.of(id).await,
    };
    Ok(ConversationState {
        status: r.status,
        counselor_name,
        handoff: handoff.map(|h| HandoffNote { at: h.created_at, action: h.action }),
        close_type: r.queue.close_type,
        closed_at: r.queue.closed_at,
    })
}
