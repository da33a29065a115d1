//! The agent: from one customer message to replies, or to a handoff decision.
//!
//! [`Agent::respond`] is the brain and touches no store: guardrails first (an escalation topic
//! goes to a person), then the customer's mood and claims ([`cues`]), a yes or no the agent was
//! waiting for, then each ask of the message understood in the context of the conversation
//! ([`understand`]): routed, or continuing what the last answers were about. Each ask runs its
//! skill's action (commerce, knowledge) and gets a reply rendered from the skill's templates in
//! the customer's language; the guardrails look at the replies again on the way out. What happens
//! to the result (delivered to a customer, or captured by the preview panel and `sangdam
//! simulate`) is the [`deliver::Sink`]'s business, so live traffic, preview and simulation share
//! this one path.

mod actions;
pub mod build;
pub mod cues;
pub mod deliver;
pub mod extract;
pub mod guardrails;
pub mod live;
mod names;
mod orders;
pub mod preview;
mod products;
mod routing;
mod step;
mod understand;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channels::{ChannelKind, ChannelSettings};
use crate::commerce::Commerce;
use crate::handoff::message::MessageVars;
use crate::knowledge::Knowledge;
use crate::llm::Llm;
use crate::locale::Locale;
use crate::router::Router;
use crate::skills::{Catalog, Replies};
pub use cues::Cues;
pub use guardrails::Guardrails;

/// Below this confidence a routed intent is not trusted: the conversation goes to a person.
pub const LOW_CONFIDENCE: f32 = 0.35;
/// Failed order lookups in a row after which a person takes over.
pub const MAX_LOOKUP_FAILURES: u32 = 2;
/// How many things said the conversation keeps for the LLM (three exchanges).
pub const RECENT_LINES: usize = 6;
/// How much of each is kept, in characters.
pub const SAID_CHARS: usize = 400;

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
    /// The words that tell frustration, claims, follow-ups and yes or no.
    pub cues: Arc<Cues>,
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
    /// What the last answer was about, for the follow-ups that lean on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Topic>,
    /// A yes-or-no question the agent asked and waits the answer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Confirmation>,
    /// Orders the agent cancelled in this conversation: a confirmation sent twice cancels once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cancelled: Vec<String>,
    /// Times in a row the customer asked the same thing again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeats: u32,
    /// The last things said, oldest first, at most [`RECENT_LINES`]: an LLM reads the
    /// conversation, not the message alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Said>,
}

impl ConversationState {
    /// Keeps what was said in this turn: the customer's message and the agent's replies (as one).
    fn remember(&mut self, text: &str, replies: &[String]) {
        self.recent.push(Said::new(Speaker::Customer, text));
        if !replies.is_empty() {
            self.recent.push(Said::new(Speaker::Agent, &replies.join("\n")));
        }
        let over = self.recent.len().saturating_sub(RECENT_LINES);
        self.recent.drain(..over);
    }
}

/// Something said in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Said {
    /// Who said it.
    pub by: Speaker,
    /// What, cut at [`SAID_CHARS`] characters.
    pub text: String,
}

impl Said {
    fn new(by: Speaker, text: &str) -> Self {
        let end = text.char_indices().nth(SAID_CHARS).map_or(text.len(), |(i, _)| i);
        Said { by, text: text[..end].to_owned() }
    }
}

/// Who said something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The customer.
    Customer,
    /// The agent.
    Agent,
}

/// What an answer was about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Topic {
    /// The skill that answered.
    pub skill: String,
    /// What the customer asked.
    pub question: String,
    /// The knowledge article answered from, by slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// The section of it answered last, by heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The products shown, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ShownProduct>,
    /// The orders in play, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
    /// The price range asked for, kept for a follow-up ("더 싼 건요?", "and for my dad?").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<extract::Budget>,
}

/// A product as shown to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShownProduct {
    /// The shop's id.
    pub id: String,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// The price as shown (`₩39,000`).
    pub price: String,
    /// Its page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether it can be bought now.
    pub in_stock: bool,
}

/// A question the agent asked that the customer answers yes or no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Confirmation {
    /// Cancel this order?
    CancelOrder {
        /// The skill that asked.
        skill: String,
        /// The order.
        order: String,
    },
    /// Shall a person take over? (offered to an upset customer)
    Person {
        /// Why the customer was upset, for the person.
        detail: String,
    },
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
    /// A claim only a person can settle: a damaged, missing or wrong item, a parcel that never
    /// came, a change of address.
    Claim,
    /// The customer is angry, abusive or tired of the bot.
    Frustration,
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
            HandoffReason::Claim => "claim",
            HandoffReason::Frustration => "frustration",
        }
    }
}

impl TryFrom<String> for HandoffReason {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        use HandoffReason::*;
        [
            OutOfScope,
            LowConfidence,
            ExplicitRequest,
            EscalationTopic,
            SkillFailure,
            RepeatedFallbacks,
            Claim,
            Frustration,
        ]
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
    /// What the agent did besides answering (an order cancelled), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Performed>,
}

