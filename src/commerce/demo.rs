//! The demo shop: orders and a catalogue from a JSON file, so a fresh install answers
//! "where is order 1001" and "recommend a winter gift" with no outside service.
//!
//! `examples/demo_shop.json` is compiled in ([`DemoShop::embedded`]), so the engine works from any
//! directory; an operator can point at their own file with [`DemoShop::from_file`]. A file is
//! checked whole at load time (order numbers, contact details, amounts, whether the status and the
//! shipment agree) and a bad one is refused with an error naming the file and the line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{LineItem, Order, OrderLookup, OrderStatus, Product, Shipment};
use super::money::Money;
use super::{Cancellation, Commerce, CommerceError, CustomerKey, order_number, search};

/// The demo data that ships with the engine.
const EMBEDDED: &str = include_str!("../../examples/demo_shop.json");
const EMBEDDED_NAME: &str = "examples/demo_shop.json (embedded)";

/// A shop held in memory. Cancelling an order changes it here, for as long as the process runs.
#[derive(Debug)]
pub struct DemoShop {
    orders: std::sync::RwLock<Vec<DemoOrder>>,
    products: Vec<Product>,
}

#[derive(Debug, Clone)]
struct DemoOrder {
    order: Order,
    email: String,
    phone: String,
}

/// A demo shop file that could not be loaded: the file, the line when known, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct DemoShopError {
    /// The offending file.
    pub path: PathBuf,
    /// 1-based line of the problem, when it can be told.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl DemoShop {
    /// The demo shop compiled into the binary. Parses and checks it each time: build once, share.
    pub fn embedded() -> Self {
        Self::parse(EMBEDDED, Path::new(EMBEDDED_NAME)).expect("the embedded demo shop is valid; a unit test loads it")
    }

    /// A shop read from a JSON file shaped like `examples/demo_shop.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, DemoShopError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DemoShopError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// A shop from JSON text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, DemoShopError> {
        let file: ShopFile = serde_json::from_str(text).map_err(|e| DemoShopError {
            path: path.to_owned(),
            line: Some(e.line()).filter(|line| *line > 0),
            message: e.to_string(),
        })?;
        let fail = |needle: Option<(&str, &str)>, message: String| DemoShopError {
            path: path.to_owned(),
            line: needle.and_then(|(key, value)| line_of(text, key, value)),
            message,
        };
        let mut numbers = HashSet::new();
        let mut orders = Vec::with_capacity(file.orders.len());
        for entry in file.orders {
            let at = Some(("number", entry.number.as_str()));
            let order =
                entry.build(&file.currency).map_err(|why| fail(at, format!("order {:?}: {why}", entry.number)))?;
            if !numbers.insert(order.order.number.to_lowercase()) {
                return Err(fail(at, format!("order {:?} appears twice", entry.number)));
            }
            orders.push(order);
        }
        let mut ids = HashSet::new();
        let mut products = Vec::with_capacity(file.products.len());
        for entry in file.products {
            let at = Some(("id", entry.id.as_str()));
            let product =
                entry.build(&file.currency).map_err(|why| fail(at, format!("product {:?}: {why}", entry.id)))?;
            if !ids.insert(product.id.clone()) {
                return Err(fail(at, format!("product {:?} appears twice", entry.id)));
            }
            products.push(product);
        }
        Ok(Self { orders: std::sync::RwLock::new(orders), products })
    }

    /// The whole catalogue, in file order.
    pub fn products(&self) -> &[Product] {
        &self.products
    }
}

#[async_trait]
impl Commerce for DemoShop {
    async fn order(&self, number: &str, who: &CustomerKey) -> Result<OrderLookup, CommerceError> {
        let number = order_number(number).ok_or(CommerceError::NotFound)?;
        let orders = self.orders.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = orders.iter().find(|o| o.order.number.eq_ignore_ascii_case(&number));
        match found {
            None => Err(CommerceError::NotFound),
            Some(demo) if demo.belongs_to(who) => Ok(OrderLookup::Found(demo.order.clone())),
            Some(_) => Ok(OrderLookup::NotYours),
        }
    }

