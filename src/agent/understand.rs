//! Understanding a message in the context of its conversation: which asks it makes, and which
//! skill answers each.
//!
//! A message is split into its sentences; each is routed, and consecutive sentences for one skill
//! are answered together (a greeting before a question is not answered on its own). An ask that
//! leans on the previous answer ("도서산간은요?", "and customs?", "첫 번째 건 얼마예요?") continues the
//! topic the conversation is on instead of being routed cold: it is short or opens with a cue of
//! [`super::cues`], and the router does not clearly see another skill in it. A message that is
//! little more than the detail a skill asked for (an order number, an email) goes back to that skill.

use super::names::names_shown;
use super::step::Step;
use super::{Agent, ConversationState, HandoffReason, LOW_CONFIDENCE, Trace, Turn, extract};
use crate::router::Routing;
use crate::skills::Action;

/// A router confidence at or above which the router's reading wins over the conversation's topic.
const CLEAR: f32 = 0.6;
/// An ask of at most this many words may lean on the previous answer without a cue.
const SHORT_WORDS: usize = 3;
/// Below this share of an ask covered, the knowledge has nothing on it.
const NOTHING: f32 = 0.25;
/// The share of an ask an article must cover to answer what the router did not understand.
const RESCUE: f32 = 0.6;

/// The enabled skill that answers from the knowledge articles, if any.
pub(super) fn knowledge_skill(agent: &Agent, turn: &Turn<'_>) -> Option<String> {
    enabled_skill(agent, turn, Action::KnowledgeAnswer)
}

/// The first skill enabled on the channel with this action.
fn enabled_skill(agent: &Agent, turn: &Turn<'_>, action: Action) -> Option<String> {
    turn.settings.skills.iter().find(|id| agent.catalog.get(id).is_some_and(|s| s.action == action)).cloned()
}

/// Whether the text names a product of the shop: two words of its name, or one word that only
/// one product's name has. A shop that cannot be reached names nothing.
async fn names_a_product(agent: &Agent, text: &str) -> bool {
    let Ok(found) = agent.commerce.search_products(text, 5).await else {
        return false;
    };
    let terms: Vec<String> =
        crate::commerce::search::query_terms(text).into_iter().filter(|t| t.chars().count() >= 2).collect();
    let hits: Vec<usize> = found
        .iter()
        .map(|p| {
            let names = format!("{} {}", p.name_ko, p.name_en);
            terms.iter().filter(|t| super::names::names_word(&names, t)).count()
        })
        .collect();
    let best = hits.iter().copied().max().unwrap_or(0);
    best >= 2 || (best == 1 && hits.iter().filter(|&&h| h == 1).count() == 1)
}

/// One ask and the skill that answers it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// The skill.
    pub skill: String,
    /// What the customer asked of it.
    pub text: String,
    /// Whether the ask continues the conversation's topic rather than starting one.
    pub follow_up: bool,
    /// How sure the router was of the skill (1 for a continued topic or an answer to a question).
    pub confidence: f32,
    /// The order the LLM asked about through an order tool.
    pub order_number: Option<String>,
}

/// The skills that answer the message, in the order asked; a handoff step when none does.
pub(super) async fn plan(
    agent: &Agent,
    turn: &Turn<'_>,
    state: &ConversationState,
    trace: &mut Trace,
) -> Result<Vec<Plan>, Step> {
    let asks = sentences(turn.text);
    if asks.len() <= 1 {
        return one(agent, turn, turn.text, state, trace, true).await.map(|p| vec![p]);
    }
    let mut plans: Vec<Plan> = Vec::new();
    let mut refused = None;
    for (n, ask) in asks.iter().enumerate() {
        match one(agent, turn, ask, state, trace, n == 0).await {
            Ok(plan) => match plans.last_mut() {
                Some(last) if last.skill == plan.skill => {
                    last.text = format!("{} {}", last.text, plan.text);
                    last.follow_up &= plan.follow_up;
                }
                _ => plans.push(plan),
            },
            Err(step) => {
                refused.get_or_insert(step);
            }
        }
    }
    // A greeting or a thank-you beside a question is not an ask of its own.
    let small_talk = |p: &Plan| agent.catalog.get(&p.skill).is_some_and(|s| s.action == Action::Greeting);
    if plans.iter().any(|p| !small_talk(p)) {
        plans.retain(|p| !small_talk(p));
    }
    if plans.is_empty() {
        // Read whole, the message may say what none of its pieces does.
        return match one(agent, turn, turn.text, state, trace, true).await {
            Ok(plan) => Ok(vec![plan]),
            Err(step) => Err(refused.unwrap_or(step)),
        };
    }
    if let Some(first) = plans.first()
        && trace.skill.is_none()
    {
        trace.skill = Some(first.skill.clone());
    }
    Ok(plans)
}

