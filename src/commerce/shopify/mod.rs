//! A real store through the Shopify Admin REST API (versions `2024-01` and later).
//!
//! Requests authenticate with the `X-Shopify-Access-Token` header (a custom app's Admin API token
//! with `read_orders`, `read_customers` and `read_products`, and `write_orders` for the agent to
//! cancel orders). The calls:
//!
//! - **An order by number**: `GET /admin/api/{version}/orders.json?name=%231001&status=any`
//!   (`status=any`, or Shopify returns open orders only). The answer is checked locally: the
//!   order's name must be the number asked for, and its email or phone must match the customer.
//! - **A customer's orders**: the REST order list documents no email or phone filter, so we look
//!   the customer up with `GET customers/search.json?query=email:…` (or `phone:+82…`), which is
//!   documented, check each hit locally, then read `GET customers/{id}/orders.json?status=any`.
//!   Phone numbers typed without a country code (`010-…`) are searched in E.164 assuming the
//!   default country, South Korea (`+82`) unless [`ShopifyCommerce::with_default_country_code`]
//!   says otherwise. Orders placed as a guest with no customer record are not found this way.
//! - **Cancelling an order**: the order is read by number as above and checked (the customer's,
//!   not cancelled, not fulfilled), then `POST orders/{id}/cancel.json` with an empty object, which
//!   refunds and restocks as the shop's settings say. Shopify answers 422 for an order it will not
//!   cancel (fulfilled meanwhile): that is "too late", never an error the customer sees.
//! - **Products**: REST has no free-text product search (only an exact-ish `title` filter, and no
//!   tags), so we read one page of active, published products
//!   (`GET products.json?status=active&published_status=published&limit=250`) and rank them with
//!   the same scorer as the demo shop. Complete for catalogues up to 250 products; a larger
//!   catalogue is searched in its first 250 only, and would need the GraphQL `products(query:)`.
//!   Prices are in the shop's currency, read once from `GET shop.json` and remembered.
//!
//! Failures map onto [`CommerceError`]: 401 and 403 (and 402/423, a frozen or locked shop) are
//! `Unauthorized`, 404 `NotFound`, 429 `RateLimited` with Retry-After (Shopify sends seconds as
//! `2.0`), 5xx and unreachable `Unavailable`, a slow answer `Timeout`. Nothing is retried here.
//! Note that a wrong shop domain also answers 404, which reads as "no such order": the launch
//! checklist should verify the connection once with a call that must succeed.

mod wire;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::ACCEPT;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use self::wire::{CustomerList, OrderAnswer, OrderList, ProductList, ShopAnswer};
use super::model::{Order, OrderLookup, OrderStatus, Product};
use super::{Cancellation, Commerce, CommerceError, CustomerKey, order_number, search};
use crate::outbound::{Outbound, OutboundError};
use crate::secret::Secret;

/// At most this many customer records are read for one contact detail.
const MAX_CUSTOMERS: usize = 3;
/// The largest page Shopify's REST lists return.
const MAX_PAGE: usize = 250;
/// Order fields we read; asking for fewer keeps addresses and payment details off the wire.
const ORDER_FIELDS: &str = "id,name,order_number,email,contact_email,phone,created_at,processed_at,cancelled_at,\
                            financial_status,fulfillment_status,currency,total_price,line_items,fulfillments,customer,\
                            billing_address";

/// A Shopify store.
#[derive(Debug)]
pub struct ShopifyCommerce {
    http: reqwest::Client,
    outbound: Outbound,
    /// `https://brand.myshopify.com/`, or a mock's address in tests.
    base: Url,
    /// The store's host, for operators.
    host: String,
    access_token: Secret,
    api_version: String,
    /// Calling code assumed for phone numbers written with a trunk `0`.
    default_country_code: String,
    /// The shop's currency, read on the first product search.
    currency: OnceCell<String>,
}

