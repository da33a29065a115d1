//! The launch state machine: pure, no I/O, no clock.
//!
//! `draft` while a required checklist item is missing, `ready` once all are done, `live` after an
//! operator turns the agent on, `off` after they turn it off. `off` stays `off` whatever the
//! checklist says until someone turns the agent on again.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a channel stands in its launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LaunchState {
    /// A required item is missing; the agent cannot be turned on.
    Draft,
    /// Every required item is done; the agent can be turned on.
    Ready,
    /// The agent answers new inbound messages.
    Live,
    /// The agent was turned off; it answers nothing.
    Off,
}

impl LaunchState {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchState::Draft => "draft",
            LaunchState::Ready => "ready",
            LaunchState::Live => "live",
            LaunchState::Off => "off",
        }
    }
}

impl TryFrom<String> for LaunchState {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        [LaunchState::Draft, LaunchState::Ready, LaunchState::Live, LaunchState::Off]
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| format!("unknown launch state {value:?}"))
    }
}

/// Something that happened to a channel. `complete` says whether every required checklist item
/// is done once the event is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An operator changed the configuration.
    Configured {
        /// Required items all done under the new configuration.
        complete: bool,
    },
    /// Something outside the configuration changed an item: the widget was loaded, Twilio
    /// answered a verification, a test handoff or preview ran.
    Observed {
        /// Required items all done now.
        complete: bool,
    },
    /// An operator asked to turn the agent on.
    TurnOn {
        /// Required items all done.
        complete: bool,
    },
    /// An operator asked to turn the agent off.
    TurnOff,
}

/// Why an event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Turning on while a required item is missing.
    #[error("a required checklist item is missing")]
    Blocked,
    /// A configuration change would break a required item while the agent is live.
    #[error("the change would break a required item while the agent is live")]
    BreaksLive,
}

/// The state after `event`; the same state when nothing changes.
pub fn transition(state: LaunchState, event: Event) -> Result<LaunchState, Refusal> {
    use Event::*;
    use LaunchState::*;
    match (state, event) {
        (Draft | Ready, Configured { complete } | Observed { complete }) => Ok(if complete { Ready } else { Draft }),
        (Live, Configured { complete: true } | Observed { complete: true }) => Ok(Live),
        (Live, Configured { complete: false }) => Err(Refusal::BreaksLive),
        // The world moved under a live agent (a number released at Twilio, say): stop answering
        // rather than answer on a channel that no longer works.
        (Live, Observed { complete: false }) => Ok(Off),
        (Off, Configured { .. } | Observed { .. }) => Ok(Off),
        (_, TurnOn { complete: false }) => Err(Refusal::Blocked),
        (_, TurnOn { complete: true }) => Ok(Live),
        (Live, TurnOff) => Ok(Off),
        (Draft | Ready | Off, TurnOff) => Ok(state),
    }
}

#[cfg(test)]
mod tests {
    use super::Event::*;
    use super::LaunchState::*;
    use super::*;

    /// Every state × event, written out so a change to the table is a visible change here.
    #[test]
    fn every_state_and_event() {
        let table: [(LaunchState, Event, Result<LaunchState, Refusal>); 28] = [
            (Draft, Configured { complete: true }, Ok(Ready)),
            (Draft, Configured { complete: false }, Ok(Draft)),
            (Draft, Observed { complete: true }, Ok(Ready)),
            (Draft, Observed { complete: false }, Ok(Draft)),
            (Draft, TurnOn { complete: true }, Ok(Live)),
            (Draft, TurnOn { complete: false }, Err(Refusal::Blocked)),
            (Draft, TurnOff, Ok(Draft)),
            (Ready, Configured { complete: true }, Ok(Ready)),
            (Ready, Configured { complete: false }, Ok(Draft)),
            (Ready, Observed { complete: true }, Ok(Ready)),
            (Ready, Observed { complete: false }, Ok(Draft)),
            (Ready, TurnOn { complete: true }, Ok(Live)),
            (Ready, TurnOn { complete: false }, Err(Refusal::Blocked)),
            (Ready, TurnOff, Ok(Ready)),
            (Live, Configured { complete: true }, Ok(Live)),
            (Live, Configured { complete: false }, Err(Refusal::BreaksLive)),
            (Live, Observed { complete: true }, Ok(Live)),
            (Live, Observed { complete: false }, Ok(Off)),
            (Live, TurnOn { complete: true }, Ok(Live)),
            (Live, TurnOn { complete: false }, Err(Refusal::Blocked)),
            (Live, TurnOff, Ok(Off)),
            (Off, Configured { complete: true }, Ok(Off)),
            (Off, Configured { complete: false }, Ok(Off)),
            (Off, Observed { complete: true }, Ok(Off)),
            (Off, Observed { complete: false }, Ok(Off)),
            (Off, TurnOn { complete: true }, Ok(Live)),
            (Off, TurnOn { complete: false }, Err(Refusal::Blocked)),
            (Off, TurnOff, Ok(Off)),
        ];
        for (state, event, expected) in table {
            assert_eq!(transition(state, event), expected, "{state:?} × {event:?}");
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_form() {
        for state in [Draft, Ready, Live, Off] {
            assert_eq!(LaunchState::try_from(state.as_str().to_owned()), Ok(state));
        }
        assert!(LaunchState::try_from("paused".to_owned()).is_err());
    }
}