/// The sentences of a message that are asks of their own: split at `?`, `!`, line breaks and
/// sentence ends, keeping pieces of at least two words or one long word together with the next.
pub(super) fn sentences(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let next = chars.get(i + 1).copied();
        let end = matches!(c, '?' | '？' | '!' | '\n')
            || (c == '.'
                && next.is_none_or(char::is_whitespace)
                && !chars[..i].last().is_some_and(char::is_ascii_digit));
        if end && next.is_none_or(|n| !matches!(n, '?' | '!' | '.')) {
            let piece = current.trim().to_owned();
            if piece.chars().filter(|c| c.is_alphanumeric()).count() >= 2 {
                out.push(piece);
            } else if let Some(last) = out.last_mut() {
                last.push_str(&piece);
            }
            current.clear();
        }
    }
    let rest = current.trim();
    if rest.chars().filter(|c| c.is_alphanumeric()).count() >= 2 {
        out.push(rest.to_owned());
    } else if let Some(last) = out.last_mut() {
        last.push_str(rest);
    }
    out
}

/// The skill for one ask.
async fn one(
    agent: &Agent,
    turn: &Turn<'_>,
    text: &str,
    state: &ConversationState,
    trace: &mut Trace,
    record: bool,
) -> Result<Plan, Step> {
    let (routing, order) = super::routing::route(agent, turn, text, state, trace).await;
    if record {
        trace.intent = routing.intent.clone();
        trace.confidence = routing.confidence;
    }
    let confidence = routing.confidence;
    let plan = |skill: &str, follow_up: bool| Plan {
        skill: skill.to_owned(),
        text: text.to_owned(),
        follow_up,
        confidence: if follow_up { 1.0 } else { confidence },
        order_number: None,
    };
    // The LLM asked about an order: its skill answers, about that order.
    if let Some(order) = order {
        let in_play = state.topic.as_ref().is_some_and(|t| t.orders.contains(&order.number));
        return Ok(Plan { order_number: Some(order.number), ..plan(&order.skill, in_play) });
    }
    // "감사합니다", "thanks, bye": a few words of thanks, whatever the router makes of them.
    if agent.cues.thanks(text)
        && text.split_whitespace().count() <= 6
        && !(routing.confidence >= CLEAR
            && routing
                .intent
                .as_deref()
                .and_then(|i| agent.catalog.get(i))
                .is_some_and(|s| s.action != Action::Greeting))
        && let Some(greeting) =
            turn.settings.skills.iter().find(|id| agent.catalog.get(id).is_some_and(|s| s.action == Action::Greeting))
    {
        return Ok(plan(greeting, true));
    }
    let details = [extract::order_number(text), extract::email(text), extract::phone(text)];
    if let Some(pending) = &state.pending
        && details.iter().any(Option::is_some)
    {
        // A message that is little more than the detail asked for answers the question, whatever
        // the router makes of it; a longer one only when the router doesn't clearly see another skill.
        let rest = details.iter().flatten().fold(text.to_owned(), |rest, d| rest.replace(d.as_str(), ""));
        let just_details = rest.chars().filter(|c| c.is_alphanumeric()).count() <= 8;
        let elsewhere = routing.intent.as_ref().is_some_and(|i| *i != pending.skill) && routing.confidence >= CLEAR;
        if just_details || !elsewhere {
            return Ok(plan(&pending.skill, true));
        }
    }
    if let Some(skill) = continued_topic(agent, turn, text, &routing, state) {
        return Ok(plan(&skill, true));
    }
    // A short follow-up about another order stays with the order skill of the last message
    // when the router hesitates between the two.
    if let (Some(last), Some(intent), Some(_)) = (&state.last_skill, &routing.intent, &details[0])
        && last != intent
        && routing.confidence < CLEAR
        && [last, intent].iter().all(|id| agent.catalog.get(id).is_some_and(|s| s.action.is_order()))
    {
        return Ok(plan(last, true));
    }
    // Not clearly understood by the router (or sent to a knowledge that has nothing on it), but
    // naming a product of the shop with a question about it ("how much is the shea butter hand
    // cream set?", "대나무 칫솔 재고 있어요?"): the product skill answers.
    let knowledge_has_nothing = || {
        routing
            .intent
            .as_deref()
            .and_then(|i| agent.catalog.get(i))
            .is_some_and(|s| s.action == Action::KnowledgeAnswer)
            && agent
                .knowledge
                .sections_above(text, state.locale.unwrap_or(crate::locale::Locale::Ko), None, None, NOTHING)
                .is_empty()
    };
    if (routing.confidence < CLEAR || knowledge_has_nothing())
        && (agent.cues.product_question(text) || agent.cues.gift(text))
        && let Some(products) = enabled_skill(agent, turn, Action::ProductSearch)
        && routing.intent.as_deref() != Some(products.as_str())
        && names_a_product(agent, text).await
    {
        return Ok(plan(&products, false));
    }
    // Not understood by the router, but plainly answered by an article: the knowledge answers.
    if (routing.intent.is_none() || routing.confidence < LOW_CONFIDENCE)
        && let Some(faq) = knowledge_skill(agent, turn)
        && agent
            .knowledge
            .sections(text, state.locale.unwrap_or(crate::locale::Locale::Ko), None, None)
            .first()
            .is_some_and(|s| s.coverage >= RESCUE && s.specific > 0)
    {
        return Ok(plan(&faq, false));
    }
    let Some(intent) = routing.intent.clone() else {
        let near = routing.ranked.first().map(|(i, c)| format!(" (nearest: {i} at {c:.2})")).unwrap_or_default();
        return Err(Step::handoff(HandoffReason::OutOfScope, format!("no skill covers the message{near}")));
    };
    if routing.confidence < LOW_CONFIDENCE {
        let detail = format!("{intent} at confidence {:.2}", routing.confidence);
        return Err(Step::handoff(HandoffReason::LowConfidence, detail));
    }
    if !turn.settings.skills.contains(&intent) || agent.catalog.get(&intent).is_none() {
        let detail = format!("the message is about {intent}, which is not enabled on {}", turn.channel.as_str());
        return Err(Step::handoff(HandoffReason::OutOfScope, detail));
    }
    Ok(plan(&intent, false))
}

