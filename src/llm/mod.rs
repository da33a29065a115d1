//! Optional LLM mode through any OpenAI-compatible API: routing by tool calling and answers
//! grounded in retrieved knowledge passages.
//!
//! Every call is bounded by a timeout (the client's own retries on 429 and 5xx included); any
//! failure (timeout, HTTP error, a tool call that doesn't parse or names no known skill) is an
//! [`LlmError`], and the agent then falls back to the embedded router and the reply templates.
//! Prompts are handlebars templates in `prompts/`.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage, ChatCompletionTool,
    ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequestArgs, FunctionName, FunctionObject,
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

    /// Which skill should answer `text`: `Ok(None)` when the model says none fits.
    #[tracing::instrument(skip_all)]
    pub async fn route(&self, text: &str, skills: &[SkillChoice]) -> Result<(Option<String>, f32), LlmError> {
        let system = self.render("route", &serde_json::json!({ "skills": skills }))?;
        let mut parameters =
            serde_json::to_value(schemars::schema_for!(RouteCall)).map_err(|e| LlmError::Malformed(e.to_string()))?;
        // Only the known ids (and "none") are valid answers; tell the model so in the schema.
        let ids: Vec<&str> = skills.iter().map(|s| s.id.as_str()).chain([NO_SKILL]).collect();
        parameters["properties"]["skill"]["enum"] = serde_json::json!(ids);
        let tool = ChatCompletionTools::Function(ChatCompletionTool {
            function: FunctionObject {
                name: ROUTE_TOOL.into(),
                description: Some("Route the customer's message to one skill.".into()),
                parameters: Some(parameters),
                strict: None,
            },
        });
        let request = CreateChatCompletionRequestArgs::default()
            .model(&self.model)
            .messages(messages(&system, text))
            .tools(vec![tool])
            .tool_choice(ChatCompletionToolChoiceOption::Function(ChatCompletionNamedToolChoice {
                function: FunctionName { name: ROUTE_TOOL.into() },
            }))
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
                    ChatCompletionMessageToolCalls::Function(f) if f.function.name == ROUTE_TOOL => Some(f),
                    _ => None,
                })
            })
            .ok_or_else(|| LlmError::Malformed("no route_message tool call".into()))?;
        let args: RouteCall = serde_json::from_str(&call.function.arguments)
            .map_err(|e| LlmError::Malformed(format!("route_message arguments: {e}")))?;
        if !(0.0..=1.0).contains(&args.confidence) {
            return Err(LlmError::Malformed(format!("confidence {} is outside 0..1", args.confidence)));
        }
        match args.skill.as_str() {
            NO_SKILL => Ok((None, args.confidence)),
            id if skills.iter().any(|s| s.id == id) => Ok((Some(args.skill), args.confidence)),
            other => Err(LlmError::Malformed(format!("unknown skill {other:?}"))),
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

fn messages(system: &str, user: &str) -> Vec<ChatCompletionRequestMessage> {
    vec![
        ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(system)),
        ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(user)),
    ]
}
