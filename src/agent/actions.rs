//! What each kind of skill does once routed to.

use serde::Serialize;
use serde_json::json;

use super::{Agent, ConversationState, HandoffDecision, HandoffReason, MAX_LOOKUP_FAILURES, Pending, Turn, extract};
use crate::channels::ChannelKind;
use crate::commerce::{CommerceError, CustomerKey, Order, OrderLookup, OrderStatus};
use crate::locale::Locale;
use crate::skills::Action;

/// The knowledge article the business-hours skill answers from.
const HOURS_ARTICLE: &str = "business-hours";

/// The result of a skill: a reply, a handoff, or both.
#[derive(Debug, Default)]
pub(super) struct Step {
    pub reply: Option<String>,
    pub handoff: Option<HandoffDecision>,
}

impl Step {
    pub fn handoff(reason: HandoffReason, detail: impl Into<String>) -> Self {
        Step { reply: None, handoff: Some(HandoffDecision { reason, detail: detail.into() }) }
    }
}

/// Runs the skill `skill_id` on the turn.
pub(super) async fn run(
    agent: &Agent,
    turn: &Turn<'_>,
    skill_id: &str,
    locale: Locale,
    state: &mut ConversationState,
) -> Step {
    let Some(skill) = agent.catalog.get(skill_id) else {
        return Step::handoff(HandoffReason::SkillFailure, format!("skill {skill_id} is not loaded"));
    };
    if state.pending.as_ref().is_some_and(|p| p.skill != skill_id) {
        state.pending = None;
    }
    let cx = Cx { agent, turn, skill: skill_id, locale };
    match skill.action {
        Action::OrderStatus | Action::OrderCancellation => cx.order(skill.action, state).await,
        Action::Returns => {
            let policy = agent.knowledge.answer(turn.text, locale, Some("return-policy")).map(|a| a.text);
            cx.reply("how_to", &json!({ "policy": policy }))
        }
        Action::ProductSearch => cx.products().await,
        Action::BusinessHours => {
            // The article's first section (the support hours) always, and the section the
            // question matches best when that is another one (the showroom, say).
            let Some(mut article) = agent.knowledge.first_section(HOURS_ARTICLE, locale) else {
                return Step::handoff(HandoffReason::SkillFailure, "there is no business-hours knowledge article");
            };
            if let Some(best) = agent.knowledge.answer(turn.text, locale, Some(HOURS_ARTICLE))
                && best.heading != article.heading
            {
                article.text = format!("{} {}", article.text, best.text);
            }
            cx.reply("answer", &json!({ "article": article }))
        }
        Action::KnowledgeAnswer => {
            let passages = agent.knowledge.passages(turn.text, locale, 3);
            let Some(best) = passages.first() else {
                return Step::handoff(HandoffReason::OutOfScope, "no knowledge article answers the question");
            };
            if let Some(llm) = &agent.llm {
                let sms = turn.channel == ChannelKind::Sms;
                let tone = agent.guardrails.tone(turn.settings);
                match llm.answer(turn.text, &passages, locale, sms, tone).await {
                    Ok(text) => return Step { reply: Some(text), handoff: None },
                    Err(e) => tracing::warn!(error = %e, "LLM answer failed; using the reply template"),
                }
            }
            cx.reply("answer", &json!({ "article": best }))
        }
        Action::Handoff => Step::handoff(HandoffReason::ExplicitRequest, "the customer asked for a person"),
        Action::Greeting => {
            let skills: Vec<&str> = turn
                .settings
                .skills
                .iter()
                .filter_map(|id| agent.catalog.get(id))
                .filter(|s| !matches!(s.action, Action::Greeting | Action::Handoff))
                .map(|s| match locale {
                    Locale::Ko => s.name.ko.as_str(),
                    Locale::En => s.name.en.as_str(),
                })
                .collect();
            cx.reply("hello", &json!({ "customer": turn.customer, "skills": skills.join(", ") }))
        }
        Action::Reply => cx.reply("answer", &json!({ "customer": turn.customer })),
    }
}

/// One skill run.
struct Cx<'a> {
    agent: &'a Agent,
    turn: &'a Turn<'a>,
    skill: &'a str,
    locale: Locale,
}