    async fn orders_for(&self, who: &CustomerKey, limit: usize) -> Result<Vec<Order>, CommerceError> {
        let orders = self.orders.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut orders: Vec<Order> = orders.iter().filter(|o| o.belongs_to(who)).map(|o| o.order.clone()).collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.placed_at));
        orders.truncate(limit);
        Ok(orders)
    }

    async fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>, CommerceError> {
        Ok(search::rank(self.products.iter().cloned(), query, limit))
    }

    async fn browse_products(&self, limit: usize) -> Result<Vec<Product>, CommerceError> {
        Ok(self.products.iter().take(limit).cloned().collect())
    }

    async fn cancel_order(&self, number: &str, who: &CustomerKey) -> Result<Cancellation, CommerceError> {
        let number = order_number(number).ok_or(CommerceError::NotFound)?;
        let mut orders = self.orders.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let demo =
            orders.iter_mut().find(|o| o.order.number.eq_ignore_ascii_case(&number)).ok_or(CommerceError::NotFound)?;
        if !demo.belongs_to(who) {
            return Ok(Cancellation::NotYours);
        }
        let order = &mut demo.order;
        Ok(if order.status == OrderStatus::Cancelled {
            Cancellation::AlreadyCancelled(order.clone())
        } else if !order.cancellable {
            Cancellation::TooLate(order.clone())
        } else {
            order.status = OrderStatus::Cancelled;
            order.cancellable = false;
            Cancellation::Cancelled(order.clone())
        })
    }

    fn describe(&self) -> String {
        "demo shop".to_owned()
    }
}

