//! `sangdam simulate`: scripted conversations through the agent's one path, sends captured.
//!
//! ```yaml
//! name: order lookup, then a person
//! channel: webchat            # or sms
//! customer: { name: 김해피, email: happy@example.com }
//! turns:
//!   - say: "주문번호 1001 배송 어디쯤이에요?"
//!     expect: { skill: order_tracking, reply_contains: ["1001"] }
//!   - say: "상담원 연결해주세요"
//!     expect: { handoff: true }
//! ```
//! JSON is read too, being YAML. Every skill of the catalogue that runs on the script's channel is
//! enabled, as a fully configured channel would have it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::agent::deliver::{Capture, converse};
use crate::agent::{Agent, ConversationState, CustomerInfo, Trace, Turn};
use crate::channels::{ChannelKind, ChannelSettings, HandoffAction, HandoffSettings};

/// One script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// What the script checks.
    pub name: String,
    /// `webchat` (default) or `sms`.
    #[serde(default = "webchat")]
    pub channel: ChannelKind,
    /// The pretend customer.
    #[serde(default)]
    pub customer: CustomerInfo,
    /// The conversation.
    pub turns: Vec<ScriptTurn>,
}

fn webchat() -> ChannelKind {
    ChannelKind::Webchat
}

/// One customer message and what should come of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptTurn {
    /// What the customer says.
    pub say: String,
    /// What must hold of the answer.
    #[serde(default)]
    pub expect: Expect,
}

/// Expectations; each is checked only when given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The skill that answers; `null` for out of scope.
    #[serde(default, deserialize_with = "nullable")]
    pub skill: Option<Option<String>>,
    /// Whether the conversation goes to a person.
    #[serde(default)]
    pub handoff: Option<bool>,
    /// Texts the replies must contain.
    #[serde(default)]
    pub reply_contains: Vec<String>,
    /// Texts no reply may contain.
    #[serde(default)]
    pub reply_not_contains: Vec<String>,
}

fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The result of one turn.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// The script's file.
    pub file: PathBuf,
    /// The script's name.
    pub script: String,
    /// 1-based turn number.
    pub turn: usize,
    /// What was said.
    pub say: String,
    /// What would have been sent.
    pub replies: Vec<String>,
    /// How it was understood.
    pub trace: Trace,
    /// The expectations that failed, in plain words.
    pub failures: Vec<String>,
}

/// Reads a script; errors name the file and line.
pub fn read(path: &Path) -> Result<Script, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let script: Script = serde_yaml_ng::from_str(&text).map_err(|e| {
        let line = e.location().map(|l| format!(":{}", l.line())).unwrap_or_default();
        format!("{}{line}: {e}", path.display())
    })?;
    if script.turns.is_empty() {
        return Err(format!("{}: the script has no turns", path.display()));
    }
    Ok(script)
}

/// The settings of a channel with every skill that runs on it enabled.
pub fn full_settings(agent: &Agent, channel: ChannelKind) -> ChannelSettings {
    ChannelSettings {
        skills: agent.catalog.iter().filter(|s| s.channels.contains(&channel)).map(|s| s.id.clone()).collect(),
        handoff: Some(HandoffSettings { action: HandoffAction::Queue, message: None, helpdesk: None }),
        ..Default::default()
    }
}

/// Runs a script; one result per turn.
pub async fn run(agent: &Agent, file: &Path, script: &Script) -> Vec<TurnResult> {
    let settings = full_settings(agent, script.channel);
    let mut state = ConversationState::default();
    let mut results = Vec::with_capacity(script.turns.len());
    for (n, turn) in script.turns.iter().enumerate() {
        let capture = Capture::default();
        let spoken = Turn { channel: script.channel, settings: &settings, customer: &script.customer, text: &turn.say };
        let (replies, trace, failures) = match converse(agent, &spoken, state.clone(), &capture).await {
            Ok(outcome) => {
                state = outcome.state;
                let replies = capture.replies();
                let failures = check(&turn.expect, &replies, &outcome.trace);
                (replies, outcome.trace, failures)
            }
            Err(e) => (Vec::new(), Trace::default(), vec![format!("the turn failed: {e}")]),
        };
        results.push(TurnResult {
            file: file.to_owned(),
            script: script.name.clone(),
            turn: n + 1,
            say: turn.say.clone(),
            replies,
            trace,
            failures,
        });
    }
    results
}

fn check(expect: &Expect, replies: &[String], trace: &Trace) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(skill) = &expect.skill {
        let got = trace.skill.clone();
        if got != *skill {
            failures.push(format!("expected skill {}, got {}", show(skill.as_deref()), show(got.as_deref())));
        }
    }
    if let Some(handoff) = expect.handoff {
        let got = trace.handoff.is_some();
        if got != handoff {
            let why =
                trace.handoff.as_ref().map(|h| format!(" ({}: {})", h.reason.as_str(), h.detail)).unwrap_or_default();
            failures.push(format!("expected handoff {handoff}, got {got}{why}"));
        }
    }
    let all = replies.join("\n");
    for needle in &expect.reply_contains {
        if !all.contains(needle.as_str()) {
            failures.push(format!("no reply contains {needle:?}"));
        }
    }
    for needle in &expect.reply_not_contains {
        if all.contains(needle.as_str()) {
            failures.push(format!("a reply contains {needle:?}"));
        }
    }
    failures
}

fn show(skill: Option<&str>) -> String {
    skill.map_or("null (out of scope)".to_owned(), str::to_owned)
}
