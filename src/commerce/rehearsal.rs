//! A shop for rehearsals: the preview panel and `sangdam simulate` run the agent's one path, but a
//! cancellation there must not cancel a real order. [`Rehearsal`] reads through to the real shop
//! and keeps cancellations to itself: the orders it was told to cancel read as cancelled, for the
//! rest of the rehearsed conversation, and the shop is never written to.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::model::{Order, OrderLookup, OrderStatus, Product};
use super::{Cancellation, Commerce, CommerceError, CustomerKey, order_number};

/// The real shop, with cancellations kept apart.
pub struct Rehearsal {
    shop: Arc<dyn Commerce>,
    cancelled: Mutex<BTreeSet<String>>,
}

impl Rehearsal {
    /// A rehearsal over `shop` in which the orders `cancelled` (by number) were cancelled before.
    pub fn new(shop: Arc<dyn Commerce>, cancelled: impl IntoIterator<Item = String>) -> Self {
        Self { shop, cancelled: Mutex::new(cancelled.into_iter().map(|n| n.to_lowercase()).collect()) }
    }

    fn was_cancelled(&self, number: &str) -> bool {
        self.cancelled.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&number.to_lowercase())
    }

    fn overlay(&self, mut order: Order) -> Order {
        if self.was_cancelled(&order.number) {
            order.status = OrderStatus::Cancelled;
            order.cancellable = false;
        }
        order
    }
}

#[async_trait]
impl Commerce for Rehearsal {
    async fn order(&self, number: &str, who: &CustomerKey) -> Result<OrderLookup, CommerceError> {
        Ok(match self.shop.order(number, who).await? {
            OrderLookup::Found(order) => OrderLookup::Found(self.overlay(order)),
            other => other,
        })
    }

    async fn orders_for(&self, who: &CustomerKey, limit: usize) -> Result<Vec<Order>, CommerceError> {
        Ok(self.shop.orders_for(who, limit).await?.into_iter().map(|o| self.overlay(o)).collect())
    }

    async fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>, CommerceError> {
        self.shop.search_products(query, limit).await
    }

    async fn browse_products(&self, limit: usize) -> Result<Vec<Product>, CommerceError> {
        self.shop.browse_products(limit).await
    }

    async fn cancel_order(&self, number: &str, who: &CustomerKey) -> Result<Cancellation, CommerceError> {
        let number = order_number(number).ok_or(CommerceError::NotFound)?;
        let order = match self.order(&number, who).await? {
            OrderLookup::Found(order) => order,
            OrderLookup::NotYours => return Ok(Cancellation::NotYours),
        };
        Ok(if order.status == OrderStatus::Cancelled {
            Cancellation::AlreadyCancelled(order)
        } else if !order.cancellable {
            Cancellation::TooLate(order)
        } else {
            self.cancelled.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(number.to_lowercase());
            Cancellation::Cancelled(self.overlay(order))
        })
    }

    fn describe(&self) -> String {
        format!("{} (rehearsal: nothing is changed)", self.shop.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commerce::demo::DemoShop;

    #[tokio::test]
    async fn a_rehearsed_cancellation_leaves_the_shop_alone() {
        let shop: Arc<dyn Commerce> = Arc::new(DemoShop::embedded());
        let who = CustomerKey::parse("minsu.kim@example.com").expect("key");
        let rehearsal = Rehearsal::new(shop.clone(), []);
        assert!(matches!(rehearsal.cancel_order("1003", &who).await.expect("ok"), Cancellation::Cancelled(_)));
        assert!(matches!(rehearsal.cancel_order("1003", &who).await.expect("ok"), Cancellation::AlreadyCancelled(_)));
        let OrderLookup::Found(real) = shop.order("1003", &who).await.expect("ok") else { panic!("not found") };
        assert_ne!(real.status, OrderStatus::Cancelled, "the real shop is untouched");
        let again = Rehearsal::new(shop.clone(), ["1003".to_owned()]);
        assert!(matches!(again.cancel_order("1003", &who).await.expect("ok"), Cancellation::AlreadyCancelled(_)));
    }
}