/// Settings that cannot make a Shopify client.
#[derive(Debug, thiserror::Error)]
pub enum ShopifyConfigError {
    /// Neither a shop domain (`brand.myshopify.com`) nor an http(s) URL without a path.
    #[error("{0:?} is not a shop domain or URL")]
    Shop(String),
    /// Not a version like `2024-10` (or `unstable`).
    #[error("{0:?} is not a Shopify API version such as 2024-10")]
    ApiVersion(String),
    /// The access token is empty.
    #[error("the Shopify access token is empty")]
    EmptyToken,
    /// The shop's address is one outbound calls may not reach (see `SANGDAM_OUTBOUND_ALLOW`).
    #[error("{0}; allow it with SANGDAM_OUTBOUND_ALLOW")]
    NotAllowed(String),
    /// The HTTP client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Client(String),
}

impl ShopifyCommerce {
    /// A client for the shop at `shop` (`brand.myshopify.com`, or a full URL such as a mock's
    /// `http://127.0.0.1:4321`), calling API `api_version` (`2024-10`), each request bounded by
    /// `timeout` (connecting and answering), through the outbound guard. An address the guard
    /// refuses outright (`http://127.0.0.1:…` unless allowed) is refused here, at start-up.
    pub fn new(
        shop: &str,
        access_token: Secret,
        api_version: &str,
        timeout: Duration,
        outbound: &Outbound,
    ) -> Result<Self, ShopifyConfigError> {
        let base = shop_url(shop)?;
        outbound.check(&base).map_err(|e| ShopifyConfigError::NotAllowed(format!("{shop:?}: {e}")))?;
        let host = match (base.host_str(), base.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ShopifyConfigError::Shop(shop.to_owned())),
        };
        let version_ok = api_version == "unstable"
            || (api_version.len() == 7
                && api_version.char_indices().all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() }));
        if !version_ok {
            return Err(ShopifyConfigError::ApiVersion(api_version.to_owned()));
        }
        if access_token.expose().trim().is_empty() {
            return Err(ShopifyConfigError::EmptyToken);
        }
        let builder = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("sangdam/", env!("CARGO_PKG_VERSION")));
        let http = outbound.client(builder, true).map_err(|e| ShopifyConfigError::Client(e.to_string()))?;
        Ok(Self {
            http,
            outbound: outbound.clone(),
            base,
            host,
            access_token,
            api_version: api_version.to_owned(),
            default_country_code: "82".to_owned(),
            currency: OnceCell::new(),
        })
    }

    /// Assume this calling code (`"1"`, `"81"`) for phone numbers customers write without one.
    pub fn with_default_country_code(mut self, calling_code: &str) -> Self {
        let digits: String = calling_code.chars().filter(char::is_ascii_digit).collect();
        if (1..=3).contains(&digits.len()) {
            self.default_country_code = digits;
        }
        self
    }

    /// `{base}/admin/api/{version}/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["admin", "api", self.api_version.as_str()]).extend(segments);
        }
        url
    }

    /// A GET whose success body reads as `T`.
    async fn get<T: DeserializeOwned>(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<T, CommerceError> {
        self.send(self.http.get(self.url(segments)).query(query)).await
    }

    /// A POST of a JSON body whose success body reads as `T`.
    async fn post<T: DeserializeOwned>(&self, segments: &[&str], body: &serde_json::Value) -> Result<T, CommerceError> {
        self.send(self.http.post(self.url(segments)).json(body)).await
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, CommerceError> {
        let request =
            request.header("X-Shopify-Access-Token", self.access_token.expose()).header(ACCEPT, "application/json");
        let response = self.outbound.send(request).await.map_err(transport)?;
        let status = response.status();
        let retry_after = crate::retry_after::parse(response.headers(), Utc::now());
        let body = response.text().await.map_err(|e| transport(crate::outbound::describe(&e, &self.host)))?;
        if !status.is_success() {
            tracing::debug!(shop = %self.host, status = status.as_u16(), "Shopify refused the request");
            return Err(api_error(status, retry_after, &body));
        }
        serde_json::from_str(&body)
            .map_err(|e| CommerceError::BadResponse(format!("HTTP {status} with a body that does not parse: {e}")))
    }

    async fn shop_currency(&self) -> Result<&str, CommerceError> {
        let currency = self
            .currency
            .get_or_try_init(|| async {
                let answer: ShopAnswer = self.get(&["shop.json"], &[("fields", "currency")]).await?;
                Ok::<_, CommerceError>(answer.shop.currency)
            })
            .await?;
        Ok(currency)
    }

    /// Customer records whose own email or phone is `who`'s.
    async fn customers(&self, who: &CustomerKey) -> Result<Vec<u64>, CommerceError> {
        let query = match who {
            CustomerKey::Email(_) => who.normalized_email().map(|email| format!("email:{email}")),
            CustomerKey::Phone(_) => who.e164(&self.default_country_code).map(|phone| format!("phone:{phone}")),
        };
        let Some(query) = query else {
            return Ok(Vec::new());
        };
        let found: CustomerList = self
            .get(&["customers", "search.json"], &[("query", &query), ("limit", "10"), ("fields", "id,email,phone")])
            .await?;
        Ok(found
            .customers
            .into_iter()
            .filter(|c| who.matches_any([c.email.as_deref()], [c.phone.as_deref()]))
            .map(|c| c.id)
            .take(MAX_CUSTOMERS)
            .collect())
    }
}

#[async_trait]
impl Commerce for ShopifyCommerce {
    #[tracing::instrument(skip_all, fields(shop = %self.host, who = ?who))]
    async fn order(&self, number: &str, who: &CustomerKey) -> Result<OrderLookup, CommerceError> {
        let order = self.find_order(number).await?;
        if !order.belongs_to(who) {
            return Ok(OrderLookup::NotYours);
        }
        order.into_order().map(OrderLookup::Found).map_err(CommerceError::BadResponse)
    }

    #[tracing::instrument(skip_all, fields(shop = %self.host, who = ?who, limit))]
    async fn orders_for(&self, who: &CustomerKey, limit: usize) -> Result<Vec<Order>, CommerceError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut orders = Vec::new();
        let mut seen = HashSet::new();
        for customer in self.customers(who).await? {
            let id = customer.to_string();
            let list: OrderList = self.get(&["customers", &id, "orders.json"], &[("status", "any")]).await?;
            orders.extend(list.orders.into_iter().filter(|o| seen.insert(o.id)));
        }
        orders.sort_by_key(|o| std::cmp::Reverse(o.placed_at()));
        orders.into_iter().take(limit).map(|o| o.into_order().map_err(CommerceError::BadResponse)).collect()
    }

    #[tracing::instrument(skip_all, fields(shop = %self.host, limit))]
    async fn search_products(&self, query: &str, limit: usize) -> Result<Vec<Product>, CommerceError> {
        if limit == 0 || search::query_terms(query).is_empty() {
            return Ok(Vec::new());
        }
        Ok(search::rank(self.product_page().await?, query, limit))
    }

    #[tracing::instrument(skip_all, fields(shop = %self.host, limit))]
    async fn browse_products(&self, limit: usize) -> Result<Vec<Product>, CommerceError> {
        Ok(self.product_page().await?.into_iter().take(limit).collect())
    }

    #[tracing::instrument(skip_all, fields(shop = %self.host, who = ?who))]
    async fn cancel_order(&self, number: &str, who: &CustomerKey) -> Result<Cancellation, CommerceError> {
        self.cancel(number, who).await
    }

    fn describe(&self) -> String {
        format!("Shopify ({})", self.host)
    }
}

