//! The agent: from one customer message to replies, or to a handoff decision.
//!
//! [`Agent::respond`] is the brain and touches no store: guardrails first (an escalation topic
//! goes to a person), then the router, the routed skill's action (commerce, knowledge), a reply
//! rendered from the skill's templates in the customer's language, and the guardrails again on
//! the way out. What happens to the result (delivered to a customer, or captured by the preview
//! panel and `sangdam simulate`) is the [`deliver::Sink`]'s business, so live traffic, preview
//! and simulation share this one path.

mod actions;
pub mod build;
pub mod deliver;
pub mod extract;
pub mod guardrails;
pub mod live;
pub mod preview;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channels::{ChannelKind, ChannelSettings};
use crate::commerce::Commerce;
use crate::handoff::message::MessageVars;
use crate::knowledge::Knowledge;
use crate::llm::{Llm, SkillChoice};
use crate::locale::Locale;
use crate::router::{Router, Routing};
use crate::skills::{Catalog, Replies};
pub use guardrails::Guardrails;

/// Below this confidence a routed intent is not trusted: the conversation goes to a person.
pub const LOW_CONFIDENCE: f32 = 0.35;
/// Failed order lookups in a row after which a person takes over.
pub const MAX_LOOKUP_FAILURES: u32 = 2;

/// Everything the agent knows; shared by every conversation.
#[derive(Clone)]
pub struct Agent {
    /// The skills.
    pub catalog: Arc<Catalog>,
    /// Their reply templates.
    pub replies: Arc<Replies>,
    /// The intent router.
    pub router: Arc<Router>,
    /// Knowledge articles.
    pub knowledge: Arc<Knowledge>,
    /// Orders and products.
    pub commerce: Arc<dyn Commerce>,
    /// Escalation topics, forbidden words, tone.
    pub guardrails: Arc<Guardrails>,
    /// An LLM for routing and grounded answers, when one is configured.
    pub llm: Option<Arc<Llm>>,
}

/// Who the customer is, as far as the conversation knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInfo {
    /// Display name.
    pub name: Option<String>,
    /// Email address, as given by the brand's page or the customer.
    pub email: Option<String>,
    /// Phone number; on SMS the number they text from.
    pub phone: Option<String>,
}

/// One customer message to answer.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    /// The channel.
    pub channel: ChannelKind,
    /// Its settings: enabled skills, handoff message, guardrails, tone.
    pub settings: &'a ChannelSettings,
    /// The customer.
    pub customer: &'a CustomerInfo,
    /// The message.
    pub text: &'a str,
}

/// What the agent remembers between messages of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConversationState {
    /// The language of the conversation so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// A question the agent asked and waits an answer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    /// The email or phone the customer typed to prove an order is theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Order lookups that found nothing, in a row.
    #[serde(default)]
    pub lookup_failures: u32,
    /// The skill that answered the previous message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_skill: Option<String>,
    /// Messages in a row the agent did not understand (asked to rephrase instead of handing off).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fallbacks: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The agent asked for an order number or for proof of who the customer is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Pending {
    /// The skill that asked.
    pub skill: String,
    /// The order number, once known.
    pub order_number: Option<String>,
}

/// Why a conversation goes to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// No skill covers the message.
    OutOfScope,
    /// A skill matched, but not confidently enough.
    LowConfidence,
    /// The customer asked for a person.
    ExplicitRequest,
    /// The message touches a topic the agent must not handle.
    EscalationTopic,
    /// The skill could not do its work (the commerce API failed, an order was not found twice).
    SkillFailure,
    /// The agent failed to understand several messages in a row (`handoff.max_fallbacks`).
    RepeatedFallbacks,
}

impl HandoffReason {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::OutOfScope => "out_of_scope",
            HandoffReason::LowConfidence => "low_confidence",
            HandoffReason::ExplicitRequest => "explicit_request",
            HandoffReason::EscalationTopic => "escalation_topic",
            HandoffReason::SkillFailure => "skill_failure",
            HandoffReason::RepeatedFallbacks => "repeated_fallbacks",
        }
    }
}

impl TryFrom<String> for HandoffReason {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        use HandoffReason::*;
        [OutOfScope, LowConfidence, ExplicitRequest, EscalationTopic, SkillFailure, RepeatedFallbacks]
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| format!("unknown handoff reason {value:?}"))
    }
}

