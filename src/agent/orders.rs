//! The order skills: finding the customer's order (only ever their own), telling where it is,
//! listing their orders, and cancelling one once they said yes.
//!
//! Which order: the number typed, the n-th of the orders just listed ("두 번째 주문이요"), the one
//! whose items the customer describes ("머플러 산 거"), the one order in play, or, for a customer
//! the channel knows (the brand's page, the texting number), their only order; with several and
//! nothing to tell them apart, the list. Who: the channel's customer, or the email or phone typed
//! in the chat, which only unlocks an order whose number is known.
//!
//! Cancelling is asked first ("취소할까요?") and done on a yes, through the commerce integration,
//! once: an order cancelled in the conversation is not cancelled again, and the shop itself
//! answers "already cancelled" to a second call.

use serde_json::json;

use super::cues::{OrderFacet, YesNo};
use super::step::{Cx, Step, commerce_down, lookup};
use super::{
    Agent, Confirmation, ConversationState, HandoffReason, MAX_LOOKUP_FAILURES, Pending, Performed, Topic, Trace, Turn,
    extract,
};
use crate::commerce::{Cancellation, CustomerKey, Order, OrderLookup, OrderStatus};
use crate::locale::Locale;
use crate::skills::Action;

/// How many of a customer's orders are read to find or list one.
const RECENT_ORDERS: usize = 10;
/// How many are listed.
const LISTED: usize = 5;

