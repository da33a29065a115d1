//! Where the agent's answers go: to the customer (live), or into a capture (preview panel,
//! `sangdam simulate`). Both go through [`converse`]; only the sink differs.

use std::sync::Mutex;

use async_trait::async_trait;

use super::{Agent, ConversationState, HandoffDecision, Outcome, Trace, Turn};

/// Why an answer could not be delivered.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// Receives what the agent decided.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Records that the conversation goes to a person (before the handoff message is sent).
    async fn handoff(&self, decision: &HandoffDecision, trace: &Trace) -> Result<(), DeliveryError>;
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
    if let Some(decision) = &outcome.trace.handoff {
        sink.handoff(decision, &outcome.trace).await?;
    }
    for reply in &outcome.replies {
        sink.reply(reply).await?;
    }
    Ok(outcome)
}

/// Keeps what would have been sent and what would have been handed off.
#[derive(Debug, Default)]
pub struct Capture {
    replies: Mutex<Vec<String>>,
    handoffs: Mutex<Vec<HandoffDecision>>,
}

impl Capture {
    /// The captured replies, in order.
    pub fn replies(&self) -> Vec<String> {
        self.replies.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The captured handoff decisions.
    pub fn handoffs(&self) -> Vec<HandoffDecision> {
        self.handoffs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Sink for Capture {
    async fn handoff(&self, decision: &HandoffDecision, _: &Trace) -> Result<(), DeliveryError> {
        self.handoffs.lock().unwrap_or_else(|p| p.into_inner()).push(decision.clone());
        Ok(())
    }

    async fn reply(&self, text: &str) -> Result<(), DeliveryError> {
        self.replies.lock().unwrap_or_else(|p| p.into_inner()).push(text.to_owned());
        Ok(())
    }
}