impl ShopifyCommerce {
    /// One page of active, published products with a usable price.
    async fn product_page(&self) -> Result<Vec<Product>, CommerceError> {
        let currency = self.shop_currency().await?;
        let page = MAX_PAGE.to_string();
        let params = [
            ("status", "active"),
            ("published_status", "published"),
            ("limit", page.as_str()),
            ("fields", "id,title,handle,product_type,tags,variants"),
        ];
        let list: ProductList = self.get(&["products.json"], &params).await?;
        let shop_url = self.base.as_str();
        // One product without a usable price (a gift card, a half-set-up draft) should not cost the
        // customer every other recommendation, so it is left out rather than failing the search.
        Ok(list
            .products
            .into_iter()
            .filter_map(|p| {
                p.into_product(currency, shop_url).map_err(|why| tracing::debug!(%why, "product left out")).ok()
            })
            .collect())
    }

    /// The order customers call `number`, whoever it belongs to (callers check).
    async fn find_order(&self, number: &str) -> Result<wire::ShopifyOrder, CommerceError> {
        let number = order_number(number).ok_or(CommerceError::NotFound)?;
        let name = format!("#{number}");
        let query = [("name", name.as_str()), ("status", "any"), ("fields", ORDER_FIELDS)];
        let list: OrderList = self.get(&["orders.json"], &query).await?;
        list.orders.into_iter().find(|o| o.is_number(&number)).ok_or(CommerceError::NotFound)
    }