/// Order status and cancellation.
pub(super) async fn run(cx: &Cx<'_>, action: Action, state: &mut ConversationState, topic: &mut Topic) -> Step {
    let text = cx.text;
    let typed = extract::email(text).or_else(|| extract::phone(text)).filter(|k| CustomerKey::parse(k).is_some());
    if typed.is_some() {
        state.contact = typed.clone();
    }
    let known = known_customer(cx.turn);
    let typed_key = state.contact.as_deref().and_then(CustomerKey::parse);
    let ordinal =
        cx.agent.cues.ordinal(text).and_then(|o| o.index(topic.orders.len())).map(|i| topic.orders[i].clone());
    let pointed =
        extract::order_number(text).or(ordinal).or_else(|| state.pending.as_ref().and_then(|p| p.order_number.clone()));
    // The one order in play, unless a customer the channel knows names another by its items
    // or asks for "the other one".
    let in_play = (topic.orders.len() == 1).then(|| topic.orders[0].clone());
    let other = cx.agent.cues.others(text);
    let number = match (pointed, &in_play) {
        (Some(number), _) => Some(number),
        (None, Some(number)) if known.is_none() => Some(number.clone()),
        _ => None,
    };
    let key = if number.is_some() { typed_key.or(known.clone()) } else { known.clone() };
    let order = match (number, key) {
        (None, None) => {
            state.pending = Some(Pending { skill: cx.skill.to_owned(), order_number: None });
            return cx.reply("ask_order_number", &json!({}));
        }
        (Some(number), None) => {
            state.pending = Some(Pending { skill: cx.skill.to_owned(), order_number: Some(number.clone()) });
            return cx.reply("ask_verification", &json!({ "order_number": number }));
        }
        (None, Some(key)) => match lookup(|| cx.agent.commerce.orders_for(&key, RECENT_ORDERS)).await {
            Ok(orders) if orders.is_empty() => {
                state.pending = Some(Pending { skill: cx.skill.to_owned(), order_number: None });
                return cx.reply("ask_order_number", &json!({}));
            }
            Ok(mut orders) => {
                let on_its_way = |o: &Order| {
                    matches!(o.status, OrderStatus::Preparing | OrderStatus::Shipped | OrderStatus::OutForDelivery)
                };
                let active: Vec<usize> = (0..orders.len()).filter(|&i| on_its_way(&orders[i])).collect();
                let in_play_at = in_play.as_ref().and_then(|n| orders.iter().position(|o| &o.number == n));
                let not_shown: Vec<usize> =
                    (0..orders.len()).filter(|&i| !topic.orders.contains(&orders[i].number)).collect();
                if let Some(i) = described(text, &orders) {
                    orders.swap_remove(i)
                } else if other && not_shown.len() == 1 {
                    orders.swap_remove(not_shown[0])
                } else if let Some(i) = in_play_at.filter(|_| !other) {
                    orders.swap_remove(i)
                } else if orders.len() == 1 {
                    orders.remove(0)
                } else if action == Action::OrderStatus && active.len() == 1 && !cx.agent.cues.lists_orders(text) {
                    // Several orders, one still on its way: "when will it come?" is about that one.
                    orders.swap_remove(active[0])
                } else {
                    return list(cx, action, orders, state, topic);
                }
            }
            Err(e) => return commerce_down(&e),
        },
        (Some(number), Some(key)) => match lookup(|| cx.agent.commerce.order(&number, &key)).await {
            Ok(OrderLookup::Found(order)) => order,
            Ok(OrderLookup::NotYours) | Err(crate::commerce::CommerceError::NotFound) => {
                state.lookup_failures += 1;
                state.contact = None;
                state.pending = Some(Pending { skill: cx.skill.to_owned(), order_number: None });
                if state.lookup_failures >= MAX_LOOKUP_FAILURES {
                    let detail =
                        format!("order {number} was not found for the customer {} times", state.lookup_failures);
                    return Step::handoff(HandoffReason::SkillFailure, detail);
                }
                return cx.reply("not_found", &json!({ "order_number": number }));
            }
            Err(e) => return commerce_down(&e),
        },
    };
    state.pending = None;
    state.lookup_failures = 0;
    if !topic.orders.contains(&order.number) {
        topic.orders = vec![order.number.clone()];
    }
    let view = order_view(&order, cx.locale);
    if let Some(name) = facet(cx, action, &order, state) {
        let cancelled = order.status == OrderStatus::Cancelled || state.cancelled.contains(&order.number);
        return cx.reply(name, &json!({ "order": view, "customer": cx.turn.customer, "cancelled": cancelled }));
    }
    let name = match (action, order.status) {
        (Action::OrderCancellation, OrderStatus::Cancelled) => "already_cancelled",
        (Action::OrderCancellation, _) if state.cancelled.contains(&order.number) => "already_cancelled",
        (Action::OrderCancellation, _) if order.cancellable => {
            state.confirm = Some(Confirmation::CancelOrder { skill: cx.skill.to_owned(), order: order.number.clone() });
            "can_cancel"
        }
        (Action::OrderCancellation, _) => "cannot_cancel",
        (_, OrderStatus::Preparing) => "preparing",
        (_, OrderStatus::Shipped) => "shipped",
        (_, OrderStatus::OutForDelivery) => "out_for_delivery",
        (_, OrderStatus::Delivered) => "delivered",
        (_, OrderStatus::Cancelled) => "cancelled",
    };
    cx.reply(name, &json!({ "order": view, "customer": cx.turn.customer }))
}

