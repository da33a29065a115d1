//! LLM mode against a mock OpenAI-compatible API: routing by tool calling, grounded answers, the
//! conversation in the prompt, the order tools the engine runs, and the fallback to the embedded
//! router on malformed tool calls, 429s, 5xx and timeouts with the conversation state intact.

use std::path::Path;
use std::time::Duration;

use sangdam::agent::build::{AgentConfig, build};
use sangdam::agent::deliver::{Capture, converse};
use sangdam::agent::{Agent, Confirmation, ConversationState, CustomerInfo, Outcome, Performed, Speaker, Turn};
use sangdam::channels::ChannelKind;
use sangdam::commerce::{CustomerKey, OrderLookup, OrderStatus};
use sangdam::llm::LlmConfig;
use sangdam::outbound::{AllowList, Outbound};
use sangdam::secret::Secret;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn agent(server: &MockServer, timeout: Duration) -> Agent {
    let allow = AllowList::parse("127.0.0.1/32").expect("allow list");
    build(&config(server, timeout), &Outbound::new(allow)).expect("the agent builds").0
}

fn config(server: &MockServer, timeout: Duration) -> AgentConfig {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    AgentConfig {
        skills_dir: root.join("skills"),
        knowledge_dir: root.join("examples/knowledge"),
        demo_shop: None,
        shopify: None,
        guardrails: None,
        llm: Some(LlmConfig {
            base_url: format!("{}/v1", server.uri()),
            model: "test-model".into(),
            api_key: Secret::new("sk-test"),
            timeout,
        }),
    }
}

/// An LLM server on an internal address is refused when the agent is built, unless allowed.
#[tokio::test]
async fn an_internal_llm_address_is_refused_unless_allowed() {
    let server = MockServer::start().await;
    let error = build(&config(&server, Duration::from_secs(1)), &Outbound::default()).err().expect("refused");
    let message = format!("{error:#}");
    assert!(message.contains("the address is not allowed for outbound calls"), "{message}");
    assert!(message.contains("SANGDAM_OUTBOUND_ALLOW"), "{message}");
    assert!(server.received_requests().await.expect("recorded").is_empty());
}

fn completion(message: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_763_700_000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
    }))
}

fn routed(arguments: &str) -> ResponseTemplate {
    completion(json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "route_message", "arguments": arguments}}],
    }))
}

async fn ask(agent: &Agent, text: &str) -> (Outcome, Vec<String>) {
    let settings = sangdam::simulate::full_settings(agent, ChannelKind::Webchat);
    let customer = CustomerInfo::default();
    let turn = Turn { channel: ChannelKind::Webchat, settings: &settings, customer: &customer, text };
    let capture = Capture::default();
    let outcome = converse(agent, &turn, ConversationState::default(), &capture).await.unwrap();
    (outcome, capture.replies())
}

