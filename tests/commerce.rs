//! The Shopify adapter against a mock Shopify that answers as the Admin REST API documents.

use std::time::{Duration, Instant};

use sangdam::commerce::shopify::ShopifyCommerce;
use sangdam::commerce::{Cancellation, Commerce, CommerceError, CustomerKey, OrderLookup, OrderStatus};
use sangdam::outbound::{AllowList, Outbound};
use sangdam::secret::Secret;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "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";
const VERSION: &str = "2024-10";
const ORDERS: &str = "/admin/api/2024-10/orders.json";

/// The guard of the test servers: the mocks listen on loopback.
fn outbound() -> Outbound {
    Outbound::new(AllowList::parse("127.0.0.1/32").expect("allow list"))
}

fn shop(server: &MockServer) -> ShopifyCommerce {
    ShopifyCommerce::new(&server.uri(), Secret::new(TOKEN), VERSION, Duration::from_millis(300), &outbound())
        .expect("valid settings")
}

fn email(s: &str) -> CustomerKey {
    CustomerKey::Email(s.to_owned())
}

fn phone(s: &str) -> CustomerKey {
    CustomerKey::Phone(s.to_owned())
}

/// A fulfillment record as Shopify sends it inside an order.
fn fulfillment(shipment_status: Option<&str>, tracking_number: &str) -> Value {
    json!({
        "id": 255858046,
        "admin_graphql_api_id": "gid://shopify/Fulfillment/255858046",
        "created_at": "2026-11-18T09:12:44+09:00",
        "location_id": 655441491,
        "name": "#1001.1",
        "order_id": 450789469,
        "service": "manual",
        "shipment_status": shipment_status,
        "status": "success",
        "tracking_company": "CJ대한통운",
        "tracking_number": tracking_number,
        "tracking_numbers": [tracking_number],
        "tracking_url": format!("https://trace.cjlogistics.com/next/tracking.html?wblNo={tracking_number}"),
        "tracking_urls": [format!("https://trace.cjlogistics.com/next/tracking.html?wblNo={tracking_number}")],
        "updated_at": "2026-11-19T08:03:10+09:00",
        "line_items": [],
    })
}

/// An order as `orders.json` returns it, trimmed of fields nobody reads but shaped like Shopify's.
fn order(
    name: &str,
    email: &str,
    phone: Option<&str>,
    fulfillment_status: Option<&str>,
    fulfillments: Vec<Value>,
) -> Value {
    let number: u64 = name.trim_start_matches('#').parse().expect("numeric name");
    json!({
        "id": 450789469 + number,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", 450789469 + number),
        "name": name,
        "number": number - 1000,
        "order_number": number,
        "email": email,
        "contact_email": email,
        "phone": null,
        "created_at": "2026-11-17T14:20:00+09:00",
        "processed_at": "2026-11-17T14:20:00+09:00",
        "updated_at": "2026-11-19T08:03:10+09:00",
        "cancelled_at": null,
        "cancel_reason": null,
        "closed_at": null,
        "confirmed": true,
        "currency": "KRW",
        "presentment_currency": "KRW",
        "financial_status": "paid",
        "fulfillment_status": fulfillment_status,
        "subtotal_price": "57000.00",
        "total_price": "57000.00",
        "total_price_set": {
            "shop_money": {"amount": "57000.00", "currency_code": "KRW"},
            "presentment_money": {"amount": "57000.00", "currency_code": "KRW"},
        },
        "line_items": [
            {"id": 466157049, "name": "수분 크림 - 50ml", "title": "수분 크림", "variant_title": "50ml",
             "quantity": 1, "price": "39000.00", "sku": "HC-50", "fulfillment_status": fulfillment_status},
            {"id": 518995019, "name": "꿀 립밤", "title": "꿀 립밤", "variant_title": null,
             "quantity": 2, "price": "9000.00", "sku": "LB-01", "fulfillment_status": fulfillment_status},
        ],
        "fulfillments": fulfillments,
        "billing_address": {"first_name": "행복", "last_name": "김", "phone": phone, "country_code": "KR"},
        "customer": {"id": 207119551, "email": email, "phone": phone, "first_name": "행복", "last_name": "김",
                     "state": "enabled", "currency": "KRW"},
    })
}

