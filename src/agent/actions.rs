//! What each kind of skill does once routed to, and what the conversation remembers of it.

use serde_json::json;

use super::step::{Cx, Step};
use super::understand::Plan;
use super::{
    Agent, Confirmation, ConversationState, HandoffDecision, HandoffReason, Pending, Topic, Turn, orders, products,
};
use crate::channels::ChannelKind;
use crate::channels::FrustrationAction;
use crate::knowledge::Answer;
use crate::locale::Locale;
use crate::skills::Action;

/// The knowledge article the business-hours skill answers from when its manifest names none.
const HOURS_ARTICLE: &str = "business-hours";
/// The knowledge article the returns skill answers from when its manifest names none.
const RETURNS_ARTICLE: &str = "return-policy";
/// The skill whose replies say sorry and hand over.
const HANDOFF_SKILL: &str = "human_handoff";
/// A router confidence at which a knowledge question is taken to be one.
const ROUTED: f32 = 0.35;
/// The share of such a question a passage must cover.
const LENIENT_COVERAGE: f32 = 0.25;
/// How much more of an ask another article must cover to answer it instead of the skill's own.
const CLEARLY_BETTER: f32 = 0.2;
/// An ask of at most this many words is about the article in play.
const SHORT_ASK: usize = 2;
/// The share of a claim ("뚜껑이 깨져서 왔어요") the policy must cover to be stated with it.
const CLAIM_COVERAGE: f32 = 0.1;

/// The knowledge skill, when the knowledge answers the ask better than the skill it was routed
/// to: a question about how things work in general routed to an order skill ("오늘 주문하면 언제
/// 와요?", "if I change my mind after it ships, can I cancel?"), or a question another article
/// answers routed to a policy skill ("is there a receipt in the gift box?" to returns).
fn knowledge_instead<'a>(
    agent: &'a Agent,
    turn: &Turn<'_>,
    plan: &Plan,
    skill: &crate::skills::Skill,
    state: &ConversationState,
    locale: Locale,
) -> Option<&'a crate::skills::Skill> {
    let faq = turn
        .settings
        .skills
        .iter()
        .filter_map(|id| agent.catalog.get(id))
        .find(|s| s.action == Action::KnowledgeAnswer)?;
    let text = plan.text.as_str();
    let best = || agent.knowledge.sections(text, locale, None, None).into_iter().next();
    match skill.action {
        Action::OrderStatus | Action::OrderCancellation => {
            let about_an_order = super::extract::order_number(text).is_some()
                || agent.cues.ordinal(text).is_some()
                || state.pending.is_some()
                || plan.follow_up
                || plan.order_number.is_some();
            let general = agent.cues.general(text)
                && agent
                    .knowledge
                    .sections_above(text, locale, None, None, LENIENT_COVERAGE)
                    .first()
                    .is_some_and(|b| b.specific > 0);
            (!about_an_order && general).then_some(faq)
        }
        Action::Returns | Action::BusinessHours => {
            // Another article answers, and the skill's own answers nothing specific or clearly
            // less ("주말에도 배송 출발해요?" routed to business hours is about delivery).
            let own = skill.article.as_deref()?;
            let mine = agent.knowledge.sections(text, locale, Some(own), None);
            let mine = mine
                .iter()
                .filter(|s| s.specific > 0)
                .map(|s| s.coverage)
                .fold(None, |m: Option<f32>, c| Some(m.map_or(c, |m| m.max(c))));
            best()
                .filter(|b| b.slug != own && b.specific > 0 && mine.is_none_or(|m| b.coverage > m + CLEARLY_BETTER))
                .map(|_| faq)
        }
        _ => None,
    }
}

