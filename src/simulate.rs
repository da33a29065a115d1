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
//! enabled, as a fully configured channel would have it, unless `skills:` lists the ones to enable
//! (a script saved from the preview lists the channel's); `handoff:` (the channel's handoff
//! settings) may be given to try a handoff message or `max_fallbacks`. A turn that hands off shows
//! the ticket it would create; nothing is sent.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use chrono::Utc;

use crate::agent::deliver::{Capture, Rehearsal, converse};
use crate::agent::{Agent, ConversationState, CustomerInfo, HandoffReason, Trace, Turn};
use crate::channels::{ChannelKind, ChannelSettings, HandoffAction, HandoffSettings};
use crate::handoff::ticket::{TicketCustomer, TicketDraft, customer_name};
use crate::rooms::Author;

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
    /// The channel's handoff settings; a queue handoff with the default message when absent.
    #[serde(default)]
    pub handoff: Option<HandoffSettings>,
    /// The skills enabled on the channel; every skill that runs on it when absent.
    #[serde(default)]
    pub skills: Option<Vec<String>>,
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
    /// Why it goes to a person (`explicit_request`, `out_of_scope`, …).
    #[serde(default)]
    pub reason: Option<HandoffReason>,
    /// Texts the replies must contain.
    #[serde(default)]
    pub reply_contains: Vec<String>,
    /// Texts no reply may contain.
    #[serde(default)]
    pub reply_not_contains: Vec<String>,
    /// Texts of which at least one must appear in the replies (a fact that can be written
    /// several ways: `["6,000원", "6천원"]`).
    #[serde(default)]
    pub reply_contains_any: Vec<String>,
    /// What the agent must have done, by kind: `{ order_cancelled: "1003" }`.
    #[serde(default)]
    pub action: std::collections::BTreeMap<ActionKind, String>,
}

/// The kinds of [`crate::agent::Performed`] an expectation can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// An order cancelled through the commerce integration.
    OrderCancelled,
}

impl ActionKind {
    fn as_str(self) -> &'static str {
        match self {
            ActionKind::OrderCancelled => "order_cancelled",
        }
    }
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
    /// The ticket a handoff would create (not sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketDraft>,
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

/// Checks that every skill the script enables exists and runs on its channel.
pub fn check_skills(agent: &Agent, path: &Path, script: &Script) -> Result<(), String> {
    for id in script.skills.iter().flatten() {
        match agent.catalog.iter().find(|s| &s.id == id) {
            None => return Err(format!("{}: unknown skill {id:?} in `skills`", path.display())),
            Some(skill) if !skill.channels.contains(&script.channel) => {
                return Err(format!("{}: skill {id:?} does not run on {}", path.display(), script.channel.as_str()));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The settings of a channel with every skill that runs on it enabled.
pub fn full_settings(agent: &Agent, channel: ChannelKind) -> ChannelSettings {
    ChannelSettings {
        skills: agent.catalog.iter().filter(|s| s.channels.contains(&channel)).map(|s| s.id.clone()).collect(),
        handoff: Some(HandoffSettings { action: HandoffAction::Queue, ..HandoffSettings::default() }),
        ..Default::default()
    }
}

/// Runs a script; one result per turn.
pub async fn run(agent: &Agent, file: &Path, script: &Script) -> Vec<TurnResult> {
    let mut settings = full_settings(agent, script.channel);
    if let Some(skills) = &script.skills {
        settings.skills = skills.clone();
    }
    if script.handoff.is_some() {
        settings.handoff = script.handoff.clone();
    }
    let c = &script.customer;
    let customer = TicketCustomer {
        id: "simulated".to_owned(),
        name: customer_name(c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()),
        email: c.email.clone(),
        phone: c.phone.clone(),
    };
    let mut rehearsal = Rehearsal::new(script.channel, customer);
    let mut state = ConversationState::default();
    let mut results = Vec::with_capacity(script.turns.len());
    for (n, turn) in script.turns.iter().enumerate() {
        let now = Utc::now();
        rehearsal.push(Author::Customer, &turn.say, now);
        let capture = Capture::new(rehearsal.clone(), now);
        let spoken = Turn { channel: script.channel, settings: &settings, customer: &script.customer, text: &turn.say };
        let (trace, failures) = match converse(&agent.rehearsing(&state), &spoken, state.clone(), &capture).await {
            Ok(outcome) => {
                state = outcome.state;
                let failures = check(&turn.expect, &capture.replies(), &outcome.trace);
                (outcome.trace, failures)
            }
            Err(e) => (Trace::default(), vec![format!("the turn failed: {e}")]),
        };
        let replies = capture.replies();
        let ticket = capture.handoffs().pop().map(|(_, draft)| draft);
        rehearsal = capture.into_rehearsal();
        results.push(TurnResult {
            file: file.to_owned(),
            script: script.name.clone(),
            turn: n + 1,
            say: turn.say.clone(),
            replies,
            trace,
            ticket,
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
    if let Some(reason) = expect.reason {
        let got = trace.handoff.as_ref().map(|h| h.reason);
        if got != Some(reason) {
            let got = got.map_or("no handoff", |r| r.as_str());
            failures.push(format!("expected a handoff for {}, got {got}", reason.as_str()));
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
    if !expect.reply_contains_any.is_empty() && !expect.reply_contains_any.iter().any(|n| all.contains(n.as_str())) {
        failures.push(format!("no reply contains any of {:?}", expect.reply_contains_any));
    }
    for (kind, subject) in &expect.action {
        if !trace.actions.iter().any(|done| done.kind() == kind.as_str() && done.subject() == subject) {
            let done: Vec<String> = trace.actions.iter().map(|d| format!("{} {}", d.kind(), d.subject())).collect();
            let done = if done.is_empty() { "nothing".to_owned() } else { done.join(", ") };
            failures.push(format!("expected {} {subject}, the agent did {done}", kind.as_str()));
        }
    }
    failures
}

fn show(skill: Option<&str>) -> String {
    skill.map_or("null (out of scope)".to_owned(), str::to_owned)
}