fn shipped_1001() -> Value {
    order(
        "#1001",
        "happy@example.com",
        Some("+821012345678"),
        Some("fulfilled"),
        vec![fulfillment(Some("in_transit"), "640123456789")],
    )
}

async fn mock_order_lookup(server: &MockServer, number: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(query_param("name", format!("#{number}")))
        .and(query_param("status", "any"))
        .and(header("X-Shopify-Access-Token", TOKEN))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

fn orders(list: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "orders": list }))
}

fn shopify_error(status: u16, errors: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "errors": errors }))
}

#[tokio::test]
async fn an_order_with_tracking_for_its_customer() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", orders(vec![shipped_1001()])).await;
    let found = shop(&server).order("#1001", &email("Happy@Example.com")).await.expect("answered");
    let OrderLookup::Found(order) = found else { panic!("expected the order, got {found:?}") };
    assert_eq!((order.number.as_str(), order.status, order.cancellable), ("1001", OrderStatus::Shipped, false));
    assert_eq!(order.total.display(), "₩57,000");
    assert_eq!(
        order.items.iter().map(|i| (i.name_ko.as_str(), i.quantity)).collect::<Vec<_>>(),
        [("수분 크림 - 50ml", 1), ("꿀 립밤", 2)]
    );
    let parcel = order.shipment.expect("tracked");
    assert_eq!((parcel.carrier.as_str(), parcel.tracking_number.as_str()), ("CJ대한통운", "640123456789"));
    assert_eq!(
        parcel.tracking_url.as_deref(),
        Some("https://trace.cjlogistics.com/next/tracking.html?wblNo=640123456789")
    );
    assert_eq!(order.placed_at.to_rfc3339(), "2026-11-17T05:20:00+00:00");
}

#[tokio::test]
async fn the_same_order_by_phone_in_korean_notation() {
    let server = MockServer::start().await;
    let delivered = order(
        "#1002",
        "happy@example.com",
        Some("+821012345678"),
        Some("fulfilled"),
        vec![fulfillment(Some("delivered"), "6896012345678")],
    );
    mock_order_lookup(&server, "1002", orders(vec![delivered])).await;
    let found = shop(&server).order("1002", &phone("010-1234-5678")).await.expect("answered");
    assert!(matches!(&found, OrderLookup::Found(order) if order.status == OrderStatus::Delivered), "{found:?}");
}

#[tokio::test]
async fn another_customers_order_is_not_yours() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", orders(vec![shipped_1001()])).await;
    let shop = shop(&server);
    assert_eq!(shop.order("1001", &email("minsu.kim@example.com")).await.expect("answered"), OrderLookup::NotYours);
}

#[tokio::test]
async fn another_customers_phone_is_not_yours_either() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", orders(vec![shipped_1001()])).await;
    assert_eq!(shop(&server).order("1001", &phone("010-2345-6789")).await.expect("answered"), OrderLookup::NotYours);
}

#[tokio::test]
async fn an_unknown_number_is_not_found() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "9999", orders(vec![])).await;
    let error = shop(&server).order("9999", &email("happy@example.com")).await.expect_err("no such order");
    assert!(matches!(error, CommerceError::NotFound), "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_near_miss_from_the_name_filter_is_not_the_order() {
    let server = MockServer::start().await;
    let other = order("#10010", "happy@example.com", None, None, vec![]);
    mock_order_lookup(&server, "1001", orders(vec![other])).await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("not 1001");
    assert!(matches!(error, CommerceError::NotFound), "{error:?}");
}

#[tokio::test]
async fn a_preparing_order_is_cancellable() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1003", orders(vec![order("#1003", "minsu.kim@example.com", None, None, vec![])])).await;
    let found = shop(&server).order("1003", &email("minsu.kim@example.com")).await.expect("answered");
    let OrderLookup::Found(order) = found else { panic!("{found:?}") };
    assert_eq!((order.status, order.cancellable, order.shipment), (OrderStatus::Preparing, true, None));
}