/// Runs the skill of `plan` and remembers what its answer was about.
pub(super) async fn run(
    agent: &Agent,
    turn: &Turn<'_>,
    plan: &Plan,
    locale: Locale,
    state: &mut ConversationState,
) -> Step {
    let Some(mut skill) = agent.catalog.get(&plan.skill) else {
        return Step::handoff(HandoffReason::SkillFailure, format!("skill {} is not loaded", plan.skill));
    };
    let redirected;
    let plan = match knowledge_instead(agent, turn, plan, skill, state, locale) {
        Some(faq) => {
            redirected = Plan { skill: faq.id.clone(), ..plan.clone() };
            skill = faq;
            &redirected
        }
        None => plan,
    };
    if state.pending.as_ref().is_some_and(|p| p.skill != plan.skill) {
        state.pending = None;
    }
    let previous = state.topic.take();
    let continued = previous.as_ref().filter(|t| plan.follow_up || t.skill == plan.skill);
    let mut topic = Topic { skill: plan.skill.clone(), question: question(plan, continued), ..Topic::default() };
    let cx = Cx { agent, turn, skill: &plan.skill, text: &plan.text, locale };
    let step = match skill.action {
        Action::OrderStatus | Action::OrderCancellation => {
            // The orders in play stay in play across the order skills.
            topic.orders = previous.as_ref().map(|t| t.orders.clone()).unwrap_or_default();
            if let Some(number) = &plan.order_number {
                // The order the LLM pointed at is the skill's detail, as if the skill had asked.
                state.pending = Some(Pending { skill: plan.skill.clone(), order_number: Some(number.clone()) });
            }
            orders::run(&cx, skill.action, state, &mut topic).await
        }
        Action::Returns => {
            let article = skill.article.as_deref().unwrap_or(RETURNS_ARTICLE);
            topic.article = Some(article.to_owned());
            returns(&cx, article)
        }
        Action::ProductSearch => {
            let (step, found) = products::run(&cx, continued, &mut topic).await;
            // No product for it, but an article answers: "관세 있어요?" was a question.
            let answered = if found { Vec::new() } else { agent.knowledge.sections(&plan.text, locale, None, None) };
            match super::understand::knowledge_skill(agent, turn) {
                Some(faq) if answered.first().is_some_and(|s| s.specific > 0) => {
                    topic.skill = faq.clone();
                    topic.article = answered.first().map(|s| s.slug.clone());
                    let cx = Cx { skill: &faq, ..cx };
                    knowledge(&cx, &answered).await
                }
                _ => step,
            }
        }
        Action::BusinessHours => {
            let article = skill.article.as_deref().unwrap_or(HOURS_ARTICLE);
            topic.article = Some(article.to_owned());
            hours(&cx, article)
        }
        Action::KnowledgeAnswer => {
            // The article in play answers what leans on it: a follow-up, "who pays in that case?",
            // a word or two ("fee?") or a question for a time or an amount that names nothing
            // else ("며칠 안에 해야 돼요?"), even when the router reads them as a new question.
            let leans = plan.follow_up
                || agent.cues.refers_back(&plan.text)
                || plan.text.split_whitespace().count() <= SHORT_ASK
                || agent.knowledge.asks_only_kind(&plan.text);
            let prefer = previous.as_ref().filter(|_| leans).and_then(|t| t.article.as_deref());
            // Routed here with confidence, a question with words the articles lack still finds
            // its passage.
            let bar = if plan.confidence >= ROUTED { LENIENT_COVERAGE } else { crate::knowledge::MIN_COVERAGE };
            let mut sections = agent.knowledge.sections_above(&plan.text, locale, None, prefer, bar);
            if sections.is_empty()
                && let Some(previous) = continued.filter(|_| plan.follow_up)
            {
                let both = format!("{} {}", previous.question, plan.text);
                sections = agent.knowledge.sections_above(&both, locale, None, prefer, bar);
            }
            // "그거 붙어요?", "does that apply too?": the section just given is what "that" is.
            if let Some(previous) = continued.filter(|_| plan.follow_up)
                && agent.cues.refers_back(&plan.text)
                && let (Some(slug), Some(heading)) = (&previous.article, &previous.section)
                && let Some(before) = agent.knowledge.section(slug, heading, locale)
                && !sections.iter().any(|s| s.slug == before.slug && s.heading == before.heading)
            {
                sections.insert(0, before);
            }
            topic.article = sections.last().map(|s| s.slug.clone());
            topic.section = sections.last().and_then(|s| s.heading.clone());
            knowledge(&cx, &sections).await
        }
        Action::Handoff => Step::handoff(HandoffReason::ExplicitRequest, "the customer asked for a person"),
        Action::Greeting => {
            if agent.cues.thanks(&plan.text) {
                // Thanks close nothing: the topic stays for what may come next.
                state.topic = previous;
                let fallback = match locale {
                    Locale::Ko => "도움이 되었다니 다행이에요. 더 궁금하신 점이 있으면 언제든 말씀해 주세요.",
                    Locale::En => "Glad I could help. If anything else comes up, just ask.",
                };
                return cx.reply_or("thanks", &json!({ "customer": turn.customer }), fallback.to_owned());
            }
            greeting(&cx)
        }
        Action::Reply => cx.reply("answer", &json!({ "customer": turn.customer })),
    };
    if step.handoff.is_none() && !step.replies.is_empty() {
        state.topic = Some(topic);
    } else if step.handoff.is_none() {
        state.topic = previous;
    }
    step
}

