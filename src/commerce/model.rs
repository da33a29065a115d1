//! Orders and products as the skills see them, whichever store they come from.
//!
//! These are what reply templates render, so field names are chosen to read well in a template
//! (`order.shipment.tracking_number`), and values that need formatting come pre-formatted
//! (`order.total.display`, `order.status_label.ko`).

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::money::Money;

/// The answer to "is this order theirs?".
// Returned once per lookup and never collected, so the size of `Found` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum OrderLookup {
    /// The order, which belongs to the customer who asked.
    Found(Order),
    /// The order exists but belongs to somebody else. Tell the customer exactly what you would
    /// tell them for an unknown number.
    NotYours,
}

/// One order, as far as a customer may be told about it.
///
/// Serialized with one extra field, `status_label` (`{"ko": "배송 중", "en": "Shipped"}`), derived
/// from `status` so templates need no lookup table.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(transform = add_status_label)]
pub struct Order {
    /// The order number customers know, without `#`: `"1001"`.
    pub number: String,
    /// Where the order is.
    pub status: OrderStatus,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// What was ordered.
    pub items: Vec<LineItem>,
    /// What the customer paid, or will pay.
    pub total: Money,
    /// The parcel, once one has been handed to a carrier.
    pub shipment: Option<Shipment>,
    /// Whether the order can still be cancelled without talking to the shop: nothing has shipped
    /// and it has not been cancelled or refunded.
    pub cancellable: bool,
}

impl Serialize for Order {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut order = serializer.serialize_struct("Order", 8)?;
        order.serialize_field("number", &self.number)?;
        order.serialize_field("status", &self.status)?;
        order.serialize_field("status_label", &self.status.label())?;
        order.serialize_field("placed_at", &self.placed_at)?;
        order.serialize_field("items", &self.items)?;
        order.serialize_field("total", &self.total)?;
        order.serialize_field("shipment", &self.shipment)?;
        order.serialize_field("cancellable", &self.cancellable)?;
        order.end()
    }
}

/// Declares the derived `status_label` in the schema, next to `status`.
fn add_status_label(schema: &mut schemars::Schema) {
    let label = serde_json::json!({
        "description": "`status` in words, in Korean and English.",
        "type": "object",
        "properties": {"ko": {"type": "string"}, "en": {"type": "string"}},
        "required": ["ko", "en"],
    });
    let Some(schema) = schema.as_object_mut() else { return };
    if let Some(properties) = schema.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
        properties.insert("status_label".to_owned(), label);
    }
    if let Some(required) = schema.get_mut("required").and_then(serde_json::Value::as_array_mut) {
        required.push("status_label".into());
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// The item's name in Korean; a store with names in one language puts that name here too.
    pub name_ko: String,
    /// The item's name in English; a store with names in one language puts that name here too.
    pub name_en: String,
    /// How many.
    pub quantity: u32,
}

/// Where an order is, as a customer would put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Paid or awaiting payment, not yet handed to a carrier.
    Preparing,
    /// With the carrier, on its way.
    Shipped,
    /// On the delivery vehicle today.
    OutForDelivery,
    /// Delivered.
    Delivered,
    /// Cancelled.
    Cancelled,
}

/// A status in words, in both languages the product speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatusLabel {
    /// Korean.
    pub ko: &'static str,
    /// English.
    pub en: &'static str,
}

impl OrderStatus {
    /// Every status, in the order an order moves through them (cancelled last).
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Preparing,
        OrderStatus::Shipped,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The status in Korean, as Korean shops word it.
    pub fn label_ko(self) -> &'static str {
        match self {
            OrderStatus::Preparing => "상품 준비 중",
            OrderStatus::Shipped => "배송 중",
            OrderStatus::OutForDelivery => "배송 출발",
            OrderStatus::Delivered => "배송 완료",
            OrderStatus::Cancelled => "주문 취소",
        }
    }

    /// The status in English.
    pub fn label_en(self) -> &'static str {
        match self {
            OrderStatus::Preparing => "Preparing",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::OutForDelivery => "Out for delivery",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    /// Both labels.
    pub fn label(self) -> StatusLabel {
        StatusLabel { ko: self.label_ko(), en: self.label_en() }
    }

    /// The manifest and JSON form: `"out_for_delivery"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Preparing => "preparing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::OutForDelivery => "out_for_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether a parcel is with a carrier (or was): shipped, out for delivery or delivered.
    pub fn has_shipped(self) -> bool {
        matches!(self, OrderStatus::Shipped | OrderStatus::OutForDelivery | OrderStatus::Delivered)
    }
}