#[tokio::test]
async fn a_malformed_number_never_reaches_shopify() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(orders(vec![shipped_1001()])).expect(0).mount(&server).await;
    let error = shop(&server).order("1001&status=any", &email("happy@example.com")).await.expect_err("refused");
    assert!(matches!(error, CommerceError::NotFound), "{error:?}");
}

#[tokio::test]
async fn a_bad_token_is_unauthorized() {
    let server = MockServer::start().await;
    let refusal = shopify_error(401, "[API] Invalid API key or access token (unrecognized login or wrong password)");
    mock_order_lookup(&server, "1001", refusal).await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("refused");
    assert!(matches!(&error, CommerceError::Unauthorized(why) if why.contains("Invalid API key")), "{error:?}");
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_missing_scope_is_unauthorized() {
    let server = MockServer::start().await;
    mock_order_lookup(
        &server,
        "1001",
        shopify_error(403, "[API] This action requires merchant approval for read_orders scope."),
    )
    .await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("refused");
    assert!(matches!(&error, CommerceError::Unauthorized(why) if why.contains("read_orders")), "{error:?}");
}

#[tokio::test]
async fn a_404_is_not_found() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", shopify_error(404, "Not Found")).await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("missing");
    assert!(matches!(error, CommerceError::NotFound), "{error:?}");
}