impl DemoOrder {
    fn belongs_to(&self, who: &CustomerKey) -> bool {
        who.matches_any([Some(self.email.as_str())], [Some(self.phone.as_str())])
    }
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopFile {
    /// Every amount in the file is in this currency.
    currency: String,
    orders: Vec<OrderEntry>,
    products: Vec<ProductEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderEntry {
    number: String,
    customer: CustomerEntry,
    status: OrderStatus,
    placed_at: DateTime<Utc>,
    items: Vec<LineItem>,
    total: Amount,
    #[serde(default)]
    shipment: Option<Shipment>,
    #[serde(default)]
    cancellable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerEntry {
    email: String,
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductEntry {
    id: String,
    name_ko: String,
    name_en: String,
    price: Amount,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    in_stock: bool,
}

/// An amount in the shop's currency, as a JSON number (`39000`) or a decimal string (`"12.50"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Amount {
    Number(serde_json::Number),
    Text(String),
}

impl Amount {
    fn money(&self, currency: &str) -> Result<Money, String> {
        let text = match self {
            Amount::Number(n) => n.to_string(),
            Amount::Text(s) => s.clone(),
        };
        Money::parse(&text, currency).map_err(|e| e.to_string())
    }
}

impl OrderEntry {
    fn build(&self, currency: &str) -> Result<DemoOrder, String> {
        let number = order_number(&self.number).ok_or("the number is not an order number")?;
        if !matches!(CustomerKey::parse(&self.customer.email), Some(CustomerKey::Email(_))) {
            return Err(format!("customer.email {:?} is not an email address", self.customer.email));
        }
        if !matches!(CustomerKey::parse(&self.customer.phone), Some(CustomerKey::Phone(_))) {
            return Err(format!("customer.phone {:?} is not a phone number", self.customer.phone));
        }
        if self.items.is_empty() {
            return Err("an order needs at least one item".into());
        }
        if let Some(item) = self.items.iter().find(|i| i.quantity == 0 || i.name_ko.trim().is_empty()) {
            return Err(format!("item {:?} needs a name and a quantity of at least 1", item.name_en));
        }
        let total = self.total.money(currency).map_err(|e| format!("total: {e}"))?;
        if total.minor_units() < 0 {
            return Err("total: cannot be negative".into());
        }
        match (self.status.has_shipped(), &self.shipment) {
            (true, None) => return Err(format!("a {} order needs a shipment", self.status.as_str())),
            (false, Some(_)) => return Err(format!("a {} order cannot have a shipment", self.status.as_str())),
            _ => {}
        }
        if let Some(shipment) = self.shipment.as_ref().filter(|s| s.tracking_number.trim().is_empty()) {
            return Err(format!("the {} shipment needs a tracking number", shipment.carrier));
        }
        if self.cancellable && self.status != OrderStatus::Preparing {
            return Err(format!("a {} order cannot be cancellable", self.status.as_str()));
        }
        let order = Order {
            number,
            status: self.status,
            placed_at: self.placed_at,
            items: self.items.clone(),
            total,
            shipment: self.shipment.clone(),
            cancellable: self.cancellable,
        };
        Ok(DemoOrder { order, email: self.customer.email.clone(), phone: self.customer.phone.clone() })
    }
}

impl ProductEntry {
    fn build(&self, currency: &str) -> Result<Product, String> {
        if self.id.trim().is_empty() || self.name_ko.trim().is_empty() || self.name_en.trim().is_empty() {
            return Err("a product needs an id, name_ko and name_en".into());
        }
        let price = self.price.money(currency).map_err(|e| format!("price: {e}"))?;
        if price.minor_units() < 0 {
            return Err("price: cannot be negative".into());
        }
        Ok(Product {
            id: self.id.clone(),
            name_ko: self.name_ko.clone(),
            name_en: self.name_en.clone(),
            price,
            url: self.url.clone(),
            tags: self.tags.clone(),
            in_stock: self.in_stock,
        })
    }
}

/// The 1-based line where `"key": "value"` is written.
fn line_of(text: &str, key: &str, value: &str) -> Option<usize> {
    let key = format!("\"{key}\"");
    let value = serde_json::to_string(value).ok()?;
    text.lines().position(|line| line.contains(&key) && line.contains(&value)).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> DemoShop {
        DemoShop::embedded()
    }

    fn email(s: &str) -> CustomerKey {
        CustomerKey::Email(s.to_owned())
    }

    fn phone(s: &str) -> CustomerKey {
        CustomerKey::Phone(s.to_owned())
    }

    async fn found(number: &str, who: &CustomerKey) -> Order {
        match shop().order(number, who).await {
            Ok(OrderLookup::Found(order)) => order,
            other => panic!("order {number}: {other:?}"),
        }
    }

    #[tokio::test]
    async fn every_status_is_in_the_demo() {
        let shipped = found("1001", &email("happy@example.com")).await;
        assert_eq!(
            (shipped.number.as_str(), shipped.status, shipped.cancellable),
            ("1001", OrderStatus::Shipped, false)
        );
        let parcel = shipped.shipment.expect("a shipped order has a parcel");
        assert_eq!((parcel.carrier.as_str(), parcel.tracking_number.as_str()), ("CJ대한통운", "640123456789"));
        assert!(parcel.tracking_url.is_some_and(|url| url.contains("640123456789")));
        assert_eq!(shipped.total.display(), "₩57,000");
        assert_eq!(shipped.items.len(), 2);

        let delivered = found("#1002", &email("HAPPY@example.com")).await;
        assert_eq!(delivered.status, OrderStatus::Delivered);
        let preparing = found("1003", &email("minsu.kim@example.com")).await;
        assert_eq!((preparing.status, preparing.cancellable, preparing.shipment), (OrderStatus::Preparing, true, None));
        let cancelled = found("1004", &phone("010-3456-7890")).await;
        assert_eq!((cancelled.status, cancelled.cancellable), (OrderStatus::Cancelled, false));
        let out = found(" 1005 ", &phone("+82 10 4567 8901")).await;
        assert_eq!(out.status, OrderStatus::OutForDelivery);
        assert_eq!(out.shipment.expect("parcel").tracking_url, None);
    }

    #[tokio::test]
    async fn someone_elses_order_is_not_yours() {
        let shop = shop();
        for who in [email("minsu.kim@example.com"), phone("010-2345-6789"), email("happy@example.co"), phone("")] {
            assert_eq!(shop.order("1001", &who).await.expect("exists"), OrderLookup::NotYours, "{who:?}");
        }
        assert!(matches!(shop.order("9999", &email("happy@example.com")).await, Err(CommerceError::NotFound)));
        assert!(matches!(shop.order("", &email("happy@example.com")).await, Err(CommerceError::NotFound)));
    }

    #[tokio::test]
    async fn phones_match_in_any_notation() {
        for typed in ["010-1234-5678", "01012345678", "+82 10-1234-5678", "+82 010 1234 5678", "0082 10 1234 5678"] {
            assert_eq!(found("1001", &phone(typed)).await.number, "1001", "{typed}");
        }
        assert_eq!(shop().order("1001", &phone("010-1234-5679")).await.expect("exists"), OrderLookup::NotYours);
    }

    #[tokio::test]
    async fn a_customers_orders_most_recent_first() {
        let shop = shop();
        let numbers = |orders: Vec<Order>| orders.into_iter().map(|o| o.number).collect::<Vec<_>>();
        assert_eq!(numbers(shop.orders_for(&phone("010-1234-5678"), 10).await.expect("ok")), ["1001", "1002"]);
        assert_eq!(numbers(shop.orders_for(&email("happy@example.com"), 1).await.expect("ok")), ["1001"]);
        assert_eq!(numbers(shop.orders_for(&email("alex.park@example.com"), 10).await.expect("ok")), ["1005"]);
        assert!(shop.orders_for(&email("nobody@example.com"), 10).await.expect("ok").is_empty());
        assert!(shop.orders_for(&email("happy@example.com"), 0).await.expect("ok").is_empty());
    }

    async fn search(query: &str) -> Vec<String> {
        shop().search_products(query, 3).await.expect("search").into_iter().map(|p| p.id).collect()
    }

    #[tokio::test]
    async fn searches_in_korean_with_particles() {
        assert_eq!(search("겨울 선물 추천해주세요").await, ["hand-cream-set", "cashmere-muffler", "knit-gloves"]);
        assert_eq!(search("건성 피부에 좋은 크림 있어요?").await[0], "hydrating-cream");
        assert_eq!(search("녹차를 선물하고 싶어요").await[0], "jeju-green-tea");
        assert_eq!(search("립밤은 얼마예요").await, ["honey-lip-balm"]);
        assert_eq!(search("목도리").await, ["cashmere-muffler"]);
    }

    #[tokio::test]
    async fn searches_in_english() {
        assert_eq!(search("I'm looking for a warm jacket").await[0], "padded-jacket");
        assert_eq!(search("sunscreen for summer").await, ["daily-sunscreen"]);
        assert_eq!(search("moisturizing lip balm").await[0], "honey-lip-balm");
        assert!(search("").await.is_empty());
        assert!(search("spaceship").await.is_empty());
    }

    #[test]
    fn the_embedded_shop_is_complete() {
        let shop = shop();
        let statuses: HashSet<_> = shop.orders.read().unwrap().iter().map(|o| o.order.status).collect();
        assert_eq!(statuses.len(), OrderStatus::ALL.len());
        assert!(shop.products().len() >= 15);
        assert!(shop.products().iter().all(|p| p.price.currency() == "KRW" && !p.tags.is_empty()));
        assert!(shop.products().iter().any(|p| !p.in_stock));
    }

    #[test]
    fn the_example_file_and_the_embedded_copy_agree() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo_shop.json");
        let from_file = DemoShop::from_file(&path).expect("loads");
        assert_eq!(from_file.products, shop().products);
        assert_eq!(shop().describe(), "demo shop");
    }

    fn error(text: &str) -> DemoShopError {
        DemoShop::parse(text, Path::new("shop.json")).expect_err("refused")
    }

    const GOOD_ORDER: &str = r#"{"number": "1", "customer": {"email": "a@example.com", "phone": "010-1111-2222"},
        "status": "preparing", "placed_at": "2026-01-01T00:00:00Z",
        "items": [{"name_ko": "차", "name_en": "Tea", "quantity": 1}], "total": 1000}"#;

    #[test]
    fn bad_json_names_the_file_and_line() {
        let err = error("{\n  \"currency\": \"KRW\",\n  \"orders\": [,]\n}");
        assert_eq!((err.path.as_path(), err.line), (Path::new("shop.json"), Some(3)), "{err}");
        assert!(err.to_string().starts_with("shop.json:3: "), "{err}");

        let err = error("{\"currency\": \"KRW\", \"orders\": [], \"products\": [],\n\"extra\": 1}");
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("extra"), "{err}");

        let missing = DemoShop::from_file("/nonexistent/shop.json").expect_err("missing");
        assert!(missing.to_string().starts_with("/nonexistent/shop.json: cannot read"), "{missing}");
    }