/// What the topic's question is: this ask, or the earlier question it follows up on and this ask.
fn question(plan: &Plan, continued: Option<&Topic>) -> String {
    match continued {
        Some(previous) if plan.follow_up => {
            let both = format!("{} {}", previous.question, plan.text);
            // The latest words matter most; very long chains keep their end.
            let chars: Vec<char> = both.chars().collect();
            chars[chars.len().saturating_sub(300)..].iter().collect()
        }
        _ => plan.text.clone(),
    }
}

/// The returns skill: the sections of the policy that answer the question (the fee, the window,
/// what can't be returned, the refund); how to send it back when that is what was asked, or when
/// nothing more specific was.
fn returns(cx: &Cx<'_>, article: &str) -> Step {
    let sections: Vec<Answer> = cx
        .agent
        .knowledge
        .sections(cx.text, cx.locale, Some(article), None)
        .into_iter()
        .filter(|s| s.specific > 0)
        .collect();
    // "반품하고 싶어요", "how do I send it back": the steps. "반품비는 얼마예요?": the rule.
    if sections.is_empty() || cx.agent.cues.asks_how(cx.text) || !is_question(cx.text) {
        // The window always; the rules asked about after it.
        let window = cx.agent.knowledge.first_section(article, cx.locale);
        // What the steps already say is not said again ("마이페이지 > 주문 내역" in the article too).
        let steps = cx.reply("how_to", &json!({ "policy": null })).replies.join(" ");
        let said = crate::knowledge::tokens(&steps);
        let new = |text: &str| {
            let own = crate::knowledge::tokens(text);
            own.iter().filter(|t| said.contains(t)).count() * 2 < own.len()
        };
        let mut parts: Vec<String> = window.iter().map(|w| w.text.clone()).collect();
        parts.extend(
            sections
                .iter()
                .filter(|s| window.as_ref().is_none_or(|w| w.heading != s.heading) && new(&s.text))
                .map(|s| s.text.clone()),
        );
        let policy = (!parts.is_empty()).then(|| parts.join(" "));
        return cx.reply("how_to", &json!({ "policy": policy }));
    }
    cx.reply("answer", &json!({ "policy": joined(&sections), "sections": sections }))
}

/// The business-hours skill: the support hours always, and the section the question is about
/// when that is another one (the showroom, say).
fn hours(cx: &Cx<'_>, article: &str) -> Step {
    let Some(mut first) = cx.agent.knowledge.first_section(article, cx.locale) else {
        return Step::handoff(HandoffReason::SkillFailure, format!("there is no {article} knowledge article"));
    };
    let sections = cx.agent.knowledge.sections(cx.text, cx.locale, Some(article), None);
    let others: Vec<&Answer> = sections.iter().filter(|s| s.heading != first.heading).collect();
    if !others.is_empty() {
        let asked: Vec<&str> = others.iter().map(|s| s.text.as_str()).collect();
        // Asked about the showroom only: its section first, the support hours after.
        first.text = format!("{} {}", asked.join(" "), first.text);
    }
    cx.reply("answer", &json!({ "article": first, "text": first.text }))
}

