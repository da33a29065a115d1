//! The product skill: products that fit what was asked, price range included, and questions
//! about a product just shown ("첫 번째 건 얼마예요?", "the one with the candle", "재고 있어요?").

use serde_json::json;

use super::names::shown_named;
use super::step::{Cx, Step, commerce_down, lookup};
use super::{ShownProduct, Topic, extract};
use crate::commerce::Product;

/// Products shown at once.
const SHOWN: usize = 3;
/// Matches read before the price range is applied.
const CANDIDATES: usize = 50;

/// Finds products, or answers about one shown; `false` when no product matched at all.
pub(super) async fn run(cx: &Cx<'_>, continued: Option<&Topic>, topic: &mut Topic) -> (Step, bool) {
    let shown = continued.map(|t| t.products.as_slice()).unwrap_or_default();
    if !shown.is_empty() {
        let pointed = cx
            .agent
            .cues
            .ordinal(cx.text)
            .and_then(|o| o.index(shown.len()))
            .or_else(|| {
                shown_named(cx.text, shown)
                    .filter(|_| cx.agent.cues.product_question(cx.text) || cx.agent.cues.follows_up(cx.text))
            })
            .or_else(|| (cx.agent.cues.product_question(cx.text) && !names_products(cx, cx.text)).then_some(0));
        if let Some(i) = pointed {
            topic.products = shown.to_vec();
            topic.budget = continued.and_then(|t| t.budget);
            return (about(cx, &shown[i]), true);
        }
    }
    let mut budget = extract::budget(cx.text).or_else(|| continued.and_then(|t| t.budget));
    let cheaper = cx.agent.cues.cheaper(cx.text);
    let others = cheaper || cx.agent.cues.others(cx.text);
    if cheaper && let Some(lowest) = shown.iter().filter_map(|p| price_of(&p.price)).reduce(f64::min) {
        budget = Some(extract::Budget { min: None, max: Some(lowest - 1.0) });
    }
    // A follow-up without product words of its own ("더 싼 건요?", "3만원 이하로는요?") searches what
    // was asked before.
    let mut query = cx.text.to_owned();
    if let Some(previous) = continued
        && (cheaper || others || crate::commerce::search::query_terms(&strip_budget(cx.text)).len() <= 1)
    {
        query = format!("{} {}", previous.question, cx.text);
    }
    if cx.agent.cues.gift(&query) {
        query.push_str(" 선물 gift");
    }
    let found = match lookup(|| cx.agent.commerce.search_products(&query, CANDIDATES)).await {
        Ok(found) => found,
        Err(e) => return (commerce_down(&e), true),
    };
    let unseen: Vec<Product> = found.into_iter().filter(|p| !others || !shown.iter().any(|s| s.id == p.id)).collect();
    let fitting: Vec<&Product> = unseen
        .iter()
        .filter(|p| budget.is_none_or(|b| p.price.amount().parse::<f64>().is_ok_and(|price| b.fits(price))))
        .take(SHOWN)
        .collect();
    topic.budget = budget;
    // A present within a budget, and nothing tagged for it fits: anything in the range will do,
    // gifts first ("집들이 선물 2만원 이하").
    let browsed: Vec<Product>;
    let fitting = if fitting.is_empty() && budget.is_some() && cx.agent.cues.gift(&query) {
        browsed = match lookup(|| cx.agent.commerce.browse_products(CANDIDATES)).await {
            Ok(all) => all,
            Err(e) => return (commerce_down(&e), true),
        };
        let mut fits: Vec<&Product> = browsed
            .iter()
            .filter(|p| !others || !shown.iter().any(|s| s.id == p.id))
            .filter(|p| budget.is_some_and(|b| p.price.amount().parse::<f64>().is_ok_and(|price| b.fits(price))))
            .collect();
        let giftlike = |p: &Product| p.tags.iter().any(|t| cx.agent.cues.gift(t));
        fits.sort_by_key(|p| (!p.in_stock, !giftlike(p)));
        fits.truncate(SHOWN);
        fits
    } else {
        fitting
    };
    if fitting.is_empty() {
        if budget.is_some() && !unseen.is_empty() && cx.agent.replies.has(cx.skill, "over_budget", cx.locale) {
            let cheapest = unseen.iter().min_by(|a, b| {
                let price = |p: &Product| p.price.amount().parse::<f64>().unwrap_or(f64::MAX);
                price(a).total_cmp(&price(b))
            });
            let nearest = cheapest.map(|p| view(cx, p));
            return (cx.reply("over_budget", &json!({ "query": cx.text, "nearest": nearest, "budget": budget })), true);
        }
        return (cx.reply("no_results", &json!({ "query": cx.text })), !unseen.is_empty());
    }
    topic.products = fitting.iter().map(|p| shown_product(p)).collect();
    let products: Vec<_> = fitting.iter().map(|p| view(cx, p)).collect();
    (cx.reply("results", &json!({ "products": products, "query": cx.text, "budget": budget })), true)
}

/// Whether the ask names products of its own ("do you have anything for chapped lips?"), beyond
/// the words of a question about one (`product_question` cues).
fn names_products(cx: &Cx<'_>, text: &str) -> bool {
    // Words that carry a topic (no "how", "is", "one"), beyond the question and the pointing.
    crate::knowledge::tokens(text)
        .iter()
        .any(|t| t.chars().count() >= 2 && !cx.agent.cues.product_question(t) && !cx.agent.cues.refers_back(t))
}

/// A product shown, asked about: its price, stock and page.
fn about(cx: &Cx<'_>, product: &ShownProduct) -> Step {
    let name = if cx.ko() { &product.name_ko } else { &product.name_en };
    let data = json!({ "product": { "name": name, "price": product.price, "url": product.url, "in_stock": product.in_stock } });
    if cx.agent.replies.has(cx.skill, "product", cx.locale) {
        return cx.reply("product", &data);
    }
    let stock = match (cx.ko(), product.in_stock) {
        (true, true) => "지금 주문하실 수 있어요.",
        (true, false) => "지금은 품절이에요.",
        (false, true) => "It's in stock.",
        (false, false) => "It's sold out at the moment.",
    };
    let link = product.url.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
    Step::reply(format!("{name}: {} {stock}{link}", product.price))
}

fn view(cx: &Cx<'_>, p: &Product) -> serde_json::Value {
    json!({
        "name": if cx.ko() { &p.name_ko } else { &p.name_en },
        "price": p.price.display(),
        "url": p.url,
        "in_stock": p.in_stock,
    })
}

fn shown_product(p: &Product) -> ShownProduct {
    ShownProduct {
        id: p.id.clone(),
        name_ko: p.name_ko.clone(),
        name_en: p.name_en.clone(),
        price: p.price.display().to_owned(),
        url: p.url.clone(),
        in_stock: p.in_stock,
    }
}

/// The amount of a displayed price (`₩39,000` is 39000).
fn price_of(display: &str) -> Option<f64> {
    let digits: String = display.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    digits.parse().ok()
}

/// The text without its price words, to tell whether it names products of its own.
fn strip_budget(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| {
            !w.chars().any(|c| c.is_ascii_digit())
                && !["이하", "이상", "under", "below", "over", "won", "원"].contains(w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}
