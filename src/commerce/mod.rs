//! Orders and products for the order and product skills, behind one trait.
//!
//! Two implementations ship: [`demo::DemoShop`], an embedded shop read from a JSON file so a fresh
//! install can answer "where is order 1001" with no outside service, and
//! [`shopify::ShopifyCommerce`], an adapter for a real store through the Shopify Admin REST API.
//!
//! Everything here is privacy-first: an order is only ever returned to, or cancelled for, the
//! customer it belongs to, matched on an email address or a phone number ([`CustomerKey`]). When
//! the order exists but belongs to somebody else the answer is [`OrderLookup::NotYours`] (or
//! [`Cancellation::NotYours`]), which callers must word exactly like "not found" to the customer,
//! so that guessing order numbers reveals nothing. Cancelling is the one write: the agent calls it
//! only after the customer confirmed, and calling it again on a cancelled order changes nothing.
//!
//! The data types serialize with snake_case field names because reply templates (handlebars)
//! render them directly: `{{order.number}}`, `{{order.status_label.ko}}`,
//! `{{order.shipment.tracking_number}}`, `{{product.price.display}}`.

pub mod customer;
pub mod demo;
pub mod model;
pub mod money;
pub mod rehearsal;
pub mod search;
pub mod shopify;

use std::time::Duration;

use async_trait::async_trait;

pub use customer::CustomerKey;
pub use model::{LineItem, Order, OrderLookup, OrderStatus, Product, Shipment, StatusLabel};
pub use money::{Money, MoneyError};

/// Where orders and products come from: the demo shop or a real store.
#[async_trait]
pub trait Commerce: Send + Sync {
    /// The order with this number (`"1001"`; `"#1001"` is accepted too), if it belongs to the
    /// customer `who` identifies.
    ///
    /// Emails compare case-insensitively; phones compare on their digits, tolerating a country
    /// code (`010-1234-5678` is `+82 10-1234-5678`). `Err(CommerceError::NotFound)` when there is
    /// no such order, `Ok(OrderLookup::NotYours)` when it exists but does not match `who`: callers
    /// must never reveal another customer's order, nor that it exists.
    async fn order(&self, number: &str, who: &CustomerKey) -> Result<OrderLookup, CommerceError>;

    /// The customer's recent orders, most recent first, at most `limit`.
    async fn orders_for(&self, who: &CustomerKey, limit: usize) -> Result<Vec<Order>, CommerceError>;

    /// Products matching a free-text query in Korean or English (name, tags, category), best
    /// first, at most `limit`; no match is an empty list.
    async fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>, CommerceError>;

    /// Products to browse when a search names no product ("a gift under 20,000 won"): the
    /// catalogue, or its first page for a large store, at most `limit`.
    async fn browse_products(&self, limit: usize) -> Result<Vec<Product>, CommerceError>;

    /// Cancels the order with this number if it belongs to `who` and has not shipped.
    /// `Err(CommerceError::NotFound)` when there is no such order; an order already cancelled is
    /// [`Cancellation::AlreadyCancelled`] and nothing is changed.
    async fn cancel_order(&self, number: &str, who: &CustomerKey) -> Result<Cancellation, CommerceError>;

    /// A short name for operators: `"demo shop"`, `"Shopify (brand.myshopify.com)"`.
    fn describe(&self) -> String;
}

/// What asking the shop to cancel an order came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Cancellation {
    /// Cancelled now; the order as it is after.
    Cancelled(Order),
    /// It was cancelled before; nothing changed.
    AlreadyCancelled(Order),
    /// It can no longer be cancelled (it has shipped).
    TooLate(Order),
    /// It exists but is somebody else's: tell the customer exactly what "not found" tells.
    NotYours,
}

/// Why a commerce call failed.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// No such order, or the store answered 404.
    #[error("not found")]
    NotFound,
    /// The store refused our credentials or their scopes, or the store itself is closed to us.
    #[error("the store refused access: {0}")]
    Unauthorized(String),
    /// The store asked us to slow down, and for how long when it said.
    #[error("the store is rate limiting us{}", retry_after_suffix(*.retry_after))]
    RateLimited {
        /// The store's Retry-After, when sent.
        retry_after: Option<Duration>,
    },
    /// The store did not answer in time.
    #[error("the store did not answer in time")]
    Timeout,
    /// The store could not be reached or failed on its side (5xx).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The store answered with something we cannot use: an unexpected status or an unreadable body.
    #[error("unusable answer from the store: {0}")]
    BadResponse(String),
}

fn retry_after_suffix(retry_after: Option<Duration>) -> String {
    retry_after.map(|wait| format!(" (retry after {:.1}s)", wait.as_secs_f64())).unwrap_or_default()
}

impl CommerceError {
    /// Whether asking again later may succeed: rate limits, timeouts and an unavailable store.
    ///
    /// The adapters never retry by themselves; the caller decides how often and how long to wait
    /// (see [`CommerceError::retry_after`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CommerceError::RateLimited { .. } | CommerceError::Timeout | CommerceError::Unavailable(_))
    }

    /// How long the store asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CommerceError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// An order number as customers type it, reduced to the shop's number: `" #1001 "` is `"1001"`.
///
/// `None` for anything that cannot be an order number (empty, spaces inside, punctuation), which
/// callers treat as "no such order" without asking the store.
pub fn order_number(input: &str) -> Option<String> {
    let number = input.trim();
    let number = number.strip_prefix('#').unwrap_or(number).trim_start();
    let valid = !number.is_empty()
        && number.len() <= 32
        && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| number.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_as_customers_type_them() {
        assert_eq!(order_number("1001").as_deref(), Some("1001"));
        assert_eq!(order_number(" #1001 ").as_deref(), Some("1001"));
        assert_eq!(order_number("# 1001").as_deref(), Some("1001"));
        assert_eq!(order_number("KR-1001").as_deref(), Some("KR-1001"));
        assert_eq!(order_number(""), None);
        assert_eq!(order_number("#"), None);
        assert_eq!(order_number("10 01"), None);
        assert_eq!(order_number("1001&status=any"), None);
        assert_eq!(order_number(&"1".repeat(33)), None);
    }

    #[test]
    fn retryable_kinds_and_waits() {
        let limited = CommerceError::RateLimited { retry_after: Some(Duration::from_millis(2500)) };
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), Some(Duration::from_millis(2500)));
        assert_eq!(limited.to_string(), "the store is rate limiting us (retry after 2.5s)");
        assert!(CommerceError::Timeout.is_retryable());
        assert!(CommerceError::Unavailable("503".into()).is_retryable());
        assert!(!CommerceError::NotFound.is_retryable());
        assert!(!CommerceError::Unauthorized("bad token".into()).is_retryable());
        assert!(!CommerceError::BadResponse("junk".into()).is_retryable());
        assert_eq!(CommerceError::Timeout.retry_after(), None);
    }
}