/// A parcel with a carrier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// The carrier's name as the shop wrote it: `"CJ대한통운"`; empty when the shop did not say.
    pub carrier: String,
    /// The carrier's tracking number (운송장 번호).
    pub tracking_number: String,
    /// A page where the customer can follow the parcel, when known.
    pub tracking_url: Option<String>,
    /// When the carrier expects to deliver, when known.
    pub estimated_delivery: Option<NaiveDate>,
}

/// One product of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Product {
    /// The store's id for the product.
    pub id: String,
    /// The name in Korean; a store with names in one language puts that name here too.
    pub name_ko: String,
    /// The name in English; a store with names in one language puts that name here too.
    pub name_en: String,
    /// The price (the lowest, when variants differ).
    pub price: Money,
    /// The product page, when known.
    pub url: Option<String>,
    /// Search words in either language, including the category: `["선물", "gift", "겨울"]`.
    pub tags: Vec<String>,
    /// Whether it can be bought now.
    pub in_stock: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Order {
        Order {
            number: "1001".into(),
            status: OrderStatus::OutForDelivery,
            placed_at: DateTime::parse_from_rfc3339("2026-11-02T10:15:00+09:00").expect("date").with_timezone(&Utc),
            items: vec![LineItem { name_ko: "립밤".into(), name_en: "Lip Balm".into(), quantity: 2 }],
            total: Money::parse("18000", "KRW").expect("money"),
            shipment: Some(Shipment {
                carrier: "CJ대한통운".into(),
                tracking_number: "640123456789".into(),
                tracking_url: None,
                estimated_delivery: NaiveDate::from_ymd_opt(2026, 11, 4),
            }),
            cancellable: false,
        }
    }

    #[test]
    fn orders_serialize_for_templates() {
        let json = serde_json::to_value(order()).expect("serializes");
        assert_eq!(json["number"], "1001");
        assert_eq!(json["status"], "out_for_delivery");
        assert_eq!(json["status_label"], json!({"ko": "배송 출발", "en": "Out for delivery"}));
        assert_eq!(json["placed_at"], "2026-11-02T01:15:00Z");
        assert_eq!(json["items"][0], json!({"name_ko": "립밤", "name_en": "Lip Balm", "quantity": 2}));
        assert_eq!(json["total"]["display"], "₩18,000");
        assert_eq!(json["shipment"]["carrier"], "CJ대한통운");
        assert_eq!(json["shipment"]["tracking_url"], serde_json::Value::Null);
        assert_eq!(json["shipment"]["estimated_delivery"], "2026-11-04");
        assert_eq!(json["cancellable"], false);
    }

    #[test]
    fn the_schema_names_exactly_what_is_serialized() {
        let schema = serde_json::to_value(schemars::schema_for!(Order)).expect("schema");
        let mut declared: Vec<&String> = schema["properties"].as_object().expect("properties").keys().collect();
        let json = serde_json::to_value(order()).expect("serializes");
        let mut serialized: Vec<&String> = json.as_object().expect("object").keys().collect();
        declared.sort();
        serialized.sort();
        assert_eq!(declared, serialized);
        let required = schema["required"].as_array().expect("required");
        assert!(required.contains(&json!("status_label")), "{required:?}");
        assert!(schema["$defs"]["OrderStatus"].to_string().contains("\"out_for_delivery\""), "{schema}");
    }

    #[test]
    fn every_status_has_labels_and_its_json_name() {
        for status in OrderStatus::ALL {
            assert!(!status.label_ko().is_empty() && !status.label_en().is_empty());
            assert_eq!(serde_json::to_value(status).expect("serializes"), json!(status.as_str()));
        }
        let shipped: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.has_shipped()).collect();
        assert_eq!(shipped, [OrderStatus::Shipped, OrderStatus::OutForDelivery, OrderStatus::Delivered]);
    }
}
