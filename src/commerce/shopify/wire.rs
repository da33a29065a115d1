//! Shopify's JSON, as far as we read it, and how it maps onto our orders and products.
//!
//! Only the fields we use are declared; everything else Shopify sends is ignored, and fields that
//! Shopify leaves out or sets to `null` read as absent, so a lean `fields=` answer or a store
//! without customers accounts still maps.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::commerce::CustomerKey;
use crate::commerce::model::{LineItem, Order, OrderStatus, Product, Shipment};
use crate::commerce::money::Money;

/// `GET orders.json` and `GET customers/{id}/orders.json`.
#[derive(Debug, Deserialize)]
pub(super) struct OrderList {
    pub orders: Vec<ShopifyOrder>,
}

/// `POST orders/{id}/cancel.json`: the order as it is after.
#[derive(Debug, Deserialize)]
pub(super) struct OrderAnswer {
    pub order: ShopifyOrder,
}

/// `GET customers/search.json`.
#[derive(Debug, Deserialize)]
pub(super) struct CustomerList {
    pub customers: Vec<ShopifyCustomer>,
}

/// `GET products.json`.
#[derive(Debug, Deserialize)]
pub(super) struct ProductList {
    pub products: Vec<ShopifyProduct>,
}

/// `GET shop.json`.
#[derive(Debug, Deserialize)]
pub(super) struct ShopAnswer {
    pub shop: ShopInfo,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopInfo {
    /// The shop's currency, in which product prices are written.
    pub currency: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyOrder {
    pub id: u64,
    /// `"#1001"`; shops may change the prefix and add a suffix.
    pub name: String,
    pub order_number: Option<u64>,
    pub email: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub processed_at: Option<DateTime<Utc>>,
    /// Only whether it is set matters.
    pub cancelled_at: Option<String>,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub currency: Option<String>,
    pub total_price: Option<String>,
    #[serde(default)]
    pub line_items: Vec<ShopifyLineItem>,
    #[serde(default)]
    pub fulfillments: Vec<ShopifyFulfillment>,
    pub customer: Option<ShopifyCustomer>,
    pub billing_address: Option<ShopifyAddress>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyLineItem {
    /// Product and variant: `"Hydrating Cream - 50ml"`.
    pub name: Option<String>,
    pub title: Option<String>,
    pub quantity: u32,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyFulfillment {
    /// `pending`, `open`, `success`, `cancelled`, `error`, `failure`.
    pub status: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub tracking_company: Option<String>,
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub tracking_numbers: Vec<String>,
    pub tracking_url: Option<String>,
    #[serde(default)]
    pub tracking_urls: Vec<String>,
    /// The carrier's latest word: `label_printed`, `confirmed`, `in_transit`, `out_for_delivery`,
    /// `attempted_delivery`, `delivered`, `failure`, …
    pub shipment_status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyCustomer {
    pub id: u64,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyAddress {
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyProduct {
    pub id: u64,
    pub title: String,
    pub handle: Option<String>,
    pub product_type: Option<String>,
    /// Comma-separated: `"gift, winter, 선물"`.
    pub tags: Option<String>,
    #[serde(default)]
    pub variants: Vec<ShopifyVariant>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ShopifyVariant {
    pub price: Option<String>,
    pub inventory_quantity: Option<i64>,
    /// `"shopify"` when Shopify counts stock, `null` when nobody does.
    pub inventory_management: Option<String>,
    /// `"continue"` lets customers buy when the count is zero.
    pub inventory_policy: Option<String>,
}

impl ShopifyOrder {
    /// Whether this is the order customers call `number` (`"1001"`): its name without `#`, or its
    /// order number. Shopify's `name` filter is not guaranteed to be exact, so we check.
    pub fn is_number(&self, number: &str) -> bool {
        let name = self.name.trim();
        name.strip_prefix('#').unwrap_or(name).eq_ignore_ascii_case(number)
            || self.order_number.is_some_and(|n| n.to_string() == number)
    }

    /// Whether the order belongs to `who`: the order's contact email or phone, its customer's, or
    /// the billing phone. The shipping address is left out on purpose: the recipient of a gift is
    /// not the customer.
    pub fn belongs_to(&self, who: &CustomerKey) -> bool {
        let customer = self.customer.as_ref();
        let emails = [self.email.as_deref(), self.contact_email.as_deref(), customer.and_then(|c| c.email.as_deref())];
        let phones = [
            self.phone.as_deref(),
            customer.and_then(|c| c.phone.as_deref()),
            self.billing_address.as_ref().and_then(|a| a.phone.as_deref()),
        ];
        who.matches_any(emails, phones)
    }

    /// When the order was placed.
    pub fn placed_at(&self) -> Option<DateTime<Utc>> {
        self.processed_at.or(self.created_at)
    }

    /// Fulfillments still standing (not cancelled and not failed).
    fn active_fulfillments(&self) -> impl Iterator<Item = &ShopifyFulfillment> {
        self.fulfillments.iter().filter(|f| !matches!(f.status.as_deref(), Some("cancelled" | "error" | "failure")))
    }

    /// Cancelled wins; then the parcels: a partly fulfilled order is "shipped" until everything
    /// has gone, and with several parcels the least advanced one speaks for the order. An order
    /// marked fulfilled without fulfillment records still counts as shipped.
    pub fn status(&self) -> OrderStatus {
        if self.cancelled_at.as_deref().is_some_and(|at| !at.is_empty()) {
            return OrderStatus::Cancelled;
        }
        let parcels = self.active_fulfillments().map(|f| match f.shipment_status.as_deref() {
            Some("delivered") => OrderStatus::Delivered,
            Some("out_for_delivery") => OrderStatus::OutForDelivery,
            _ => OrderStatus::Shipped,
        });
        let least_advanced = parcels.min_by_key(|status| match status {
            OrderStatus::Shipped => 0,
            OrderStatus::OutForDelivery => 1,
            _ => 2,
        });
        match (least_advanced, self.fulfillment_status.as_deref()) {
            (Some(_), Some("partial")) => OrderStatus::Shipped,
            (Some(status), _) => status,
            (None, Some("fulfilled" | "partial")) => OrderStatus::Shipped,
            (None, _) => OrderStatus::Preparing,
        }
    }

    /// The most recent parcel with a tracking number.
    fn shipment(&self) -> Option<Shipment> {
        let parcel =
            self.active_fulfillments().filter(|f| tracking_number(f).is_some()).max_by_key(|f| f.created_at)?;
        Some(Shipment {
            carrier: parcel.tracking_company.clone().unwrap_or_default(),
            tracking_number: tracking_number(parcel)?.to_owned(),
            tracking_url: parcel.tracking_url.clone().or_else(|| parcel.tracking_urls.first().cloned()),
            // The REST order carries no delivery estimate; it lives on fulfillment events.
            estimated_delivery: None,
        })
    }

    /// Our order, or what is missing from Shopify's.
    pub fn into_order(self) -> Result<Order, String> {
        let name = self.name.trim();
        let number = name.strip_prefix('#').unwrap_or(name).to_owned();
        let placed_at = self.placed_at().ok_or_else(|| format!("order {name} has no date"))?;
        let currency = self.currency.as_deref().ok_or_else(|| format!("order {name} has no currency"))?;
        let total = Money::parse(self.total_price.as_deref().unwrap_or_default(), currency)
            .map_err(|e| format!("order {name}: total_price: {e}"))?;
        let status = self.status();
        let refunded = matches!(self.financial_status.as_deref(), Some("refunded" | "partially_refunded" | "voided"));
        let items = self
            .line_items
            .iter()
            .map(|item| {
                let name = item.name.clone().or_else(|| item.title.clone()).unwrap_or_default();
                LineItem { name_ko: name.clone(), name_en: name, quantity: item.quantity }
            })
            .collect();
        Ok(Order {
            number,
            status,
            placed_at,
            items,
            total,
            shipment: self.shipment(),
            cancellable: status == OrderStatus::Preparing && !refunded,
        })
    }
}

fn tracking_number(fulfillment: &ShopifyFulfillment) -> Option<&str> {
    fulfillment
        .tracking_number
        .as_deref()
        .or_else(|| fulfillment.tracking_numbers.first().map(String::as_str))
        .filter(|n| !n.trim().is_empty())
}

impl ShopifyProduct {
    /// Our product, priced in the shop's currency, linked under the shop's address.
    pub fn into_product(self, currency: &str, shop_url: &str) -> Result<Product, String> {
        let prices: Vec<Money> = self
            .variants
            .iter()
            .filter_map(|v| v.price.as_deref())
            .map(|price| Money::parse(price, currency))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("product {}: price: {e}", self.id))?;
        let price = prices
            .into_iter()
            .min_by_key(Money::minor_units)
            .ok_or_else(|| format!("product {} has no priced variant", self.id))?;
        let in_stock = self.variants.iter().any(|v| {
            v.inventory_management.is_none()
                || v.inventory_policy.as_deref() == Some("continue")
                || v.inventory_quantity.is_some_and(|q| q > 0)
        });
        let mut tags: Vec<String> = self
            .tags
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(kind) = self.product_type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            tags.push(kind.to_owned());
        }
        let url = self.handle.as_deref().map(|handle| format!("{}/products/{handle}", shop_url.trim_end_matches('/')));
        Ok(Product {
            id: self.id.to_string(),
            name_ko: self.title.clone(),
            name_en: self.title,
            price,
            url,
            tags,
            in_stock,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(fulfillment_status: Option<&str>, fulfillments: serde_json::Value) -> ShopifyOrder {
        serde_json::from_value(json!({
            "id": 1, "name": "#1001", "order_number": 1001, "email": "a@example.com",
            "created_at": "2026-11-17T14:20:00+09:00", "cancelled_at": null, "currency": "KRW",
            "total_price": "57000.00", "financial_status": "paid", "fulfillment_status": fulfillment_status,
            "line_items": [{"name": "Lip Balm", "quantity": 2}], "fulfillments": fulfillments,
        }))
        .expect("order JSON")
    }

    fn parcel(status: &str, shipment_status: Option<&str>, number: &str, at: &str) -> serde_json::Value {
        json!({"status": status, "shipment_status": shipment_status, "tracking_company": "CJ대한통운",
               "tracking_number": number, "tracking_numbers": [number], "created_at": at})
    }

    #[test]
    fn statuses_from_fulfillments() {
        let at = "2026-11-18T09:00:00+09:00";
        assert_eq!(order(None, json!([])).status(), OrderStatus::Preparing);
        assert_eq!(order(Some("fulfilled"), json!([])).status(), OrderStatus::Shipped);
        for (shipment_status, expected) in [
            (None, OrderStatus::Shipped),
            (Some("in_transit"), OrderStatus::Shipped),
            (Some("confirmed"), OrderStatus::Shipped),
            (Some("out_for_delivery"), OrderStatus::OutForDelivery),
            (Some("delivered"), OrderStatus::Delivered),
        ] {
            let order = order(Some("fulfilled"), json!([parcel("success", shipment_status, "1", at)]));
            assert_eq!(order.status(), expected, "{shipment_status:?}");
        }
        let two =
            json!([parcel("success", Some("delivered"), "1", at), parcel("success", Some("in_transit"), "2", at)]);
        assert_eq!(order(Some("fulfilled"), two).status(), OrderStatus::Shipped);
        let partly = json!([parcel("success", Some("delivered"), "1", at)]);
        assert_eq!(order(Some("partial"), partly).status(), OrderStatus::Shipped);
        let withdrawn = json!([parcel("cancelled", Some("delivered"), "1", at)]);
        assert_eq!(order(None, withdrawn).status(), OrderStatus::Preparing);

        let mut cancelled = order(None, json!([]));
        cancelled.cancelled_at = Some("2026-11-18T10:00:00+09:00".into());
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    }

    #[test]
    fn the_latest_tracked_parcel_is_the_shipment() {
        let parcels = json!([
            parcel("success", Some("delivered"), "111", "2026-11-18T09:00:00+09:00"),
            parcel("success", Some("in_transit"), "222", "2026-11-19T09:00:00+09:00"),
            parcel("cancelled", None, "333", "2026-11-20T09:00:00+09:00"),
        ]);
        let mapped = order(Some("fulfilled"), parcels).into_order().expect("maps");
        let shipment = mapped.shipment.expect("tracked");
        assert_eq!((shipment.carrier.as_str(), shipment.tracking_number.as_str()), ("CJ대한통운", "222"));
        assert_eq!(mapped.placed_at.to_rfc3339(), "2026-11-17T05:20:00+00:00");
        assert_eq!(mapped.total.display(), "₩57,000");
        assert!(!mapped.cancellable);
        assert!(order(None, json!([])).into_order().expect("maps").cancellable);
    }

    #[test]
    fn products_take_the_lowest_price_and_any_stock() {
        let product: ShopifyProduct = serde_json::from_value(json!({
            "id": 632910392, "title": "Wool Knit Gloves", "handle": "knit-gloves", "product_type": "Accessories",
            "tags": "gift, winter,  선물 ,", "variants": [
                {"price": "29000.00", "inventory_quantity": 0, "inventory_management": "shopify",
                 "inventory_policy": "deny"},
                {"price": "25000.00", "inventory_quantity": 0, "inventory_management": "shopify",
                 "inventory_policy": "continue"},
            ],
        }))
        .expect("product JSON");
        let mapped = product.into_product("KRW", "https://brand.myshopify.com/").expect("maps");
        assert_eq!(mapped.price.display(), "₩25,000");
        assert_eq!(mapped.tags, ["gift", "winter", "선물", "Accessories"]);
        assert_eq!(mapped.url.as_deref(), Some("https://brand.myshopify.com/products/knit-gloves"));
        assert!(mapped.in_stock, "the second variant may be sold at zero");
    }
}