/// Something the agent did in the shop on the customer's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Performed {
    /// An order was cancelled through the commerce integration.
    OrderCancelled {
        /// The order number.
        order: String,
    },
}

impl Performed {
    /// The kind, as `sangdam simulate` expectations name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Performed::OrderCancelled { .. } => "order_cancelled",
        }
    }

    /// What it was done to.
    pub fn subject(&self) -> &str {
        match self {
            Performed::OrderCancelled { order } => order,
        }
    }
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
    /// The same agent for a rehearsed conversation (the preview panel, `sangdam simulate`): it
    /// reads the real shop, but what it cancels is cancelled only within the conversation.
    pub fn rehearsing(&self, state: &ConversationState) -> Agent {
        let shop = crate::commerce::rehearsal::Rehearsal::new(self.commerce.clone(), state.cancelled.clone());
        Agent { commerce: Arc::new(shop), ..self.clone() }
    }

    /// Answers one message.
    #[tracing::instrument(skip_all, fields(channel = turn.channel.as_str()))]
    pub async fn respond(&self, turn: &Turn<'_>, state: ConversationState) -> Outcome {
        let fallback = state.locale.or(turn.settings.locale.as_deref().and_then(Locale::parse)).unwrap_or(Locale::Ko);
        let locale = Locale::detect(turn.text, fallback);
        let mut state = ConversationState { locale: Some(locale), ..state };
        let mut trace = Trace { locale: Some(locale), ..Trace::default() };

        let step = self.decide(turn, locale, &mut state, &mut trace).await;
        let step = missed_or_handoff(step, turn.settings, &mut state, locale);
        let mut replies = step.replies;
        if let Some(decision) = step.handoff {
            state.pending = None;
            state.confirm = None;
            state.fallbacks = 0;
            replies.push(handoff_message(turn.settings, turn.customer, locale));
            trace.handoff = Some(decision);
        }
        let replies: Vec<String> = replies
            .into_iter()
            .map(|reply| {
                let (clean, masked) = self.guardrails.clean(&reply, turn.settings);
                trace.masked |= masked;
                clean
            })
            .collect();
        state.remember(turn.text, &replies);
        Outcome { replies, trace, state }
    }

    /// What to do with the message: hand it to a person, settle a question the agent asked, or
    /// answer each of its asks.
    async fn decide(
        &self,
        turn: &Turn<'_>,
        locale: Locale,
        state: &mut ConversationState,
        trace: &mut Trace,
    ) -> step::Step {
        if let Some(topic) = self.guardrails.escalation(turn.text, turn.settings) {
            return step::Step::handoff(HandoffReason::EscalationTopic, format!("the message mentions {topic:?}"));
        }
        if let Some(step) = orders::confirmed(self, turn, locale, state, trace).await {
            return step;
        }
        let frustrated = self.cues.frustration(turn.text);
        if let Some(cue) = self.cues.claim(turn.text)
            && !actions::asks_about_policy(self, turn.text, locale)
        {
            return actions::claim(self, turn, locale, cue, frustrated.is_some());
        }
        if let Some(cue) = frustrated {
            return actions::frustrated(self, turn, locale, state, &format!("the customer is frustrated ({cue:?})"));
        }
        let plans = match understand::plan(self, turn, state, trace).await {
            Ok(plans) => plans,
            Err(step) => return step,
        };
        if actions::asked_again(self, turn.text, &plans, state) {
            let detail = format!("the customer asked the same thing {} times", state.repeats + 1);
            return actions::frustrated(self, turn, locale, state, &detail);
        }
        let mut replies = Vec::new();
        for plan in &plans {
            if trace.skill.is_none() {
                trace.skill = Some(plan.skill.clone());
            }
            state.last_skill = Some(plan.skill.clone());
            let step = actions::run(self, turn, plan, locale, state).await;
            let missed = step
                .handoff
                .as_ref()
                .is_some_and(|h| matches!(h.reason, HandoffReason::OutOfScope | HandoffReason::LowConfidence));
            if missed && !replies.is_empty() {
                // One ask answered and the next not understood: the answer stands on its own.
                continue;
            }
            replies.extend(step.replies);
            if step.handoff.is_some() {
                return step::Step { replies, handoff: step.handoff };
            }
        }
        step::Step { replies, handoff: None }
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
    step: step::Step,
    settings: &ChannelSettings,
    state: &mut ConversationState,
    locale: Locale,
) -> step::Step {
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
        return step::Step { replies: vec![text], handoff: None };
    }
    if allowed > 1 {
        let detail = step.handoff.map(|h| h.detail).unwrap_or_default();
        let detail = format!("{} messages in a row were not understood; the last: {detail}", state.fallbacks);
        return step::Step::handoff(HandoffReason::RepeatedFallbacks, detail);
    }
    step
}