    #[test]
    fn inconsistent_orders_are_refused_at_their_line() {
        let shop = |order: &str| format!("{{\"currency\": \"KRW\", \"products\": [],\n\"orders\": [\n{order}]}}");
        assert!(DemoShop::parse(&shop(GOOD_ORDER), Path::new("shop.json")).is_ok());

        let cases = [
            (GOOD_ORDER.replace("\"preparing\"", "\"shipped\""), "needs a shipment"),
            (
                GOOD_ORDER.replace("1000}", "1000, \"shipment\": {\"carrier\": \"CJ\", \"tracking_number\": \"1\"}}"),
                "cannot have a shipment",
            ),
            (GOOD_ORDER.replace("\"total\": 1000", "\"total\": \"ten\""), "not an amount"),
            (GOOD_ORDER.replace("010-1111-2222", "call me"), "not a phone number"),
            (GOOD_ORDER.replace("a@example.com", "nobody"), "not an email address"),
            (GOOD_ORDER.replace("\"quantity\": 1", "\"quantity\": 0"), "quantity of at least 1"),
            (format!("{GOOD_ORDER},\n{GOOD_ORDER}"), "appears twice"),
        ];
        for (order, why) in cases {
            let err = error(&shop(&order));
            assert!(err.message.contains(why), "{why}: {err}");
            assert_eq!(err.line, Some(3), "{why}: {err}");
        }
        let cancellable_cancelled =
            GOOD_ORDER.replace("preparing", "cancelled").replace("1000}", "1000, \"cancellable\": true}");
        assert!(error(&shop(&cancellable_cancelled)).message.contains("cannot be cancellable"));
    }
}