/// The reply for what the customer asked of the order besides where it is ("얼마 냈어요?", "what's
/// in it?", "도착 예정일은요?", "링크 있어요?"), when the skill has one and the order has the answer.
/// A request to cancel an order that can still be cancelled is asked to confirm first, whatever
/// else it asks.
fn facet(cx: &Cx<'_>, action: Action, order: &Order, state: &ConversationState) -> Option<&'static str> {
    let cancelling = action == Action::OrderCancellation
        && order.cancellable
        && order.status != OrderStatus::Cancelled
        && !state.cancelled.contains(&order.number);
    if cancelling {
        return None;
    }
    let shipment = order.shipment.as_ref();
    let on_its_way = matches!(order.status, OrderStatus::Shipped | OrderStatus::OutForDelivery);
    let name = match cx.agent.cues.order_facet(cx.text)? {
        OrderFacet::Total => "total",
        OrderFacet::Items => "items",
        OrderFacet::Arrival if on_its_way && shipment.is_some_and(|s| s.estimated_delivery.is_some()) => "arrival",
        OrderFacet::Link if on_its_way && shipment.is_some() => "link",
        OrderFacet::Arrival | OrderFacet::Link => return None,
    };
    cx.agent.replies.has(cx.skill, name, cx.locale).then_some(name)
}

/// Who the channel says the customer is (the brand's page, the texting number).
fn known_customer(turn: &Turn<'_>) -> Option<CustomerKey> {
    turn.customer
        .email
        .as_deref()
        .and_then(CustomerKey::parse)
        .or_else(|| turn.customer.phone.as_deref().and_then(CustomerKey::parse))
}

/// The customer's orders, most recent first: which one do they mean?
fn list(cx: &Cx<'_>, action: Action, orders: Vec<Order>, state: &mut ConversationState, topic: &mut Topic) -> Step {
    let shown: Vec<&Order> = orders
        .iter()
        .filter(|o| action != Action::OrderCancellation || o.cancellable || cx.agent.cues.lists_orders(cx.text))
        .take(LISTED)
        .collect();
    let shown = if shown.is_empty() { orders.iter().take(LISTED).collect() } else { shown };
    topic.orders = shown.iter().map(|o| o.number.clone()).collect();
    state.pending = Some(Pending { skill: cx.skill.to_owned(), order_number: None });
    let views: Vec<serde_json::Value> = shown.iter().map(|o| order_view(o, cx.locale)).collect();
    let data =
        json!({ "orders": views, "customer": cx.turn.customer, "cancelling": action == Action::OrderCancellation });
    if cx.agent.replies.has(cx.skill, "list", cx.locale) {
        return cx.reply("list", &data);
    }
    let lines: Vec<String> = views
        .iter()
        .map(|v| {
            format!(
                "- {} {} ({})",
                v["number"].as_str().unwrap_or(""),
                v["items"].as_str().unwrap_or(""),
                v["status"].as_str().unwrap_or("")
            )
        })
        .collect();
    let lead = match cx.locale {
        Locale::Ko => "최근 주문 내역이에요. 어떤 주문인지 알려 주세요.",
        Locale::En => "Here are your recent orders. Which one do you mean?",
    };
    Step::reply(format!("{lead}\n{}", lines.join("\n")))
}

/// The order whose items the text names ("머플러 산 거", "the candle one"), when one stands out.
fn described(text: &str, orders: &[Order]) -> Option<usize> {
    let terms: Vec<String> =
        crate::commerce::search::query_terms(text).into_iter().filter(|t| t.chars().count() >= 2).collect();
    let hits = |order: &Order| {
        let names: String =
            order.items.iter().map(|i| format!("{} {}", i.name_ko, i.name_en)).collect::<Vec<_>>().join(" ");
        terms.iter().filter(|t| super::names::names_word(&names, t)).count()
    };
    let scored: Vec<usize> = orders.iter().map(hits).collect();
    let best = *scored.iter().max()?;
    (best > 0 && scored.iter().filter(|&&s| s == best).count() == 1).then(|| scored.iter().position(|&s| s == best))?
}

/// An order as reply templates see it, in the reply's language.
pub(super) fn order_view(order: &Order, locale: Locale) -> serde_json::Value {
    let ko = locale == Locale::Ko;
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
        "item_list": names.join(", "),
        "total": order.total.display(),
        "cancellable": order.cancellable,
        "carrier": shipment.map(|s| s.carrier.clone()),
        "tracking_number": shipment.map(|s| s.tracking_number.clone()),
        "tracking_url": shipment.and_then(|s| s.tracking_url.clone()),
        "estimated_delivery": shipment.and_then(|s| s.estimated_delivery).map(|d| d.to_string()),
    })
}