/// A knowledge answer: the sections that answer, through the LLM when there is one.
async fn knowledge(cx: &Cx<'_>, sections: &[Answer]) -> Step {
    let Some(best) = sections.first() else {
        return Step::handoff(HandoffReason::OutOfScope, "no knowledge article answers the question");
    };
    if let Some(llm) = &cx.agent.llm {
        let sms = cx.turn.channel == ChannelKind::Sms;
        let tone = cx.agent.guardrails.tone(cx.turn.settings);
        match llm.answer(cx.text, sections, cx.locale, sms, tone).await {
            Ok(text) => return Step::reply(text),
            Err(e) => tracing::warn!(error = %e, "LLM answer failed; using the reply template"),
        }
    }
    cx.reply("answer", &json!({ "article": best, "text": joined(sections) }))
}

fn joined(sections: &[Answer]) -> String {
    sections.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// The greeting: hello, and what the agent can help with in the customer's words.
fn greeting(cx: &Cx<'_>) -> Step {
    let offers: Vec<String> = cx
        .turn
        .settings
        .skills
        .iter()
        .filter_map(|id| cx.agent.catalog.get(id))
        .filter(|s| !matches!(s.action, Action::Greeting | Action::Handoff))
        .map(|s| {
            let words = s.offer.as_ref().unwrap_or(&s.name);
            if cx.ko() { words.ko.clone() } else { words.en.clone() }
        })
        .collect();
    let skills = match offers.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] if cx.ko() => format!("{}, {last}", rest.join(", ")),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    cx.reply("hello", &json!({ "customer": cx.turn.customer, "skills": skills, "offers": offers }))
}

/// Whether the text asks something, rather than states or requests it.
pub(super) fn is_question(text: &str) -> bool {
    let lower = text.to_lowercase();
    text.contains('?')
        || [
            "나요",
            "까요",
            "되요",
            "돼요",
            "되죠",
            "인가요",
            "건가요",
            "얼마",
            "언제",
            "누가",
            "어떻게",
            "기간",
            "뭐예요",
            "있어요",
        ]
        .iter()
        .any(|q| text.contains(q))
        || ["how ", "what ", "when ", "who ", "can i", "do i", "is it", "does ", "will ", "do you"]
            .iter()
            .any(|q| lower.starts_with(q.trim_end()) || lower.contains(&format!(" {q}")))
}

/// Whether a message that shows a claim cue is rather a question about the rules ("불량인데
/// 반품비 제가 내야 돼요?"): a question the policy articles answer.
pub(super) fn asks_about_policy(agent: &Agent, text: &str, locale: Locale) -> bool {
    // "불량이면 교환 되나요?", "what if it arrived broken?": a rule asked about, not a claim made.
    let lower = text.to_lowercase();
    let conditional = text.split_whitespace().any(|w| {
        let w = w.trim_end_matches(['?', '.', '!', ',']);
        w.ends_with('면') || w.ends_with("면요") || w.ends_with("라면")
    }) || ["if ", "what if", "in case", "suppose"]
        .iter()
        .any(|c| lower.starts_with(c) || lower.contains(&format!(" {c}")));
    if conditional && is_question(text) {
        return true;
    }
    let question = is_question(text);
    let rules = [
        "반품비",
        "배송비",
        "기간",
        "며칠",
        "비용",
        "부담",
        "fee",
        "cost",
        "pay for",
        "who pays",
        "how long",
        "how many days",
    ];
    question
        && rules.iter().any(|r| text.to_lowercase().contains(r))
        && !agent.knowledge.sections(text, locale, None, None).is_empty()
}

