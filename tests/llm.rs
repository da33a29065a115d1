//! LLM mode against a mock OpenAI-compatible API: routing by tool calling, grounded answers, and
//! the fallback to the embedded router on malformed tool calls, 429s and timeouts.

use std::path::Path;
use std::time::Duration;

use sangdam::agent::build::{AgentConfig, build};
use sangdam::agent::deliver::{Capture, converse};
use sangdam::agent::{Agent, ConversationState, CustomerInfo, Outcome, Turn};
use sangdam::channels::ChannelKind;
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
    assert_eq!(route["tool_choice"]["function"]["name"], "route_message");
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
