//! Where the agent's answers go: to the customer (live), or into a capture (preview panel,
//! `sangdam simulate`). Both go through [`converse`]; only the sink differs.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Agent, ConversationState, HandoffDecision, Outcome, Turn};
use crate::channels::ChannelKind;
use crate::handoff::ticket::{self, TicketCustomer, TicketDraft, TicketInput};
use crate::ids::{HandoffId, MessageId, RoomId};
use crate::locale::Locale;
use crate::rooms::{Author, Message};

/// Why an answer could not be delivered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// Receives what the agent decided.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Hands the conversation to a person: records the decision in `outcome.trace.handoff` and
    /// sends `outcome.replies` (the handoff message last) as one step, so a decision is never kept
    /// without the customer being told.
    async fn handoff(&self, outcome: &Outcome) -> Result<(), DeliveryError>;
    /// Sends one reply to the customer.
    async fn reply(&self, text: &str) -> Result<(), DeliveryError>;
}

/// Answers one message and hands the result to `sink`: the one path of live traffic, the
/// preview panel and simulations.
pub async fn converse(
    agent: &Agent,
    turn: &Turn<'_>,
    state: ConversationState,
    sink: &dyn Sink,
) -> Result<Outcome, DeliveryError> {
    let outcome = agent.respond(turn, state).await;
    if outcome.trace.handoff.is_some() {
        sink.handoff(&outcome).await?;
    } else {
        for reply in &outcome.replies {
            sink.reply(reply).await?;
        }
    }
    Ok(outcome)
}

/// A conversation kept in memory by the preview panel and simulations, for the tickets their
/// handoffs would create.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    /// The channel.
    pub channel: ChannelKind,
    /// The pretend customer.
    pub customer: TicketCustomer,
    /// The conversation so far, the message being answered last.
    pub messages: Vec<Message>,
}

impl Rehearsal {
    /// A new pretend conversation.
    pub fn new(channel: ChannelKind, customer: TicketCustomer) -> Self {
        Rehearsal { channel, customer, messages: Vec::new() }
    }

    /// Adds a message to the conversation, keeping the latest hundred.
    pub fn push(&mut self, author: Author, text: &str, at: DateTime<Utc>) {
        let seq = self.messages.last().map_or(1, |m| m.seq + 1);
        self.messages.push(Message {
            id: MessageId::new(),
            room_id: RoomId::default(),
            seq,
            author,
            author_account_id: None,
            text: text.to_owned(),
            created_at: at,
            delivery_status: None,
            delivery_error: None,
        });
        let excess = self.messages.len().saturating_sub(ticket::MAX_TRANSCRIPT_LINES);
        self.messages.drain(..excess);
    }
}

/// Keeps what would have been sent, what would have been handed off and the ticket it would
/// have created.
#[derive(Debug)]
pub struct Capture {
    rehearsal: Mutex<Rehearsal>,
    at: DateTime<Utc>,
    replies: Mutex<Vec<String>>,
    handoffs: Mutex<Vec<(HandoffDecision, TicketDraft)>>,
}

impl Capture {
    /// A capture of one turn of `rehearsal`, whose last message is the one being answered.
    pub fn new(rehearsal: Rehearsal, at: DateTime<Utc>) -> Self {
        Capture { rehearsal: Mutex::new(rehearsal), at, replies: Mutex::default(), handoffs: Mutex::default() }
    }

    /// The captured replies, in order.
    pub fn replies(&self) -> Vec<String> {
        self.replies.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The captured handoff decisions, with the ticket each would create.
    pub fn handoffs(&self) -> Vec<(HandoffDecision, TicketDraft)> {
        self.handoffs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The conversation with the replies added.
    pub fn into_rehearsal(self) -> Rehearsal {
        self.rehearsal.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn record_reply(&self, text: &str) {
        self.replies.lock().unwrap_or_else(|p| p.into_inner()).push(text.to_owned());
        self.rehearsal.lock().unwrap_or_else(|p| p.into_inner()).push(Author::Bot, text, self.at);
    }
}

impl Default for Capture {
    /// A capture with no conversation before the turn (its tickets have an empty transcript).
    fn default() -> Self {
        Capture::new(Rehearsal::new(ChannelKind::Webchat, TicketCustomer::default()), Utc::now())
    }
}

#[async_trait]
impl Sink for Capture {
    async fn handoff(&self, outcome: &Outcome) -> Result<(), DeliveryError> {
        let Some(decision) = &outcome.trace.handoff else { return Ok(()) };
        let draft = {
            let rehearsal = self.rehearsal.lock().unwrap_or_else(|p| p.into_inner());
            ticket::draft(TicketInput {
                id: HandoffId::new(),
                room_id: "preview".to_owned(),
                channel: rehearsal.channel,
                customer: rehearsal.customer.clone(),
                messages: &rehearsal.messages,
                reason: decision.reason,
                detail: &decision.detail,
                trace: &outcome.trace,
                locale: outcome.trace.locale.unwrap_or(Locale::Ko),
                test: false,
                at: self.at,
            })
        };
        self.handoffs.lock().unwrap_or_else(|p| p.into_inner()).push((decision.clone(), draft));
        for reply in &outcome.replies {
            self.record_reply(reply);
        }
        Ok(())
    }

    async fn reply(&self, text: &str) -> Result<(), DeliveryError> {
        self.record_reply(text);
        Ok(())
    }
}
