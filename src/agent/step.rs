//! One skill run and its result, shared by the skills' actions.

use serde::Serialize;

use super::{Agent, HandoffDecision, HandoffReason, Turn};
use crate::channels::ChannelKind;
use crate::commerce::CommerceError;
use crate::locale::Locale;

/// The result of a skill: replies, a handoff, or both.
#[derive(Debug, Default)]
pub(super) struct Step {
    pub replies: Vec<String>,
    pub handoff: Option<HandoffDecision>,
}

impl Step {
    pub fn handoff(reason: HandoffReason, detail: impl Into<String>) -> Self {
        Step { replies: Vec::new(), handoff: Some(HandoffDecision { reason, detail: detail.into() }) }
    }

    pub fn reply(text: String) -> Self {
        Step { replies: vec![text], handoff: None }
    }
}

/// One skill run.
pub(super) struct Cx<'a> {
    pub agent: &'a Agent,
    pub turn: &'a Turn<'a>,
    pub skill: &'a str,
    /// What the customer asked of this skill.
    pub text: &'a str,
    pub locale: Locale,
}

impl Cx<'_> {
    pub fn reply(&self, name: &str, data: &impl Serialize) -> Step {
        let sms = self.turn.channel == ChannelKind::Sms;
        match self.agent.replies.render(self.skill, name, self.locale, sms, data) {
            Ok(text) => Step::reply(text),
            Err(e) => {
                tracing::error!(error = %e, "a reply template failed");
                Step::handoff(HandoffReason::SkillFailure, e.to_string())
            }
        }
    }

    pub fn ko(&self) -> bool {
        self.locale == Locale::Ko
    }
}

impl Cx<'_> {
    /// A reply of this skill, or `fallback` when the skills folder does not have it.
    pub fn reply_or(&self, name: &str, data: &impl Serialize, fallback: String) -> Step {
        if self.agent.replies.has(self.skill, name, self.locale) {
            let step = self.reply(name, data);
            if step.handoff.is_none() {
                return step;
            }
        }
        Step::reply(fallback)
    }
}

/// Calls the commerce integration, once more after a short wait when it asks for one.
pub(super) async fn lookup<T, F, Fut>(call: F) -> Result<T, CommerceError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, CommerceError>>,
{
    match call().await {
        Err(e) if e.is_retryable() && e.retry_after().is_none_or(|d| d <= std::time::Duration::from_secs(2)) => {
            tokio::time::sleep(e.retry_after().unwrap_or(std::time::Duration::from_millis(200))).await;
            call().await
        }
        other => other,
    }
}

pub(super) fn commerce_down(e: &CommerceError) -> Step {
    tracing::warn!(error = %e, "the commerce integration failed");
    Step::handoff(HandoffReason::SkillFailure, format!("the commerce integration failed: {e}"))
}
