//! Optional LLM mode through any OpenAI-compatible API: routing by tool calling and answers
//! grounded in retrieved knowledge passages.
//!
//! Routing reads the conversation, not the message alone: the recent turns go before the message
//! as chat messages, and what the conversation is on (the topic, the orders in play, a question
//! the agent asked) goes into the system prompt. Besides `route_message` the model may call
//! `lookup_order` or `cancel_order`; those are requests for the engine, which runs the order skill
//! with its own owner checks and asks before it cancels anything. What the customer is told about
//! an order comes from the order skill's reply templates, never from the model.
//!
//! Every call is bounded by a timeout (the client's own retries on 429 and 5xx included); any
//! failure (timeout, HTTP error, a tool call that doesn't parse or names no known skill) is an
//! [`LlmError`], and the agent then falls back to the embedded router and the reply templates.
//! Prompts are handlebars templates in `prompts/`.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionTool, ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequestArgs,
    FunctionName, FunctionObject, ToolChoiceOptions,
};
use handlebars::Handlebars;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::knowledge::Answer;
use crate::locale::Locale;
use crate::outbound::Outbound;
use crate::secret::Secret;

const ROUTE_PROMPT: &str = include_str!("../../prompts/route.hbs");
const ANSWER_PROMPT: &str = include_str!("../../prompts/answer.hbs");
/// The routing tool's name.
const ROUTE_TOOL: &str = "route_message";
/// The tool that asks the engine where an order is.
const LOOKUP_TOOL: &str = "lookup_order";
/// The tool that asks the engine to offer cancelling an order.
const CANCEL_TOOL: &str = "cancel_order";
/// What the router says when no skill fits.
pub const NO_SKILL: &str = "none";

/// Where the LLM is.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key.
    pub api_key: Secret,
    /// Longest a call may take, retries included.
    pub timeout: Duration,
}

/// Why the LLM could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No answer in time.
    #[error("the LLM did not answer within {0:?}")]
    Timeout(Duration),
    /// The API refused or failed.
    #[error("the LLM API failed: {0}")]
    Api(String),
    /// The answer could not be used.
    #[error("the LLM answered something unusable: {0}")]
    Malformed(String),
}

/// The routing tool's arguments; its JSON schema is what the model is given.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteCall {
    /// The id of the skill that should answer, or "none".
    pub skill: String,
    /// How sure the model is, from 0 to 1.
    pub confidence: f32,
}

/// The order tools' arguments: which order.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCall {
    /// The order number, as the customer or the conversation gave it (e.g. "1001").
    pub order_number: String,
}

/// What the model decided about a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// A skill answers; `None` when the model says none fits.
    Skill {
        /// The skill id.
        skill: Option<String>,
        /// How sure the model is, from 0 to 1.
        confidence: f32,
    },
    /// The customer asks where this order is.
    LookupOrder(String),
    /// The customer asks to cancel this order.
    CancelOrder(String),
}

/// Which order tools the model is offered: those whose skill is enabled on the channel.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OrderTools {
    /// `lookup_order`.
    pub lookup: bool,
    /// `cancel_order`.
    pub cancel: bool,
}

/// The conversation so far, as the routing prompt is given it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversation {
    /// The last things said, oldest first; they become the chat messages before the message.
    #[serde(skip)]
    pub recent: Vec<Line>,
    /// What the last answer was about.
    pub topic: Option<TopicSummary>,
    /// A question the agent asked and waits an answer to, in words.
    pub pending: Option<String>,
}

/// One thing said in the conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// By the customer.
    Customer(String),
    /// By the agent.
    Agent(String),
}

/// What the last answer was about, for the routing prompt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TopicSummary {
    /// The skill that answered.
    pub skill: String,
    /// What the customer asked.
    pub question: String,
    /// The knowledge article answered from.
    pub article: Option<String>,
    /// Its section.
    pub section: Option<String>,
    /// The products shown, by name.
    pub products: Vec<String>,
    /// The orders in play, by number.
    pub orders: Vec<String>,
}

/// A skill as the routing prompt shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SkillChoice {
    /// The skill id.
    pub id: String,
    /// What it does.
    pub description: String,
}

/// An OpenAI-compatible chat model.
#[derive(Debug, Clone)]
pub struct Llm {
    client: Client<OpenAIConfig>,
    model: String,
    timeout: Duration,
    prompts: Handlebars<'static>,
}