    async fn cancel(&self, number: &str, who: &CustomerKey) -> Result<Cancellation, CommerceError> {
        let found = self.find_order(number).await?;
        if !found.belongs_to(who) {
            return Ok(Cancellation::NotYours);
        }
        let id = found.id.to_string();
        let current = found.into_order().map_err(CommerceError::BadResponse)?;
        if current.status == OrderStatus::Cancelled {
            return Ok(Cancellation::AlreadyCancelled(current));
        }
        if !current.cancellable {
            return Ok(Cancellation::TooLate(current));
        }
        match self.post::<OrderAnswer>(&["orders", &id, "cancel.json"], &serde_json::json!({})).await {
            Ok(answer) => answer.order.into_order().map(Cancellation::Cancelled).map_err(CommerceError::BadResponse),
            // Fulfilled or cancelled between our read and the call.
            Err(CommerceError::BadResponse(why)) if why.starts_with("HTTP 422") => {
                tracing::info!(%why, "Shopify would not cancel the order");
                Ok(Cancellation::TooLate(current))
            }
            Err(e) => Err(e),
        }
    }
}

/// `brand.myshopify.com` or an http(s) URL with no path, query or credentials, as the shop's root.
fn shop_url(shop: &str) -> Result<Url, ShopifyConfigError> {
    let bad = || ShopifyConfigError::Shop(shop.to_owned());
    let trimmed = shop.trim();
    let text = if trimmed.contains("://") { trimmed.to_owned() } else { format!("https://{trimmed}") };
    let url = Url::parse(&text).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if plain { Ok(url) } else { Err(bad()) }
}

fn transport(error: OutboundError) -> CommerceError {
    // The guard's words name the host only: never the URL, which can carry a customer's email.
    match error {
        OutboundError::Timeout(_) => CommerceError::Timeout,
        other => CommerceError::Unavailable(other.to_string()),
    }
}

/// Maps a refusal, reading Shopify's `{"errors": …}` body for the message.
fn api_error(status: StatusCode, retry_after: Option<Duration>, body: &str) -> CommerceError {
    let message = error_message(body).unwrap_or_else(|| {
        format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or("error")).trim_end().to_owned()
    });
    match status.as_u16() {
        401 | 403 => CommerceError::Unauthorized(message),
        402 => CommerceError::Unauthorized(format!("the shop is frozen (payment required): {message}")),
        423 => CommerceError::Unauthorized(format!("the shop is locked: {message}")),
        404 => CommerceError::NotFound,
        429 => CommerceError::RateLimited { retry_after },
        500..=599 => CommerceError::Unavailable(format!("HTTP {}: {message}", status.as_u16())),
        other => CommerceError::BadResponse(format!("HTTP {other}: {message}")),
    }
}