/// A decision to hand the conversation to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HandoffDecision {
    /// Why.
    pub reason: HandoffReason,
    /// Details for the person who takes over.
    pub detail: String,
}

/// How a message was understood, for operators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trace {
    /// The routed intent; null when out of scope.
    pub intent: Option<String>,
    /// The router's confidence, 0 to 1.
    pub confidence: f32,
    /// The skill that answered, if one did.
    pub skill: Option<String>,
    /// The handoff decided, if any.
    pub handoff: Option<HandoffDecision>,
    /// The reply language.
    pub locale: Option<Locale>,
    /// The reply was changed by the guardrails (a forbidden word masked).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
    /// Which router decided: `embedded` or `llm`.
    #[serde(default)]
    pub router: String,
    /// Why the LLM was not used, when it is configured but failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_error: Option<String>,
}

/// The answer to one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Texts to send, in order.
    pub replies: Vec<String>,
    /// How the message was understood.
    pub trace: Trace,
    /// What to remember for the next message.
    pub state: ConversationState,
}

impl Agent {
    /// Answers one message.
    #[tracing::instrument(skip_all, fields(channel = turn.channel.as_str()))]
    pub async fn respond(&self, turn: &Turn<'_>, state: ConversationState) -> Outcome {
        let fallback = state.locale.or(turn.settings.locale.as_deref().and_then(Locale::parse)).unwrap_or(Locale::Ko);
        let locale = Locale::detect(turn.text, fallback);
        let mut state = ConversationState { locale: Some(locale), ..state };
        let mut trace = Trace { locale: Some(locale), ..Trace::default() };

        let step = if let Some(topic) = self.guardrails.escalation(turn.text, turn.settings) {
            actions::Step::handoff(HandoffReason::EscalationTopic, format!("the message mentions {topic:?}"))
        } else {
            let routing = self.route(turn, &mut trace).await;
            trace.intent = routing.intent.clone();
            trace.confidence = routing.confidence;
            match self.skill_for(turn, &routing, &state) {
                Ok(skill) => {
                    trace.skill = Some(skill.clone());
                    state.last_skill = Some(skill.clone());
                    actions::run(self, turn, &skill, locale, &mut state).await
                }
                Err(step) => step,
            }
        };

        let step = missed_or_handoff(step, turn.settings, &mut state, locale);
        let mut replies = Vec::new();
        if let Some(text) = step.reply {
            replies.push(text);
        }
        if let Some(decision) = step.handoff {
            state.pending = None;
            state.fallbacks = 0;
            replies.push(handoff_message(turn.settings, turn.customer, locale));
            trace.handoff = Some(decision);
        }
        let replies = replies
            .into_iter()
            .map(|reply| {
                let (clean, masked) = self.guardrails.clean(&reply, turn.settings);
                trace.masked |= masked;
                clean
            })
            .collect();
        Outcome { replies, trace, state }
    }

    /// Routes with the LLM when there is one, else (or when it fails) with the embedded router.
    async fn route(&self, turn: &Turn<'_>, trace: &mut Trace) -> Routing {
        if let Some(llm) = &self.llm {
            let choices: Vec<SkillChoice> = turn
                .settings
                .skills
                .iter()
                .filter_map(|id| self.catalog.get(id))
                .map(|s| SkillChoice {
                    id: s.id.clone(),
                    description: format!("{} / {}", s.description.en, s.description.ko),
                })
                .collect();
            match llm.route(turn.text, &choices).await {
                Ok((intent, confidence)) => {
                    trace.router = "llm".into();
                    return Routing { intent, confidence, ranked: Vec::new() };
                }
                Err(e) => {
                    tracing::warn!(error = %e, "LLM routing failed; using the embedded router");
                    metrics::counter!("sangdam_llm_fallbacks_total").increment(1);
                    trace.llm_error = Some(e.to_string());
                }
            }
        }
        trace.router = "embedded".into();
        self.router.route(turn.text)
    }