impl Llm {
    /// A client for `config`, calling through `outbound`; fails when a shipped prompt does not
    /// compile or the guard refuses the configured address outright.
    pub fn new(config: &LlmConfig, outbound: &Outbound) -> Result<Self, LlmError> {
        let base = reqwest::Url::parse(&config.base_url)
            .map_err(|e| LlmError::Api(format!("llm_base_url {:?}: {e}", config.base_url)))?;
        outbound.check(&base).map_err(|e| {
            LlmError::Api(format!("llm_base_url {:?}: {e}; allow it with SANGDAM_OUTBOUND_ALLOW", config.base_url))
        })?;
        let http = outbound
            .llm_client(reqwest013::Client::builder().connect_timeout(config.timeout))
            .map_err(|e| LlmError::Api(format!("cannot build an HTTP client: {e}")))?;
        let api = OpenAIConfig::new()
            .with_api_base(config.base_url.trim_end_matches('/'))
            .with_api_key(config.api_key.expose());
        let mut prompts = Handlebars::new();
        prompts.set_strict_mode(true);
        prompts.register_escape_fn(handlebars::no_escape);
        for (name, text) in [("route", ROUTE_PROMPT), ("answer", ANSWER_PROMPT)] {
            prompts
                .register_template_string(name, text)
                .map_err(|e| LlmError::Malformed(format!("prompts/{name}.hbs: {e}")))?;
        }
        Ok(Self {
            client: Client::with_config(api).with_http_client(http),
            model: config.model.clone(),
            timeout: config.timeout,
            prompts,
        })
    }

    /// What to do with `text`, read in its `conversation`: a skill, or an order tool call for the
    /// engine to run. Only the offered `tools` and the known skill ids are valid answers.
    #[tracing::instrument(skip_all)]
    pub async fn route(
        &self,
        text: &str,
        skills: &[SkillChoice],
        tools: OrderTools,
        conversation: &Conversation,
    ) -> Result<Routed, LlmError> {
        let data = serde_json::json!({ "skills": skills, "tools": tools, "conversation": conversation });
        let system = self.render("route", &data)?;
        let mut parameters = schema::<RouteCall>()?;
        // Only the known ids (and "none") are valid answers; tell the model so in the schema.
        let ids: Vec<&str> = skills.iter().map(|s| s.id.as_str()).chain([NO_SKILL]).collect();
        parameters["properties"]["skill"]["enum"] = serde_json::json!(ids);
        let mut offered = vec![tool(ROUTE_TOOL, "Route the customer's message to one skill.", parameters)];
        if tools.lookup {
            let about = "Ask the shop where one order is. The shop checks that the order is the customer's.";
            offered.push(tool(LOOKUP_TOOL, about, schema::<OrderCall>()?));
        }
        if tools.cancel {
            let about = "Offer to cancel one order. Nothing is cancelled until the customer confirms.";
            offered.push(tool(CANCEL_TOOL, about, schema::<OrderCall>()?));
        }
        let choice = if offered.len() == 1 {
            ChatCompletionToolChoiceOption::Function(ChatCompletionNamedToolChoice {
                function: FunctionName { name: ROUTE_TOOL.into() },
            })
        } else {
            ChatCompletionToolChoiceOption::Mode(ToolChoiceOptions::Required)
        };
        let mut chat = vec![ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(system))];
        chat.extend(conversation.recent.iter().map(|line| match line {
            Line::Customer(text) => ChatCompletionRequestMessage::User(text.as_str().into()),
            Line::Agent(text) => {
                ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage::from(text.as_str()))
            }
        }));
        chat.push(ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(text)));
        let request = CreateChatCompletionRequestArgs::default()
            .model(&self.model)
            .messages(chat)
            .tools(offered)
            .tool_choice(choice)
            .temperature(0.0)
            .build()
            .map_err(|e| LlmError::Malformed(e.to_string()))?;
        let response = self.call(self.client.chat().create(request)).await?;
        let call = response
            .choices
            .first()
            .and_then(|c| c.message.tool_calls.as_ref())
            .and_then(|calls| {
                calls.iter().find_map(|call| match call {
                    ChatCompletionMessageToolCalls::Function(f) => Some(&f.function),
                    _ => None,
                })
            })
            .ok_or_else(|| LlmError::Malformed("no tool call".into()))?;
        match call.name.as_str() {
            ROUTE_TOOL => routed_skill(&call.arguments, skills),
            LOOKUP_TOOL if tools.lookup => order_number(LOOKUP_TOOL, &call.arguments).map(Routed::LookupOrder),
            CANCEL_TOOL if tools.cancel => order_number(CANCEL_TOOL, &call.arguments).map(Routed::CancelOrder),
            other => Err(LlmError::Malformed(format!("a call of the tool {other:?}, which was not offered"))),
        }
    }

    /// An answer to `question` from `passages` only.
    #[tracing::instrument(skip_all)]
    pub async fn answer(
        &self,
        question: &str,
        passages: &[Answer],
        locale: Locale,
        sms: bool,
        tone: &str,
    ) -> Result<String, LlmError> {
        let language = match locale {
            Locale::Ko => "Korean",
            Locale::En => "English",
        };
        let data = serde_json::json!({ "passages": passages, "language": language, "sms": sms, "tone": tone });
        let system = self.render("answer", &data)?;
        let request = CreateChatCompletionRequestArgs::default()
            .model(&self.model)
            .messages(messages(&system, question))
            .temperature(0.2)
            .build()
            .map_err(|e| LlmError::Malformed(e.to_string()))?;
        let response = self.call(self.client.chat().create(request)).await?;
        let text = response.choices.first().and_then(|c| c.message.content.clone()).unwrap_or_default();
        let text = text.trim();
        if text.is_empty() {
            return Err(LlmError::Malformed("an empty answer".into()));
        }
        Ok(text.to_owned())
    }

    fn render(&self, name: &str, data: &serde_json::Value) -> Result<String, LlmError> {
        self.prompts.render(name, data).map_err(|e| LlmError::Malformed(format!("prompts/{name}.hbs: {e}")))
    }

    async fn call<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, async_openai::error::OpenAIError>>,
    ) -> Result<T, LlmError> {
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(LlmError::Timeout(self.timeout)),
            Ok(Err(async_openai::error::OpenAIError::JSONDeserialize(e, _))) => Err(LlmError::Malformed(e.to_string())),
            Ok(Err(e)) => Err(LlmError::Api(e.to_string())),
            Ok(Ok(value)) => Ok(value),
        }
    }
}

