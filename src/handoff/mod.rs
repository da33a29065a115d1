//! Handoff: what happens to a conversation the agent cannot or must not answer.
//!
//! The agent decides *that* a person takes over ([`crate::agent::HandoffDecision`]); this module
//! decides *where*. Per channel the operator picks a helpdesk ticket, the built-in counselor queue,
//! or a static reply. A ticket is a job in a durable outbox written in the same transaction as
//! the decision and the customer's handoff message, so nothing is lost once the decision is made;
//! a worker delivers it through an adapter declared as data in `handoff/<name>.toml`, with one
//! idempotency key per handoff reused on every retry, and dead-letters what the helpdesk refuses.

pub mod adapter;
pub mod client;
pub mod helpdesks;
pub mod message;
pub mod outbox;
pub mod ticket;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::agent::HandoffReason;
use crate::channels::HandoffAction;
use crate::ids::{HandoffId, MessageId, RoomId, WorkspaceId};
pub use ticket::{TicketCustomer, TicketDraft, TranscriptLine};

/// Where a handoff stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffState {
    /// A ticket is waiting to be created (first attempt or a retry).
    Pending,
    /// The ticket exists in the helpdesk.
    Delivered,
    /// The helpdesk refused the ticket or attempts ran out; an operator may retry it.
    Dead,
    /// No ticket: the conversation went to the counselor queue (actions `queue` and `static`).
    Queued,
}

impl HandoffState {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffState::Pending => "pending",
            HandoffState::Delivered => "delivered",
            HandoffState::Dead => "dead",
            HandoffState::Queued => "queued",
        }
    }

    /// Every state, for parsing.
    pub const ALL: [HandoffState; 4] =
        [HandoffState::Pending, HandoffState::Delivered, HandoffState::Dead, HandoffState::Queued];
}

impl TryFrom<String> for HandoffState {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        HandoffState::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| format!("unknown handoff state {value:?}"))
    }
}

/// A ticket in a helpdesk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TicketRef {
    /// The helpdesk integration it was created in (`zendesk`, `freshdesk`, …).
    pub helpdesk: String,
    /// The helpdesk's ticket id.
    pub id: String,
    /// Where an agent opens it, when the helpdesk has a link for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One handoff as operators see it (`GET /v1/handoffs`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Handoff {
    /// Stable id; also the ticket's idempotency key.
    pub id: HandoffId,
    /// The conversation.
    pub room_id: RoomId,
    /// The customer message that led to it.
    pub message_id: MessageId,
    /// Why the agent handed off.
    pub reason: HandoffReason,
    /// Details for the person who takes over.
    pub detail: String,
    /// Where it went.
    pub action: HandoffAction,
    /// The helpdesk integration (action `helpdesk`).
    pub helpdesk: Option<String>,
    /// Where it stands.
    pub state: HandoffState,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt is due (state `pending`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure, with the helpdesk's own message when it gave one.
    pub last_error: Option<String>,
    /// The ticket, once created.
    pub ticket: Option<TicketRef>,
    /// When the agent decided.
    pub created_at: DateTime<Utc>,
    /// When the ticket was created.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A handoff decision about to be recorded, with its ticket job when the action is `helpdesk`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandoff {
    /// Stable id; the ticket's idempotency key.
    pub id: HandoffId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// The conversation.
    pub room_id: RoomId,
    /// The customer message that led to it.
    pub message_id: MessageId,
    /// Why.
    pub reason: HandoffReason,
    /// Details for the person who takes over.
    pub detail: String,
    /// How the message was understood.
    pub trace: serde_json::Value,
    /// Where it goes.
    pub action: HandoffAction,
    /// The handoff message names the ticket, so the outbox sends it once the ticket exists (or
    /// is dead-lettered), in the transaction that records the outcome.
    pub notify: bool,
    /// The helpdesk integration, and the ticket to create there (action `helpdesk`).
    pub ticket: Option<(String, TicketDraft)>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A ticket job claimed by an outbox worker.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffJob {
    /// The handoff; its id is the idempotency key.
    pub id: HandoffId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// The conversation.
    pub room_id: RoomId,
    /// The helpdesk integration to create the ticket in.
    pub helpdesk: String,
    /// The ticket.
    pub draft: TicketDraft,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// The handoff message waits for this job (see [`NewHandoff::notify`]).
    pub notify: bool,
    /// The previous attempt may have created the ticket (a timeout, a dropped connection, a 5xx
    /// after the request was sent): look for it before creating it again.
    pub uncertain: bool,
    /// When the handoff was decided (for delivery latency).
    pub created_at: DateTime<Utc>,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    /// The ticket exists.
    Delivered {
        /// The helpdesk's ticket id.
        ticket_id: String,
        /// The ticket's link, if known.
        ticket_url: Option<String>,
    },
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What went wrong this time.
        error: String,
        /// The request may have reached the helpdesk.
        uncertain: bool,
    },
    /// Dead letter: the helpdesk refused the ticket, or attempts ran out.
    Dead {
        /// Why, with the helpdesk's message.
        error: String,
    },
}

/// A helpdesk integration of a workspace (`PUT /v1/helpdesks/{name}`).
#[derive(Debug, Clone, PartialEq)]
pub struct HelpdeskIntegration {
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// The adapter's name: `zendesk`, `freshdesk`, `gorgias`, `webhook`, …
    pub name: String,
    /// Readable settings, e.g. `base_url`, `email`.
    pub config: std::collections::BTreeMap<String, String>,
    /// Write-only settings, e.g. `api_token`; never returned or logged.
    pub secrets: std::collections::BTreeMap<String, String>,
    /// Failed attempts after which a ticket is dead-lettered.
    pub max_attempts: i64,
    /// The latest check of the credentials against the helpdesk.
    pub check: Option<HelpdeskCheck>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The outcome of checking an integration's credentials against its helpdesk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HelpdeskCheck {
    /// When the helpdesk last gave a definite answer.
    pub checked_at: DateTime<Utc>,
    /// Which settings the answer is about, hashed.
    pub fingerprint: String,
    /// The helpdesk accepted the credentials.
    pub verified: bool,
    /// Stable code of the problem when not verified, e.g. `bad_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Plain words for the operator.
    pub detail: String,
    /// The last attempt that could not reach the helpdesk, when it came after `checked_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}