    /// The skill to run: the routed one, or the one waiting for an answer when the customer is
    /// answering its question; a handoff step when there is none.
    fn skill_for(
        &self,
        turn: &Turn<'_>,
        routing: &Routing,
        state: &ConversationState,
    ) -> Result<String, actions::Step> {
        let details = [extract::order_number(turn.text), extract::email(turn.text), extract::phone(turn.text)];
        if let Some(pending) = &state.pending
            && details.iter().any(Option::is_some)
        {
            // A message that is little more than the detail asked for answers the question, whatever
            // the router makes of it; a longer one only when the router doesn't clearly see another skill.
            let rest = details.iter().flatten().fold(turn.text.to_owned(), |rest, d| rest.replace(d.as_str(), ""));
            let just_details = rest.chars().filter(|c| c.is_alphanumeric()).count() <= 8;
            let elsewhere = routing.intent.as_ref().is_some_and(|i| *i != pending.skill) && routing.confidence >= 0.6;
            if just_details || !elsewhere {
                return Ok(pending.skill.clone());
            }
        }
        // A short follow-up about another order stays with the order skill of the last message
        // when the router hesitates between the two.
        if let (Some(last), Some(intent), Some(_)) = (&state.last_skill, &routing.intent, &details[0])
            && last != intent
            && routing.confidence < 0.6
            && [last, intent].iter().all(|id| self.catalog.get(id).is_some_and(|s| s.action.is_order()))
        {
            return Ok(last.clone());
        }
        let Some(intent) = routing.intent.clone() else {
            let near = routing.ranked.first().map(|(i, c)| format!(" (nearest: {i} at {c:.2})")).unwrap_or_default();
            return Err(actions::Step::handoff(
                HandoffReason::OutOfScope,
                format!("no skill covers the message{near}"),
            ));
        };
        if routing.confidence < LOW_CONFIDENCE {
            let detail = format!("{intent} at confidence {:.2}", routing.confidence);
            return Err(actions::Step::handoff(HandoffReason::LowConfidence, detail));
        }
        if !turn.settings.skills.contains(&intent) || self.catalog.get(&intent).is_none() {
            let detail = format!("the message is about {intent}, which is not enabled on {}", turn.channel.as_str());
            return Err(actions::Step::handoff(HandoffReason::OutOfScope, detail));
        }
        Ok(intent)
    }
}

/// What the customer is told when a person takes over: the channel's handoff message in the
/// customer's language, rendered without a ticket (a message naming the ticket is rendered again
/// once the ticket exists). When a turn hands off, this is always its last reply.
pub fn handoff_message(settings: &ChannelSettings, customer: &CustomerInfo, locale: Locale) -> String {
    match settings.handoff.as_ref().and_then(|h| h.message.as_ref()) {
        Some(template) => {
            let vars = MessageVars { customer_name: customer.name.as_deref(), ..MessageVars::default() };
            crate::handoff::message::render(template.get(locale), &vars)
        }
        None => crate::handoff::message::default_message(locale).to_owned(),
    }
}

/// Not understanding a message hands off at once, unless the channel allows a few misses in a
/// row (`handoff.max_fallbacks`): then the agent asks the customer to rephrase until the last.
fn missed_or_handoff(
    step: actions::Step,
    settings: &ChannelSettings,
    state: &mut ConversationState,
    locale: Locale,
) -> actions::Step {
    let missed = step
        .handoff
        .as_ref()
        .is_some_and(|h| matches!(h.reason, HandoffReason::OutOfScope | HandoffReason::LowConfidence));
    if !missed {
        if step.handoff.is_none() {
            state.fallbacks = 0;
        }
        return step;
    }
    let allowed = settings.handoff.as_ref().and_then(|h| h.max_fallbacks).unwrap_or(1);
    state.fallbacks += 1;
    if state.fallbacks < allowed {
        let written = settings.handoff.as_ref().and_then(|h| h.fallback_message.as_ref());
        let text = written.map(|m| m.get(locale).to_owned()).unwrap_or_else(|| {
            match locale {
                Locale::Ko => "죄송해요, 제가 잘 이해하지 못했어요. 다른 말로 한 번 더 말씀해 주시겠어요?",
                Locale::En => "Sorry, I didn't quite get that. Could you say it another way?",
            }
            .to_owned()
        });
        return actions::Step { reply: Some(text), handoff: None };
    }
    if allowed > 1 {
        let detail = step.handoff.map(|h| h.detail).unwrap_or_default();
        let detail = format!("{} messages in a row were not understood; the last: {detail}", state.fallbacks);
        return actions::Step::handoff(HandoffReason::RepeatedFallbacks, detail);
    }
    step
}
