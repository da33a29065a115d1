//! Putting the agent together from the data folders and the configured integrations.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::{Agent, Cues, Guardrails};
use crate::commerce::Commerce;
use crate::commerce::demo::DemoShop;
use crate::commerce::shopify::ShopifyCommerce;
use crate::knowledge::Knowledge;
use crate::launch::Capabilities;
use crate::llm::{Llm, LlmConfig};
use crate::outbound::Outbound;
use crate::router::{OUT_OF_SCOPE_FILE, Router, read_out_of_scope};
use crate::secret::Secret;
use crate::skills::{Catalog, Replies};

/// Where the agent's data and integrations come from.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Skill manifests and reply templates.
    pub skills_dir: PathBuf,
    /// Knowledge articles.
    pub knowledge_dir: PathBuf,
    /// A demo shop file instead of the built-in one.
    pub demo_shop: Option<PathBuf>,
    /// A Shopify store to use instead of the demo shop.
    pub shopify: Option<ShopifyConfig>,
    /// A guardrails file instead of the built-in one.
    pub guardrails: Option<PathBuf>,
    /// An OpenAI-compatible LLM for routing and answers.
    pub llm: Option<LlmConfig>,
}

/// A Shopify store.
#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    /// `brand.myshopify.com`.
    pub store: String,
    /// Admin API access token.
    pub token: Secret,
    /// Admin API version, e.g. `2024-10`.
    pub api_version: String,
}

/// How long a commerce call may take.
const COMMERCE_TIMEOUT: Duration = Duration::from_secs(5);

/// Loads and validates everything and trains the router; the shop and the LLM are called
/// through `outbound`.
pub fn build(config: &AgentConfig, outbound: &Outbound) -> anyhow::Result<(Agent, Capabilities)> {
    let catalog = Catalog::load(&config.skills_dir)?;
    let replies = Replies::load(&config.skills_dir, &catalog)?;
    let knowledge = Knowledge::load(&config.knowledge_dir)?;
    let cues = Cues::load(&config.skills_dir).map_err(anyhow::Error::msg)?;
    let commerce: Arc<dyn Commerce> = match (&config.shopify, &config.demo_shop) {
        (Some(shop), _) => Arc::new(
            ShopifyCommerce::new(&shop.store, shop.token.clone(), &shop.api_version, COMMERCE_TIMEOUT, outbound)
                .context("shopify")?,
        ),
        (None, Some(path)) => Arc::new(DemoShop::from_file(path)?),
        (None, None) => Arc::new(DemoShop::embedded()),
    };
    let guardrails = match &config.guardrails {
        Some(path) => Guardrails::load(path).map_err(anyhow::Error::msg)?,
        None => Guardrails::default(),
    };
    let started = Instant::now();
    let out_of_scope = read_out_of_scope(&config.skills_dir.join(OUT_OF_SCOPE_FILE))?;
    let router = Router::from_catalog(&catalog, &out_of_scope)?;
    tracing::info!(
        skills = catalog.iter().count(),
        articles = knowledge.len(),
        commerce = %commerce.describe(),
        train_ms = started.elapsed().as_millis() as u64,
        "agent ready"
    );
    let capabilities = Capabilities {
        commerce: Some(commerce.describe()),
        knowledge_articles: knowledge.len(),
        helpdesks: Vec::new(),
    };
    let agent = Agent {
        catalog: Arc::new(catalog),
        replies: Arc::new(replies),
        router: Arc::new(router),
        knowledge: Arc::new(knowledge),
        commerce,
        guardrails: Arc::new(guardrails),
        cues: Arc::new(cues),
        llm: config.llm.as_ref().map(|llm| Llm::new(llm, outbound)).transpose()?.map(Arc::new),
    };
    Ok((agent, capabilities))
}