/// Shopify's `errors` is a string, a list, or an object of field to messages.
fn error_message(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    let errors = json.get("errors").or_else(|| json.get("error"))?;
    let text = match errors {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join("; "),
        serde_json::Value::Object(fields) => {
            fields.iter().map(|(field, why)| format!("{field}: {}", plain(why))).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(300).collect())
}

fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_every_shape() {
        let unauthorized =
            r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#;
        assert!(matches!(
            api_error(StatusCode::UNAUTHORIZED, None, unauthorized),
            CommerceError::Unauthorized(m) if m.starts_with("[API] Invalid API key")
        ));
        let invalid = r#"{"errors":{"limit":["must be less than or equal to 250"],"status":["is invalid"]}}"#;
        let error = api_error(StatusCode::UNPROCESSABLE_ENTITY, None, invalid);
        assert_eq!(
            error.to_string(),
            "unusable answer from the store: HTTP 422: limit: must be less than or equal to 250; status: is invalid"
        );
        let error = api_error(StatusCode::BAD_GATEWAY, None, "<html>502</html>");
        assert!(matches!(&error, CommerceError::Unavailable(m) if m == "HTTP 502: HTTP 502 Bad Gateway"), "{error:?}");
        assert!(matches!(api_error(StatusCode::NOT_FOUND, None, r#"{"errors":"Not Found"}"#), CommerceError::NotFound));
        let error = api_error(StatusCode::PAYMENT_REQUIRED, None, "{}");
        assert!(matches!(&error, CommerceError::Unauthorized(m) if m.contains("frozen")), "{error:?}");
        let wait = Some(Duration::from_secs(2));
        let error = api_error(StatusCode::TOO_MANY_REQUESTS, wait, "{}");
        assert!(matches!(error, CommerceError::RateLimited { retry_after } if retry_after == wait), "{error:?}");
    }

    #[test]
    fn shop_addresses_and_versions() {
        let token = || Secret::new("shpat_0123");
        let local = Outbound::new(crate::outbound::AllowList::parse("127.0.0.1/32").expect("allow list"));
        let shop = |s: &str| ShopifyCommerce::new(s, token(), "2024-10", Duration::from_secs(1), &local);
        assert_eq!(shop("brand.myshopify.com").expect("domain").describe(), "Shopify (brand.myshopify.com)");
        assert_eq!(shop(" https://brand.myshopify.com/ ").expect("url").describe(), "Shopify (brand.myshopify.com)");
        assert_eq!(shop("http://127.0.0.1:4321").expect("mock").describe(), "Shopify (127.0.0.1:4321)");
        let guarded =
            ShopifyCommerce::new("http://127.1:4321", token(), "2024-10", Duration::from_secs(1), &Outbound::default());
        assert!(matches!(guarded, Err(ShopifyConfigError::NotAllowed(_))), "{guarded:?}");
        for bad in
            ["", "brand.myshopify.com/admin", "ftp://brand.myshopify.com", "https://user:pw@brand.myshopify.com", "a b"]
        {
            assert!(matches!(shop(bad), Err(ShopifyConfigError::Shop(_))), "{bad:?}");
        }
        for bad in ["2024-1", "24-10", "latest", "2024-10/../x"] {
            let result = ShopifyCommerce::new("brand.myshopify.com", token(), bad, Duration::from_secs(1), &local);
            assert!(matches!(result, Err(ShopifyConfigError::ApiVersion(_))), "{bad:?}");
        }
        let empty =
            ShopifyCommerce::new("brand.myshopify.com", Secret::new(" "), "2024-10", Duration::from_secs(1), &local);
        assert!(matches!(empty, Err(ShopifyConfigError::EmptyToken)));

        let client = shop("brand.myshopify.com").expect("domain");
        let url = client.url(&["customers", "7/../x", "orders.json"]);
        assert_eq!(url.as_str(), "https://brand.myshopify.com/admin/api/2024-10/customers/7%2F..%2Fx/orders.json");
        assert!(!format!("{client:?}").contains("shpat_0123"), "the token never prints");
    }
}