/// A claim: sorry, the policy that applies where one does, and a person.
pub(super) fn claim(agent: &Agent, turn: &Turn<'_>, locale: Locale, cue: &str, angry: bool) -> Step {
    let cx = Cx { agent, turn, skill: HANDOFF_SKILL, text: turn.text, locale };
    let policy = agent
        .catalog
        .iter()
        .find(|s| s.action == Action::Returns && turn.settings.skills.contains(&s.id))
        .map(|s| s.article.clone().unwrap_or_else(|| RETURNS_ARTICLE.to_owned()))
        .map(|article| agent.knowledge.sections_above(turn.text, locale, Some(&article), None, CLAIM_COVERAGE))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.specific > 0)
        .collect::<Vec<_>>();
    let policy = (!policy.is_empty()).then(|| joined(&policy));
    let mut step =
        cx.reply_or("claim", &json!({ "policy": policy, "angry": angry }), default_claim(locale, policy.as_deref()));
    step.handoff = Some(HandoffDecision { reason: HandoffReason::Claim, detail: format!("a claim ({cue:?})") });
    step
}

/// An apology and a person, or the offer of one when the channel says so
/// (`handoff.on_frustration: offer`).
pub(super) fn frustrated(
    agent: &Agent,
    turn: &Turn<'_>,
    locale: Locale,
    state: &mut ConversationState,
    detail: &str,
) -> Step {
    let cx = Cx { agent, turn, skill: HANDOFF_SKILL, text: turn.text, locale };
    let offer = turn.settings.handoff.as_ref().and_then(|h| h.on_frustration) == Some(FrustrationAction::Offer);
    if offer {
        state.confirm = Some(Confirmation::Person { detail: detail.to_owned() });
        return cx.reply_or("offer", &json!({ "customer": turn.customer }), default_offer(locale));
    }
    let mut step = cx.reply_or("apology", &json!({ "customer": turn.customer }), default_apology(locale));
    step.handoff = Some(HandoffDecision { reason: HandoffReason::Frustration, detail: detail.to_owned() });
    step
}

fn default_offer(locale: Locale) -> String {
    match locale {
        Locale::Ko => {
            "불편을 드려 정말 죄송합니다. 상담원이 직접 도와드리는 게 좋을까요? 원하시면 '네'라고 답해 주세요."
        }
        Locale::En => "I'm really sorry about this. Would you like me to get someone from our team? Just say yes.",
    }
    .to_owned()
}

fn default_apology(locale: Locale) -> String {
    match locale {
        Locale::Ko => "불편을 드려 정말 죄송합니다. 상담원이 직접 확인해 드릴게요.",
        Locale::En => "I'm really sorry about this. Let me get a member of our team to look into it for you.",
    }
    .to_owned()
}

fn default_claim(locale: Locale, policy: Option<&str>) -> String {
    let policy = policy.map(|p| format!(" {p}")).unwrap_or_default();
    match locale {
        Locale::Ko => format!("불편을 드려 정말 죄송합니다.{policy} 정확한 확인을 위해 상담원이 이어서 도와드릴게요."),
        Locale::En => format!("I'm sorry about that.{policy} A member of our team will take it from here."),
    }
}

/// Whether the customer asks, for the third time in a row, what the last answers were about: the
/// answers did not help. Counts in `state.repeats`.
pub(super) fn asked_again(agent: &Agent, text: &str, plans: &[Plan], state: &mut ConversationState) -> bool {
    let Some(topic) = &state.topic else {
        state.repeats = 0;
        return false;
    };
    let same_skill = plans.iter().any(|p| p.skill == topic.skill);
    let own = crate::knowledge::tokens(text);
    let last = crate::knowledge::tokens(&topic.question);
    let shared = own.iter().filter(|t| last.contains(t)).count();
    let similar = !own.is_empty() && shared * 10 >= own.len() * 7;
    let order_skill = agent.catalog.get(&topic.skill).is_some_and(|s| s.action.is_order());
    if same_skill && similar && !order_skill {
        state.repeats += 1;
    } else {
        state.repeats = 0;
    }
    state.repeats >= 2
}
