//! The launch checklist: how an operator turns a channel's AI agent on.
//!
//! Each channel (`webchat`, `sms`) walks a pure state machine ([`machine`]) driven by its checklist
//! ([`checklist`]); [`service`] loads what both need, applies operators' changes and records every
//! transition for the audit trail. The one rule the agent path asks of all this is
//! [`agent_may_answer`].

pub mod checklist;
pub mod machine;
pub mod service;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::ids::AccountId;
pub use checklist::{Capabilities, Checks, Item, ItemId, TwilioCheck};
pub use machine::{Event, LaunchState, Refusal, transition};
pub use service::{LaunchError, Launcher};

/// Whether the agent may answer a message received at `received_at` on a channel in `state`,
/// activated at `activated_at`: only live channels, and only messages that arrived after the agent
/// was turned on, never older ones.
pub fn agent_may_answer(state: LaunchState, activated_at: Option<DateTime<Utc>>, received_at: DateTime<Utc>) -> bool {
    state == LaunchState::Live && activated_at.is_some_and(|activated| received_at > activated)
}

/// The launch screen of one channel.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LaunchView {
    /// `draft`, `ready`, `live` or `off`.
    pub state: LaunchState,
    /// When the agent was last turned on; it answers only messages received after this.
    pub activated_at: Option<DateTime<Utc>>,
    /// The checklist, in display order.
    pub items: Vec<Item>,
    /// Required items that are not done; turning on waits for them.
    pub blocking: Vec<ItemId>,
}

/// One recorded launch transition.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Transition {
    /// State before.
    pub from: LaunchState,
    /// State after.
    pub to: LaunchState,
    /// When.
    pub at: DateTime<Utc>,
    /// Who; null when the engine moved on its own (the widget was loaded, Twilio answered).
    pub actor: Option<Actor>,
    /// Why, in plain words.
    pub reason: String,
}

/// The account behind a transition.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Actor {
    /// Account id.
    pub id: AccountId,
    /// Display name at the time of reading.
    pub name: String,
}

/// A transition about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRecord {
    /// State before.
    pub from: LaunchState,
    /// State after.
    pub to: LaunchState,
    /// Who, if an operator.
    pub actor: Option<AccountId>,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_messages_after_activation_on_a_live_channel_are_answered() {
        let on = DateTime::parse_from_rfc3339("2026-11-21T09:00:00Z").unwrap().to_utc();
        let before = on - chrono::TimeDelta::seconds(1);
        let after = on + chrono::TimeDelta::microseconds(1);
        assert!(agent_may_answer(LaunchState::Live, Some(on), after));
        assert!(!agent_may_answer(LaunchState::Live, Some(on), before));
        assert!(!agent_may_answer(LaunchState::Live, Some(on), on));
        assert!(!agent_may_answer(LaunchState::Live, None, after));
        for state in [LaunchState::Draft, LaunchState::Ready, LaunchState::Off] {
            assert!(!agent_may_answer(state, Some(on), after), "{state:?}");
        }
    }
}