/// The customer's answer to a yes-or-no question the agent asked; `None` when the message is
/// not one (the question is then dropped and the message understood as any other).
pub(super) async fn confirmed(
    agent: &Agent,
    turn: &Turn<'_>,
    locale: Locale,
    state: &mut ConversationState,
    trace: &mut Trace,
) -> Option<Step> {
    let answer = agent.cues.yes_no(turn.text);
    let short = turn.text.split_whitespace().count() <= 6 && extract::order_number(turn.text).is_none();
    let Some(confirmation) = state.confirm.take() else {
        // "네" once more after the order was cancelled: it is, and stays, cancelled once.
        let again = answer == Some(YesNo::Yes) && short;
        let topic = state.topic.as_ref()?;
        let last = state.cancelled.last()?;
        if again && topic.orders.first() == Some(last) {
            let cx = Cx { agent, turn, skill: &topic.skill.clone(), text: turn.text, locale };
            let order = json!({ "number": last });
            return Some(cx.reply("already_cancelled", &json!({ "order": order, "customer": turn.customer })));
        }
        return None;
    };
    let (skill, number) = match confirmation {
        Confirmation::CancelOrder { skill, order } => (skill, order),
        Confirmation::Person { detail } => {
            return match answer {
                Some(YesNo::Yes) => Some(Step::handoff(HandoffReason::Frustration, detail)),
                Some(YesNo::No) if short => Some(Step::reply(match locale {
                    Locale::Ko => "알겠습니다. 제가 계속 도와드릴게요. 궁금하신 점을 말씀해 주세요.".to_owned(),
                    Locale::En => "All right, I'll keep helping. What would you like to know?".to_owned(),
                })),
                // On to something else: the agent goes on.
                _ => None,
            };
        }
    };
    let cx = Cx { agent, turn, skill: &skill, text: turn.text, locale };
    match answer {
        Some(YesNo::No) => Some(cx.reply_or("kept", &json!({ "order": { "number": number } }), kept(locale, &number))),
        Some(YesNo::Yes) => {
            let Some(key) = known_customer(turn).or_else(|| state.contact.as_deref().and_then(CustomerKey::parse))
            else {
                return Some(Step::handoff(
                    HandoffReason::SkillFailure,
                    "the customer confirmed a cancellation but is no longer known",
                ));
            };
            let data = |order: &Order| json!({ "order": order_view(order, locale), "customer": turn.customer });
            Some(match lookup(|| agent.commerce.cancel_order(&number, &key)).await {
                Ok(Cancellation::Cancelled(order)) => {
                    state.cancelled.push(order.number.clone());
                    trace.actions.push(Performed::OrderCancelled { order: order.number.clone() });
                    trace.skill = Some(skill.clone());
                    state.last_skill = Some(skill.clone());
                    state.topic = Some(Topic {
                        skill: skill.clone(),
                        question: turn.text.to_owned(),
                        orders: vec![order.number.clone()],
                        ..Topic::default()
                    });
                    let fallback = cancelled_now(locale, &order);
                    cx.reply_or("cancelled_now", &data(&order), fallback)
                }
                Ok(Cancellation::AlreadyCancelled(order)) => cx.reply("already_cancelled", &data(&order)),
                Ok(Cancellation::TooLate(order)) => cx.reply("cannot_cancel", &data(&order)),
                Ok(Cancellation::NotYours) | Err(crate::commerce::CommerceError::NotFound) => {
                    cx.reply("not_found", &json!({ "order_number": number }))
                }
                Err(e) => commerce_down(&e),
            })
        }
        _ => None,
    }
}

fn kept(locale: Locale, number: &str) -> String {
    match locale {
        Locale::Ko => format!("알겠습니다. 주문 {number}번은 취소하지 않고 그대로 둘게요."),
        Locale::En => format!("All right, order {number} stays as it is."),
    }
}

fn cancelled_now(locale: Locale, order: &Order) -> String {
    match locale {
        Locale::Ko => format!(
            "주문 {}번을 취소했어요. 결제 금액 {}은 결제 수단에 따라 3~5영업일 안에 환불됩니다.",
            order.number,
            order.total.display()
        ),
        Locale::En => format!(
            "Order {} is cancelled. The {} will be refunded to your payment method within 3 to 5 business days.",
            order.number,
            order.total.display()
        ),
    }
}