impl Cx<'_> {
    fn reply(&self, name: &str, data: &impl Serialize) -> Step {
        let sms = self.turn.channel == ChannelKind::Sms;
        match self.agent.replies.render(self.skill, name, self.locale, sms, data) {
            Ok(text) => Step { reply: Some(text), handoff: None },
            Err(e) => {
                tracing::error!(error = %e, "a reply template failed");
                Step::handoff(HandoffReason::SkillFailure, e.to_string())
            }
        }
    }

    /// Order status and cancellation: find the order, but only the customer's own.
    async fn order(&self, action: Action, state: &mut ConversationState) -> Step {
        let text = self.turn.text;
        let number =
            extract::order_number(text).or_else(|| state.pending.as_ref().and_then(|p| p.order_number.clone()));
        let typed = extract::email(text).or_else(|| extract::phone(text)).filter(|k| CustomerKey::parse(k).is_some());
        if typed.is_some() {
            state.contact = typed.clone();
        }
        // Who the channel says the customer is (the brand's page, the texting number) may list
        // their orders; a contact typed into the chat only unlocks an order whose number is known.
        let known = self
            .turn
            .customer
            .email
            .as_deref()
            .and_then(CustomerKey::parse)
            .or_else(|| self.turn.customer.phone.as_deref().and_then(CustomerKey::parse));
        let typed_key = state.contact.as_deref().and_then(CustomerKey::parse);
        let key = if number.is_some() { typed_key.or(known) } else { known };
        let order = match (number, key) {
            (None, None) => {
                state.pending = Some(Pending { skill: self.skill.to_owned(), order_number: None });
                return self.reply("ask_order_number", &json!({}));
            }
            (Some(number), None) => {
                state.pending = Some(Pending { skill: self.skill.to_owned(), order_number: Some(number.clone()) });
                return self.reply("ask_verification", &json!({ "order_number": number }));
            }
            (None, Some(key)) => match lookup(|| self.agent.commerce.orders_for(&key, 1)).await {
                Ok(mut orders) if !orders.is_empty() => orders.remove(0),
                Ok(_) => {
                    state.pending = Some(Pending { skill: self.skill.to_owned(), order_number: None });
                    return self.reply("ask_order_number", &json!({}));
                }
                Err(e) => return commerce_down(&e),
            },
            (Some(number), Some(key)) => match lookup(|| self.agent.commerce.order(&number, &key)).await {
                Ok(OrderLookup::Found(order)) => order,
                Ok(OrderLookup::NotYours) | Err(CommerceError::NotFound) => {
                    state.lookup_failures += 1;
                    state.contact = None;
                    state.pending = Some(Pending { skill: self.skill.to_owned(), order_number: None });
                    if state.lookup_failures >= MAX_LOOKUP_FAILURES {
                        let detail =
                            format!("order {number} was not found for the customer {} times", state.lookup_failures);
                        return Step::handoff(HandoffReason::SkillFailure, detail);
                    }
                    return self.reply("not_found", &json!({ "order_number": number }));
                }
                Err(e) => return commerce_down(&e),
            },
        };
        state.pending = None;
        state.lookup_failures = 0;
        let view = self.order_view(&order);
        let name = match (action, order.status) {
            (Action::OrderCancellation, OrderStatus::Cancelled) => "already_cancelled",
            (Action::OrderCancellation, _) if order.cancellable => "can_cancel",
            (Action::OrderCancellation, _) => "cannot_cancel",
            (_, OrderStatus::Preparing) => "preparing",
            (_, OrderStatus::Shipped) => "shipped",
            (_, OrderStatus::OutForDelivery) => "out_for_delivery",
            (_, OrderStatus::Delivered) => "delivered",
            (_, OrderStatus::Cancelled) => "cancelled",
        };
        self.reply(name, &json!({ "order": view, "customer": self.turn.customer }))
    }

    /// An order as reply templates see it, in the reply's language.
    fn order_view(&self, order: &Order) -> serde_json::Value {
        let ko = self.locale == Locale::Ko;
        let names: Vec<&str> =
            order.items.iter().map(|i| if ko { i.name_ko.as_str() } else { i.name_en.as_str() }).collect();
        let items = match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [first, rest @ ..] if ko => format!("{first} 외 {}건", rest.len()),
            [first, rest @ ..] => format!("{first} and {} more", rest.len()),
        };
        let shipment = order.shipment.as_ref();
        json!({
            "number": order.number,
            "status": if ko { order.status.label_ko() } else { order.status.label_en() },
            "items": items,
            "total": order.total.display(),
            "carrier": shipment.map(|s| s.carrier.clone()),
            "tracking_number": shipment.map(|s| s.tracking_number.clone()),
            "tracking_url": shipment.and_then(|s| s.tracking_url.clone()),
            "estimated_delivery": shipment.and_then(|s| s.estimated_delivery).map(|d| d.to_string()),
        })
    }

    async fn products(&self) -> Step {
        match lookup(|| self.agent.commerce.search_products(self.turn.text, 3)).await {
            Ok(found) if found.is_empty() => self.reply("no_results", &json!({ "query": self.turn.text })),
            Ok(found) => {
                let ko = self.locale == Locale::Ko;
                let products: Vec<_> = found
                    .iter()
                    .map(|p| {
                        json!({
                            "name": if ko { &p.name_ko } else { &p.name_en },
                            "price": p.price.display(),
                            "url": p.url,
                            "in_stock": p.in_stock,
                        })
                    })
                    .collect();
                self.reply("results", &json!({ "products": products, "query": self.turn.text }))
            }
            Err(e) => commerce_down(&e),
        }
    }
}

/// Calls the commerce integration, once more after a short wait when it asks for one.
async fn lookup<T, F, Fut>(call: F) -> Result<T, CommerceError>
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

fn commerce_down(e: &CommerceError) -> Step {
    tracing::warn!(error = %e, "the commerce integration failed");
    Step::handoff(HandoffReason::SkillFailure, format!("the commerce integration failed: {e}"))
}