/// The topic's skill, when the ask leans on the previous answer.
fn continued_topic(
    agent: &Agent,
    turn: &Turn<'_>,
    text: &str,
    routing: &Routing,
    state: &ConversationState,
) -> Option<String> {
    let topic = state.topic.as_ref()?;
    let skill = agent.catalog.get(&topic.skill)?;
    if !turn.settings.skills.contains(&topic.skill) || matches!(skill.action, Action::Greeting | Action::Handoff) {
        return None;
    }
    let routed = routing.intent.as_deref();
    let elsewhere = routed.is_some_and(|i| i != topic.skill) && routing.confidence >= CLEAR;
    let small_talk = routed
        .and_then(|i| agent.catalog.get(i))
        .is_some_and(|s| matches!(s.action, Action::Greeting | Action::Handoff))
        && routing.confidence >= LOW_CONFIDENCE;
    if small_talk {
        return None;
    }
    // Pointing at a product or an order shown: the skill that showed it, unless the ask clearly
    // wants another skill (which then reads the same list: "두 번째 주문 취소해 주세요").
    let points = agent.cues.ordinal(text).is_some() || names_shown(text, topic);
    if points && (!topic.products.is_empty() || !topic.orders.is_empty()) && !elsewhere {
        return Some(topic.skill.clone());
    }
    // A product just shown, named with a question about it ("장갑은 얼마예요?", "is the scarf in
    // stock?"): whatever the router says.
    if names_shown(text, topic) && agent.cues.product_question(text) && !skill.action.is_order() {
        return Some(topic.skill.clone());
    }
    // An order stays the topic through what points at it (a number, "두 번째", the items) or a
    // short question in order words ("언제 도착해요?", "링크도 있어요?"); anything else unclear after
    // an order answer is a new question.
    if skill.action.is_order() {
        let order_talk = agent.cues.about_order(text) && text.split_whitespace().count() <= 7;
        let other = agent.cues.follows_up(text) && text.split_whitespace().count() <= SHORT_WORDS;
        let routed_order = routed.and_then(|i| agent.catalog.get(i)).is_some_and(|s| s.action.is_order());
        // What was paid, what is in it, when it comes, where to follow it, asked of the order in
        // play ("how much did I pay for that order?", "도착 예정일 알 수 있어요?"); a refund after
        // the agent cancelled it is that order's refund.
        let refund_of_cancelled = topic.orders.iter().any(|o| state.cancelled.contains(o));
        let facet = agent.cues.order_facet(text).is_some()
            && (agent.cues.about_order(text) || agent.cues.refers_back(text) || refund_of_cancelled)
            && !topic.orders.is_empty();
        // A question about the policy behind the order ("그럼 받고 나서 반품하면 배송비 들어요?")
        // that the router clearly sends to the knowledge is a question of its own.
        let policy = elsewhere
            && routed.and_then(|i| agent.catalog.get(i)).is_some_and(|s| s.action == Action::KnowledgeAnswer)
            && agent.cues.order_facet(text).is_none()
            && agent
                .knowledge
                .sections(text, state.locale.unwrap_or(crate::locale::Locale::Ko), None, None)
                .first()
                .is_some_and(|s| s.specific > 0 && s.coverage >= crate::knowledge::MIN_COVERAGE);
        let stays = facet
            || (order_talk && (!elsewhere || agent.cues.follows_up(text)) && !policy)
            || (other && !elsewhere)
            || (routed_order && !elsewhere);
        // The order stays in play; the order skill the router names answers ("그럼 언제 출고돼요?"
        // after a cancellation was declined is a tracking question).
        let skill = match routed {
            Some(id) if routed_order && turn.settings.skills.iter().any(|s| s == id) => id.to_owned(),
            _ => topic.skill.clone(),
        };
        return stays.then_some(skill);
    }
    if elsewhere {
        return None;
    }
    let unsure = routed.is_none() || routing.confidence < CLEAR;
    let short = text.split_whitespace().count() <= SHORT_WORDS;
    let leans = agent.cues.follows_up(text);
    let same = routed == Some(topic.skill.as_str());
    ((leans && (short || unsure)) || (short && unsure) || (same && leans)).then(|| topic.skill.clone())
}

#[cfg(test)]
mod tests {
    use super::sentences;

    #[test]
    fn a_message_splits_into_its_asks() {
        assert_eq!(sentences("배송비 얼마예요? 얼마 이상 사면 무료?"), ["배송비 얼마예요?", "얼마 이상 사면 무료?"]);
        assert_eq!(sentences("Do you ship abroad?"), ["Do you ship abroad?"]);
        assert_eq!(sentences("안녕하세요! 주문 1001 어디쯤이에요??"), ["안녕하세요!", "주문 1001 어디쯤이에요??"]);
        assert_eq!(sentences("It costs 3.5 dollars. ok?"), ["It costs 3.5 dollars.", "ok?"]);
        assert_eq!(sentences("?"), Vec::<String>::new());
    }
}