/// The skill a `route_message` call names, when it is a known one.
fn routed_skill(arguments: &str, skills: &[SkillChoice]) -> Result<Routed, LlmError> {
    let args: RouteCall =
        serde_json::from_str(arguments).map_err(|e| LlmError::Malformed(format!("{ROUTE_TOOL} arguments: {e}")))?;
    if !(0.0..=1.0).contains(&args.confidence) {
        return Err(LlmError::Malformed(format!("confidence {} is outside 0..1", args.confidence)));
    }
    match args.skill.as_str() {
        NO_SKILL => Ok(Routed::Skill { skill: None, confidence: args.confidence }),
        id if skills.iter().any(|s| s.id == id) => {
            Ok(Routed::Skill { skill: Some(args.skill), confidence: args.confidence })
        }
        other => Err(LlmError::Malformed(format!("unknown skill {other:?}"))),
    }
}

/// The order number an order tool call names.
fn order_number(tool: &str, arguments: &str) -> Result<String, LlmError> {
    let args: OrderCall =
        serde_json::from_str(arguments).map_err(|e| LlmError::Malformed(format!("{tool} arguments: {e}")))?;
    let number = args.order_number.trim().trim_start_matches('#');
    if number.is_empty() {
        return Err(LlmError::Malformed(format!("{tool} without an order number")));
    }
    Ok(number.to_owned())
}

/// The JSON schema of a tool's arguments, generated from their Rust type.
fn schema<T: JsonSchema>() -> Result<serde_json::Value, LlmError> {
    serde_json::to_value(schemars::schema_for!(T)).map_err(|e| LlmError::Malformed(e.to_string()))
}

fn tool(name: &str, description: &str, parameters: serde_json::Value) -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: name.into(),
            description: Some(description.into()),
            parameters: Some(parameters),
            strict: None,
        },
    })
}

fn messages(system: &str, user: &str) -> Vec<ChatCompletionRequestMessage> {
    vec![
        ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(system)),
        ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(user)),
    ]
}