#[tokio::test]
async fn too_many_requests_says_when_to_retry() {
    let server = MockServer::start().await;
    let throttled = shopify_error(
        429,
        "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
    )
    .insert_header("Retry-After", "2.0");
    mock_order_lookup(&server, "1001", throttled).await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("throttled");
    assert!(
        matches!(error, CommerceError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(2)),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_server_error_is_unavailable_and_retryable() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", shopify_error(500, "Internal Server Error")).await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("failed");
    assert!(matches!(&error, CommerceError::Unavailable(why) if why.contains("500")), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_slow_shopify_is_a_timeout() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", orders(vec![shipped_1001()]).set_delay(Duration::from_secs(3))).await;
    let started = Instant::now();
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("timed out");
    assert!(matches!(error, CommerceError::Timeout), "{error:?}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(2), "gave up after {:?}", started.elapsed());
}

#[tokio::test]
async fn an_unreachable_shop_is_unavailable_without_leaking_the_query() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let shop = ShopifyCommerce::new(
        &format!("http://127.0.0.1:{port}"),
        Secret::new(TOKEN),
        VERSION,
        Duration::from_millis(300),
        &outbound(),
    )
    .expect("valid settings");
    let error = shop.orders_for(&email("happy@example.com"), 5).await.expect_err("refused");
    assert!(
        matches!(&error, CommerceError::Unavailable(why) if !why.contains("happy") && !why.contains(TOKEN)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_unreadable_answer_is_a_bad_response() {
    let server = MockServer::start().await;
    mock_order_lookup(
        &server,
        "1001",
        ResponseTemplate::new(200).set_body_string("<html>Your shop is unavailable</html>"),
    )
    .await;
    let error = shop(&server).order("1001", &email("happy@example.com")).await.expect_err("unreadable");
    assert!(matches!(error, CommerceError::BadResponse(_)), "{error:?}");
}

async fn mock_customer_search(server: &MockServer, query: &str, customers: Value) {
    Mock::given(method("GET"))
        .and(path("/admin/api/2024-10/customers/search.json"))
        .and(query_param("query", query))
        .and(header("X-Shopify-Access-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "customers": customers })))
        .expect(1)
        .mount(server)
        .await;
}

async fn mock_customer_orders(server: &MockServer, customer: u64, list: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path(format!("/admin/api/2024-10/customers/{customer}/orders.json")))
        .and(query_param("status", "any"))
        .respond_with(orders(list))
        .expect(1)
        .mount(server)
        .await;
}

fn older(mut order: Value, processed_at: &str) -> Value {
    order["processed_at"] = json!(processed_at);
    order
}

#[tokio::test]
async fn a_customers_orders_by_email_most_recent_first() {
    let server = MockServer::start().await;
    let customers = json!([
        {"id": 207119551, "email": "happy@example.com", "phone": "+821012345678"},
        {"id": 207119552, "email": "happy@example.com.evil", "phone": null},
    ]);
    mock_customer_search(&server, "email:happy@example.com", customers).await;
    let delivered = older(
        order("#1002", "happy@example.com", None, Some("fulfilled"), vec![fulfillment(Some("delivered"), "1")]),
        "2026-11-03T09:05:00+09:00",
    );
    mock_customer_orders(&server, 207119551, vec![delivered, shipped_1001()]).await;
    let shop = shop(&server);
    let found = shop.orders_for(&email(" HAPPY@example.com"), 5).await.expect("answered");
    let summary: Vec<_> = found.iter().map(|o| (o.number.as_str(), o.status)).collect();
    assert_eq!(summary, [("1001", OrderStatus::Shipped), ("1002", OrderStatus::Delivered)]);
}

#[tokio::test]
async fn a_customers_orders_by_phone_are_searched_in_e164() {
    let server = MockServer::start().await;
    mock_customer_search(
        &server,
        "phone:+821012345678",
        json!([{"id": 207119551, "email": null, "phone": "+821012345678"}]),
    )
    .await;
    mock_customer_orders(&server, 207119551, vec![shipped_1001(), older(shipped_1001(), "2026-01-01T00:00:00Z")]).await;
    let found = shop(&server).orders_for(&phone("010-1234-5678"), 1).await.expect("answered");
    assert_eq!(found.len(), 1, "at most the limit");
    assert_eq!(found[0].number, "1001");
}

#[tokio::test]
async fn nobody_by_that_contact_has_no_orders() {
    let server = MockServer::start().await;
    mock_customer_search(&server, "email:nobody@example.com", json!([])).await;
    assert!(shop(&server).orders_for(&email("nobody@example.com"), 5).await.expect("answered").is_empty());
}

fn product(id: u64, title: &str, handle: &str, tags: &str, price: &str, quantity: i64) -> Value {
    json!({
        "id": id,
        "title": title,
        "handle": handle,
        "product_type": "Accessories",
        "status": "active",
        "tags": tags,
        "vendor": "Sangdam Demo",
        "variants": [{
            "id": id * 10, "product_id": id, "title": "Default Title", "price": price, "sku": format!("SKU-{id}"),
            "inventory_policy": "deny", "inventory_management": "shopify", "inventory_quantity": quantity,
        }],
    })
}

async fn mock_catalogue(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/admin/api/2024-10/shop.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shop": {"id": 690933842, "currency": "KRW"}})))
        .expect(1)
        .mount(server)
        .await;
    let products = json!({"products": [
        product(632910392, "수분 크림 50ml", "hydrating-cream", "보습, moisturizing, 겨울, winter", "39000.00", 12),
        product(632910393, "캐시미어 머플러", "cashmere-muffler", "겨울, winter, 선물, gift", "79000.00", 0),
        product(632910394, "울 니트 장갑", "knit-gloves", "겨울, winter, 선물, gift, gloves", "25000.00", 40),
        product(632910395, "데일리 선크림", "daily-sunscreen", "여름, summer", "24000.00", 8),
        {"id": 632910396, "title": "겨울 선물 카드", "handle": "winter-gift-card", "tags": "겨울, 선물", "variants": []},
    ]});
    Mock::given(method("GET"))
        .and(path("/admin/api/2024-10/products.json"))
        .and(query_param("status", "active"))
        .and(query_param("limit", "250"))
        .and(header("X-Shopify-Access-Token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(products))
        .expect(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn product_search_ranks_the_catalogue_in_both_languages() {
    let server = MockServer::start().await;
    mock_catalogue(&server).await;
    let shop = shop(&server);
    let found = shop.search_products("겨울 선물로 뭐가 좋을까요?", 3).await.expect("answered");
    let names: Vec<_> = found.iter().map(|p| (p.name_ko.as_str(), p.in_stock)).collect();
    // The unpriced gift card would rank first; it is left out instead of failing the search.
    assert_eq!(names, [("울 니트 장갑", true), ("캐시미어 머플러", false), ("수분 크림 50ml", true)]);
    assert_eq!(found[0].price.display(), "₩25,000");
    assert_eq!(found[0].url.as_deref(), Some(format!("{}/products/knit-gloves", server.uri()).as_str()));

    let gloves = shop.search_products("warm gloves", 3).await.expect("answered");
    assert_eq!(gloves.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["632910394"]);
    assert!(shop.search_products("추천해주세요", 3).await.expect("nothing to search").is_empty());
}

const CANCEL_1003: &str = "/admin/api/2024-10/orders/450790472/cancel.json";

fn preparing_1003() -> Value {
    order("#1003", "minsu.kim@example.com", None, None, vec![])
}

/// `POST orders/{id}/cancel.json` answers with the order as it is after.
fn cancelled(mut order: Value) -> ResponseTemplate {
    order["cancelled_at"] = json!("2026-12-02T10:00:00+09:00");
    order["cancel_reason"] = json!("customer");
    ResponseTemplate::new(200).set_body_json(json!({ "order": order }))
}

#[tokio::test]
async fn an_unshipped_order_is_cancelled_for_its_customer() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1003", orders(vec![preparing_1003()])).await;
    Mock::given(method("POST"))
        .and(path(CANCEL_1003))
        .and(header("X-Shopify-Access-Token", TOKEN))
        .respond_with(cancelled(preparing_1003()))
        .expect(1)
        .mount(&server)
        .await;
    let done = shop(&server).cancel_order("1003", &email("minsu.kim@example.com")).await.expect("answered");
    let Cancellation::Cancelled(order) = done else { panic!("{done:?}") };
    assert_eq!((order.number.as_str(), order.status), ("1003", OrderStatus::Cancelled));
}

#[tokio::test]
async fn cancelling_someone_elses_order_never_calls_cancel() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1003", orders(vec![preparing_1003()])).await;
    Mock::given(method("POST")).respond_with(cancelled(preparing_1003())).expect(0).mount(&server).await;
    let done = shop(&server).cancel_order("1003", &email("happy@example.com")).await.expect("answered");
    assert_eq!(done, Cancellation::NotYours);
}

#[tokio::test]
async fn a_shipped_or_cancelled_order_is_not_cancelled_again() {
    let server = MockServer::start().await;
    mock_order_lookup(&server, "1001", orders(vec![shipped_1001()])).await;
    let mut gone = preparing_1003();
    gone["cancelled_at"] = json!("2026-12-01T09:00:00+09:00");
    mock_order_lookup(&server, "1003", orders(vec![gone])).await;
    Mock::given(method("POST")).respond_with(cancelled(preparing_1003())).expect(0).mount(&server).await;
    let shipped = shop(&server).cancel_order("1001", &email("happy@example.com")).await.expect("answered");
    assert!(matches!(shipped, Cancellation::TooLate(_)), "{shipped:?}");
    let again = shop(&server).cancel_order("1003", &email("minsu.kim@example.com")).await.expect("answered");
    assert!(matches!(again, Cancellation::AlreadyCancelled(_)), "{again:?}");
}

#[tokio::test]
async fn shopify_refusing_the_cancel_is_too_late_and_a_throttle_is_a_throttle() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path(ORDERS)).respond_with(orders(vec![preparing_1003()])).mount(&server).await;
    Mock::given(method("POST"))
        .and(path(CANCEL_1003))
        .respond_with(shopify_error(422, "Cannot cancel an order that has been fulfilled"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let refused = shop(&server).cancel_order("1003", &email("minsu.kim@example.com")).await.expect("answered");
    assert!(matches!(refused, Cancellation::TooLate(_)), "{refused:?}");
    Mock::given(method("POST"))
        .and(path(CANCEL_1003))
        .respond_with(shopify_error(429, "Exceeded 2 calls per second").insert_header("Retry-After", "1.0"))
        .mount(&server)
        .await;
    let error = shop(&server).cancel_order("1003", &email("minsu.kim@example.com")).await.expect_err("throttled");
    assert!(matches!(error, CommerceError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(1)));
}