#[tokio::test]
async fn routes_by_tool_call_and_answers_from_the_passages() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_string_contains("route_message"))
        .respond_with(routed(r#"{"skill": "faq", "confidence": 0.93}"#))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(
            json!({"role": "assistant", "content": "국내 배송비는 3,000원이고, 5만원 이상이면 무료예요."}),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    let agent = agent(&server, Duration::from_secs(2));
    let (outcome, replies) = ask(&agent, "배송비 얼마예요?").await;
    assert_eq!((outcome.trace.router.as_str(), outcome.trace.intent.as_deref()), ("llm", Some("faq")));
    assert!((outcome.trace.confidence - 0.93).abs() < 1e-6);
    assert_eq!(replies, ["국내 배송비는 3,000원이고, 5만원 이상이면 무료예요."]);

    let requests = server.received_requests().await.unwrap();
    let route: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(route["model"], "test-model");
    assert_eq!(route["tool_choice"], "required");
    let tools: Vec<&str> =
        route["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(tools, ["route_message", "lookup_order", "cancel_order"]);
    let order = &route["tools"][1]["function"]["parameters"];
    assert_eq!(order["required"], json!(["order_number"]), "schemars-generated: {order}");
    assert_eq!(order["additionalProperties"], false, "{order}");
    let parameters = &route["tools"][0]["function"]["parameters"];
    let allowed: Vec<&str> =
        parameters["properties"]["skill"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(allowed.contains(&"order_tracking") && allowed.contains(&"none"), "{allowed:?}");
    assert!(parameters["properties"]["confidence"].is_object(), "schemars-generated: {parameters}");
    // The answer is grounded: the prompt carries the retrieved passage.
    let answer: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert!(answer["messages"][0]["content"].as_str().unwrap().contains("3,000원"), "{answer}");
    assert!(answer.get("tools").is_none());
}

#[tokio::test]
async fn none_from_the_model_is_out_of_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(routed(r#"{"skill": "none", "confidence": 0.8}"#)).mount(&server).await;
    let agent = agent(&server, Duration::from_secs(2));
    let (outcome, _) = ask(&agent, "오늘 날씨 어때?").await;
    assert_eq!(outcome.trace.router, "llm");
    assert_eq!(outcome.trace.handoff.unwrap().reason.as_str(), "out_of_scope");
}

#[tokio::test]
async fn malformed_tool_calls_fall_back_to_the_embedded_router() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("route_message"))
        .respond_with(routed(r#"{"skill": "faq", "conf"#))
        .mount(&server)
        .await;
    let agent = agent(&server, Duration::from_secs(2));
    let (outcome, replies) = ask(&agent, "주문번호 1001 배송 어디쯤이에요?").await;
    assert_eq!(outcome.trace.router, "embedded");
    assert!(outcome.trace.llm_error.as_deref().unwrap().contains("arguments"), "{:?}", outcome.trace);
    assert_eq!(outcome.trace.intent.as_deref(), Some("order_tracking"));
    assert!(replies[0].contains("1001"));

    // A tool call naming a skill that doesn't exist is no better.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(routed(r#"{"skill": "teleport", "confidence": 0.9}"#))
        .mount(&server)
        .await;
    let (outcome, _) = ask(&agent, "안녕하세요").await;
    assert!(outcome.trace.llm_error.as_deref().unwrap().contains("teleport"));
    assert_eq!(outcome.trace.intent.as_deref(), Some("greeting"));
}

#[tokio::test]
async fn rate_limits_and_timeouts_fall_back_too() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).set_body_json(json!({
        "error": {"message": "Rate limit reached for requests", "type": "requests", "param": null, "code": "rate_limit_exceeded"}
    }));
    Mock::given(method("POST")).respond_with(limited).mount(&server).await;
    let agent = agent(&server, Duration::from_secs(3));
    let (outcome, replies) = ask(&agent, "where is order 1002?").await;
    assert_eq!(outcome.trace.router, "embedded");
    assert!(outcome.trace.llm_error.is_some());
    assert_eq!(outcome.trace.intent.as_deref(), Some("order_tracking"));
    assert!(replies[0].contains("email"), "{replies:?}");
    assert!(!server.received_requests().await.unwrap().is_empty());

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(routed(r#"{"skill": "faq", "confidence": 0.9}"#).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let agent = self::agent(&server, Duration::from_millis(300));
    let started = std::time::Instant::now();
    let (outcome, _) = ask(&agent, "안녕하세요").await;
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout bounds the call");
    assert!(outcome.trace.llm_error.as_deref().unwrap().contains("did not answer within"), "{:?}", outcome.trace);
    assert_eq!(outcome.trace.intent.as_deref(), Some("greeting"));
}

fn tool_call(name: &str, arguments: &str) -> ResponseTemplate {
    completion(json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{"id": "call_7", "type": "function", "function": {"name": name, "arguments": arguments}}],
    }))
}

/// The next request gets `response`, once; later ones fall through to the next mounted.
async fn once(server: &MockServer, priority: u8, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .up_to_n_times(1)
        .with_priority(priority)
        .mount(server)
        .await;
}

fn customer(email: &str) -> CustomerInfo {
    CustomerInfo { email: Some(email.into()), ..CustomerInfo::default() }
}

/// One message of a conversation, from `state`.
async fn say(agent: &Agent, customer: &CustomerInfo, state: ConversationState, text: &str) -> (Outcome, Vec<String>) {
    let settings = sangdam::simulate::full_settings(agent, ChannelKind::Webchat);
    let turn = Turn { channel: ChannelKind::Webchat, settings: &settings, customer, text };
    let capture = Capture::default();
    let outcome = converse(agent, &turn, state, &capture).await.unwrap();
    (outcome, capture.replies())
}

async fn bodies(server: &MockServer) -> Vec<Value> {
    server.received_requests().await.unwrap().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

/// The chat messages of a request as (role, content).
fn chat(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap().to_owned(), m["content"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_follow_up_reaches_the_model_with_the_conversation_and_the_engine_looks_the_order_up() {
    let server = MockServer::start().await;
    once(&server, 1, tool_call("lookup_order", r#"{"order_number": "1001"}"#)).await;
    // "when will it arrive?" names no order: the model takes it from the conversation.
    once(&server, 2, tool_call("lookup_order", r#"{"order_number": "1001"}"#)).await;
    let agent = agent(&server, Duration::from_secs(2));
    let happy = customer("happy@example.com");

    let (first, replies) = say(&agent, &happy, ConversationState::default(), "where is my order 1001?").await;
    assert_eq!((first.trace.router.as_str(), first.trace.intent.as_deref()), ("llm", Some("order_tracking")));
    assert_eq!(first.trace.skill.as_deref(), Some("order_tracking"));
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(replies[0].contains("Order 1001") && replies[0].contains("CJ대한통운"), "{replies:?}");
    assert!(replies[0].contains("640123456789"), "the shop's tracking number: {replies:?}");
    assert_eq!(first.state.topic.as_ref().unwrap().orders, ["1001"]);
    let said: Vec<(Speaker, &str)> = first.state.recent.iter().map(|s| (s.by, s.text.as_str())).collect();
    assert_eq!(said, [(Speaker::Customer, "where is my order 1001?"), (Speaker::Agent, replies[0].as_str())]);

    let (second, more) = say(&agent, &happy, first.state.clone(), "and when will it arrive?").await;
    assert_eq!(second.trace.router, "llm");
    assert_eq!(second.trace.skill.as_deref(), Some("order_tracking"));
    assert!(more[0].contains("expected on 2026-11-22"), "the arrival asked about: {more:?}");

    let requests = bodies(&server).await;
    assert_eq!(requests.len(), 2, "one routing call a turn, no answer call for an order");
    assert_eq!(chat(&requests[0]).len(), 2, "the first turn has no history: {:?}", chat(&requests[0]));
    let messages = chat(&requests[1]);
    let roles: Vec<&str> = messages.iter().map(|(role, _)| role.as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(messages[1].1, "where is my order 1001?");
    assert_eq!(messages[2].1, replies[0]);
    assert_eq!(messages[3].1, "and when will it arrive?");
    let system = &messages[0].1;
    assert!(system.contains("orders in play: 1001"), "{system}");
    assert!(system.contains("(skill order_tracking): where is my order 1001?"), "{system}");
    assert!(system.contains("follow-up"), "{system}");
}

#[tokio::test]
async fn an_order_of_another_customer_is_not_shown_and_an_unverified_one_asks_who_first() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(tool_call("lookup_order", r#"{"order_number": "1001"}"#))
        .mount(&server)
        .await;
    let agent = agent(&server, Duration::from_secs(2));

    let (outcome, replies) =
        say(&agent, &customer("minsu.kim@example.com"), ConversationState::default(), "where is order 1001?").await;
    assert_eq!(outcome.trace.router, "llm");
    assert!(replies[0].contains("couldn't find order 1001"), "{replies:?}");
    assert!(!replies[0].contains("CJ대한통운"), "{replies:?}");

    let stranger = CustomerInfo::default();
    let (asked, replies) = say(&agent, &stranger, ConversationState::default(), "where is order 1001?").await;
    assert!(replies[0].contains("email address or phone number"), "{replies:?}");
    assert!(!replies[0].contains("640123456789"), "{replies:?}");
    assert_eq!(asked.state.pending.as_ref().and_then(|p| p.order_number.as_deref()), Some("1001"));
    // The email typed next proves it, as in the embedded skill.
    let (_, replies) = say(&agent, &stranger, asked.state, "happy@example.com").await;
    assert!(replies[0].contains("640123456789"), "{replies:?}");
}

#[tokio::test]
async fn a_cancel_order_call_asks_first_and_the_yes_cancels_once() {
    let server = MockServer::start().await;
    once(&server, 1, tool_call("lookup_order", r#"{"order_number": "1003"}"#)).await;
    once(&server, 2, tool_call("cancel_order", r##"{"order_number": "#1003"}"##)).await;
    Mock::given(method("POST"))
        .respond_with(routed(r#"{"skill": "none", "confidence": 0.9}"#))
        .with_priority(3)
        .mount(&server)
        .await;
    let agent = agent(&server, Duration::from_secs(2));
    let minsu = customer("minsu.kim@example.com");

    let (first, _) = say(&agent, &minsu, ConversationState::default(), "where is my order 1003?").await;
    let (asked, replies) = say(&agent, &minsu, first.state, "cancel it").await;
    assert_eq!((asked.trace.router.as_str(), asked.trace.skill.as_deref()), ("llm", Some("order_cancellation")));
    assert!(asked.trace.actions.is_empty(), "a tool call cancels nothing: {:?}", asked.trace);
    assert!(replies[0].contains("Shall I cancel it now?"), "{replies:?}");
    assert_eq!(
        asked.state.confirm,
        Some(Confirmation::CancelOrder { skill: "order_cancellation".into(), order: "1003".into() })
    );
    let key = CustomerKey::parse("minsu.kim@example.com").unwrap();
    let status = |lookup: OrderLookup| match lookup {
        OrderLookup::Found(order) => order.status,
        other => panic!("{other:?}"),
    };
    assert_eq!(status(agent.commerce.order("1003", &key).await.unwrap()), OrderStatus::Preparing);

    let (yes, replies) = say(&agent, &minsu, asked.state, "yes").await;
    assert_eq!(yes.trace.actions, [Performed::OrderCancelled { order: "1003".into() }]);
    assert!(replies[0].contains("order 1003 is cancelled"), "{replies:?}");
    assert_eq!(status(agent.commerce.order("1003", &key).await.unwrap()), OrderStatus::Cancelled);
    assert_eq!(bodies(&server).await.len(), 2, "the yes is settled without the model");

    let (again, replies) = say(&agent, &minsu, yes.state, "yes").await;
    assert!(again.trace.actions.is_empty(), "{:?}", again.trace);
    assert!(replies[0].contains("already cancelled"), "{replies:?}");
    assert_eq!(again.state.cancelled, ["1003"]);
}

#[tokio::test]
async fn a_failing_model_on_the_follow_up_leaves_the_embedded_router_the_topic() {
    let server = MockServer::start().await;
    once(&server, 1, tool_call("lookup_order", r#"{"order_number": "1001"}"#)).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream exploded"))
        .with_priority(2)
        .mount(&server)
        .await;
    let agent = agent(&server, Duration::from_secs(2));
    let happy = customer("happy@example.com");
    let (first, _) = say(&agent, &happy, ConversationState::default(), "where is my order 1001?").await;
    assert_eq!(first.trace.router, "llm");

    let (second, replies) = say(&agent, &happy, first.state.clone(), "when will it arrive?").await;
    assert_eq!(second.trace.router, "embedded");
    assert!(second.trace.llm_error.as_deref().unwrap().contains("upstream exploded"), "{:?}", second.trace);
    assert_eq!(second.trace.skill.as_deref(), Some("order_tracking"), "the topic of turn 1 goes on");
    assert!(replies[0].contains("Order 1001") && replies[0].contains("2026-11-22"), "{replies:?}");
    assert_eq!(second.state.topic.as_ref().unwrap().orders, ["1001"]);
    assert_eq!(second.state.recent.len(), 4);
    assert_eq!(second.state.recent[..2], first.state.recent[..]);

    // A malformed order tool call is no better, nor an order the conversation never mentioned,
    // nor a tool that was never offered.
    for (name, arguments, why) in [
        ("cancel_order", r#"{"order_number": "1001", "reason": "x"}"#, "unknown field"),
        ("lookup_order", r#"{"order_number": "1009"}"#, "never mentioned"),
        ("refund_order", r#"{"order_number": "1001"}"#, "not offered"),
    ] {
        server.reset().await;
        Mock::given(method("POST")).respond_with(tool_call(name, arguments)).mount(&server).await;
        let (outcome, replies) = say(&agent, &happy, first.state.clone(), "when will it arrive?").await;
        assert_eq!(outcome.trace.router, "embedded", "{name}");
        assert!(outcome.trace.llm_error.as_deref().unwrap().contains(why), "{name}: {:?}", outcome.trace);
        assert!(outcome.state.confirm.is_none(), "{name}");
        assert!(replies[0].contains("Order 1001"), "{name}: {replies:?}");
    }
}

#[tokio::test]
async fn the_conversation_keeps_its_last_turns_cut_short() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let agent = agent(&server, Duration::from_secs(2));
    let mut state = ConversationState::default();
    let long = "안녕하세요 ".repeat(200);
    for text in ["안녕하세요", "배송비 얼마예요?", long.as_str(), "감사합니다"] {
        state = say(&agent, &CustomerInfo::default(), state, text).await.0.state;
    }
    assert_eq!(state.recent.len(), 6, "{:?}", state.recent);
    assert_eq!(state.recent[0].text, "배송비 얼마예요?");
    assert_eq!(state.recent[5].by, Speaker::Agent);
    assert!(state.recent.iter().all(|s| s.text.chars().count() <= 400));
    assert_eq!(state.recent[2].text.chars().count(), 400);
    // A state stored before the conversation was kept still reads.
    let old: ConversationState = serde_json::from_value(json!({"locale": "ko", "lookup_failures": 0})).unwrap();
    assert!(old.recent.is_empty());
}
