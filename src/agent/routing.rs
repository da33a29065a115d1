//! Routing one ask: by the LLM when one is configured, else (or when it fails) by the embedded
//! router.
//!
//! The LLM reads the ask in its conversation: the recent turns and what the conversation is on.
//! It may also ask for an order to be looked up or cancelled; that request becomes a run of the
//! order skill with the order number as its detail, so the owner checks and the confirmation
//! before a cancellation are the embedded skill's own. Whatever goes wrong (the API, a tool call
//! that doesn't parse, names no known skill, or an order the conversation never mentioned) the
//! ask is routed by the embedded router instead, and the conversation state is left as it was.

use super::{Agent, ConversationState, Speaker, Trace, Turn, extract};
use crate::llm::{Conversation, Line, LlmError, OrderTools, Routed, SkillChoice, TopicSummary};
use crate::router::Routing;
use crate::skills::Action;

/// An order the LLM asked about, through one of its tools.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OrderAsk {
    /// The order skill that answers.
    pub skill: String,
    /// The order.
    pub number: String,
}

/// How the ask was routed, and the order the LLM asked about, if it called an order tool (the
/// routing then names that order skill, with full confidence).
pub(super) async fn route(
    agent: &Agent,
    turn: &Turn<'_>,
    text: &str,
    state: &ConversationState,
    trace: &mut Trace,
) -> (Routing, Option<OrderAsk>) {
    if let Some(llm) = &agent.llm {
        let choices: Vec<SkillChoice> = turn
            .settings
            .skills
            .iter()
            .filter_map(|id| agent.catalog.get(id))
            .map(|s| SkillChoice {
                id: s.id.clone(),
                description: format!("{} / {}", s.description.en, s.description.ko),
            })
            .collect();
        let lookup = enabled(agent, turn, Action::OrderStatus);
        let cancel = enabled(agent, turn, Action::OrderCancellation);
        let tools = OrderTools { lookup: lookup.is_some(), cancel: cancel.is_some() };
        let read = llm.route(text, &choices, tools, &conversation(state)).await.and_then(|routed| match routed {
            Routed::Skill { skill, confidence } => {
                Ok((Routing { intent: skill, confidence, ranked: Vec::new() }, None))
            }
            Routed::LookupOrder(number) => order_ask(lookup, number, text, state),
            Routed::CancelOrder(number) => order_ask(cancel, number, text, state),
        });
        match read {
            Ok(read) => {
                trace.router = "llm".into();
                return read;
            }
            Err(e) => {
                tracing::warn!(error = %e, "LLM routing failed; using the embedded router");
                metrics::counter!("sangdam_llm_fallbacks_total").increment(1);
                trace.llm_error = Some(e.to_string());
            }
        }
    }
    trace.router = "embedded".into();
    (agent.router.route(text), None)
}

/// The enabled skill of the channel that does `action`.
fn enabled(agent: &Agent, turn: &Turn<'_>, action: Action) -> Option<String> {
    turn.settings.skills.iter().find(|id| agent.catalog.get(id).is_some_and(|s| s.action == action)).cloned()
}

/// The order skill's run for an order tool call, when the order is one the conversation
/// mentioned: the model only points at orders, it doesn't bring its own.
fn order_ask(
    skill: Option<String>,
    number: String,
    text: &str,
    state: &ConversationState,
) -> Result<(Routing, Option<OrderAsk>), LlmError> {
    let skill = skill.ok_or_else(|| LlmError::Malformed("an order tool without its skill".into()))?;
    if extract::order_number(&number).as_deref() != Some(number.as_str()) {
        return Err(LlmError::Malformed(format!("{number:?} is not an order number")));
    }
    let topic = state.topic.as_ref();
    let mentioned = text.contains(&number)
        || state.recent.iter().any(|s| s.text.contains(&number))
        || topic.is_some_and(|t| t.orders.contains(&number))
        || state.pending.as_ref().is_some_and(|p| p.order_number.as_deref() == Some(number.as_str()));
    if !mentioned {
        return Err(LlmError::Malformed(format!("order {number}, which the conversation never mentioned")));
    }
    let routing = Routing { intent: Some(skill.clone()), confidence: 1.0, ranked: Vec::new() };
    Ok((routing, Some(OrderAsk { skill, number })))
}

/// The conversation as the routing prompt is given it.
fn conversation(state: &ConversationState) -> Conversation {
    let recent = state
        .recent
        .iter()
        .map(|said| match said.by {
            Speaker::Customer => Line::Customer(said.text.clone()),
            Speaker::Agent => Line::Agent(said.text.clone()),
        })
        .collect();
    let topic = state.topic.as_ref().map(|t| TopicSummary {
        skill: t.skill.clone(),
        question: t.question.clone(),
        article: t.article.clone(),
        section: t.section.clone(),
        products: t.products.iter().map(|p| format!("{} / {} ({})", p.name_ko, p.name_en, p.price)).collect(),
        orders: t.orders.clone(),
    });
    let pending = state.pending.as_ref().map(|p| match &p.order_number {
        Some(number) => format!("{} asked for the email or phone number order {number} was placed with", p.skill),
        None => format!("{} asked for an order number", p.skill),
    });
    Conversation { recent, topic, pending }
}
