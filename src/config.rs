//! Configuration: built-in defaults, an optional `sangdam.toml`, environment variables, flags.
//!
//! Each later source overrides the earlier ones. Flags and environment variables are declared
//! together in `cli` (clap reads both); this module supplies the file and the defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::agent::build::{AgentConfig, ShopifyConfig};
use crate::llm::LlmConfig;
use crate::outbound::AllowList;
use crate::secret::Secret;
use crate::store::Location;

/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default data directory (the SQLite file lives here).
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default folder of skill manifests.
pub const DEFAULT_SKILLS_DIR: &str = "./skills";
/// Default folder of knowledge articles.
pub const DEFAULT_KNOWLEDGE_DIR: &str = "./examples/knowledge";
/// Shopify Admin API version used unless configured.
pub const DEFAULT_SHOPIFY_API_VERSION: &str = "2024-10";
/// Default folder of helpdesk adapters.
pub const DEFAULT_HANDOFF_DIR: &str = "./handoff";
/// Where Twilio's REST API lives unless configured (`SANGDAM_TWILIO_API_BASE`).
pub const DEFAULT_TWILIO_API_BASE: &str = "https://api.twilio.com";
/// Default limit on request bodies.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings as read from `sangdam.toml`; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address, `HOST:PORT`.
    pub addr: Option<String>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…` or `sqlite:PATH`).
    pub database_url: Option<String>,
    /// Externally visible base URL.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// `text` or `json` log lines.
    pub log_format: Option<String>,
    /// Folder of skill manifests.
    pub skills_dir: Option<PathBuf>,
    /// Folder of knowledge articles.
    pub knowledge_dir: Option<PathBuf>,
    /// A demo shop JSON file instead of the built-in one.
    pub demo_shop: Option<PathBuf>,
    /// A guardrails file instead of the built-in one.
    pub guardrails: Option<PathBuf>,
    /// `brand.myshopify.com`: use this Shopify store (token in `SHOPIFY_ACCESS_TOKEN`).
    pub shopify_store: Option<String>,
    /// Shopify Admin API version.
    pub shopify_api_version: Option<String>,
    /// Base URL of an OpenAI-compatible API; enables LLM mode (key in `SANGDAM_LLM_API_KEY`).
    pub llm_base_url: Option<String>,
    /// The LLM's model name.
    pub llm_model: Option<String>,
    /// Longest an LLM call may take, in milliseconds (default 4000).
    pub llm_timeout_ms: Option<u64>,
    /// Folder of helpdesk adapters (`SANGDAM_HANDOFF_DIR`).
    pub handoff_dir: Option<PathBuf>,
    /// Longest a helpdesk call may take, in milliseconds (`SANGDAM_HELPDESK_TIMEOUT_MS`, default 10000).
    pub helpdesk_timeout_ms: Option<u64>,
    /// How often the room sweeper (auto-close, alarms) runs, in milliseconds
    /// (`SANGDAM_SWEEP_EVERY_MS`, default 15000).
    pub sweep_every_ms: Option<u64>,
    /// Base URL of Twilio's REST API (`SANGDAM_TWILIO_API_BASE`, default https://api.twilio.com).
    pub twilio_api_base: Option<String>,
    /// Internal addresses outbound calls may reach anyway: comma-separated CIDR ranges,
    /// addresses or host names (`SANGDAM_OUTBOUND_ALLOW`).
    pub outbound_allow: Option<String>,
}

impl FileConfig {
    /// Reads `path`; a missing file is an empty configuration only when `required` is false.
    pub fn load(path: &Path, required: bool) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Self::default()),
            Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
        }
    }
}

/// Values given by flags or environment variables (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--addr` / `SANGDAM_ADDR`.
    pub addr: Option<String>,
    /// `--data-dir` / `SANGDAM_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url` / `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--public-url` / `SANGDAM_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `--skills-dir` / `SANGDAM_SKILLS_DIR`.
    pub skills_dir: Option<PathBuf>,
    /// `--knowledge-dir` / `SANGDAM_KNOWLEDGE_DIR`.
    pub knowledge_dir: Option<PathBuf>,
}

/// The resolved configuration of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Where the data lives.
    pub database: Location,
    /// Externally visible base URL, without a trailing slash; used for webhook signatures and
    /// the widget snippet.
    pub public_url: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// The agent's data folders and integrations.
    pub agent: AgentConfig,
    /// Helpdesk adapters and how long their calls may take.
    pub handoff: HandoffConfig,
    /// Emit JSON log lines.
    pub json_logs: bool,
    /// How often the room sweeper runs: auto-close and alarms.
    pub sweep_every: std::time::Duration,
    /// `SANGDAM_ADMIN_TOKEN`: the admin token to create or accept at start-up.
    pub admin_token: Option<Secret>,
    /// Base URL of Twilio's REST API, without a trailing slash.
    pub twilio_api_base: String,
    /// Internal addresses outbound calls may reach anyway.
    pub outbound_allow: AllowList,
}

/// Where helpdesk adapters come from and how patient the engine is with helpdesks.
#[derive(Debug, Clone)]
pub struct HandoffConfig {
    /// Folder of `<name>.toml` adapters and their body templates.
    pub dir: PathBuf,
    /// Longest one helpdesk call may take.
    pub timeout: std::time::Duration,
}

impl Config {
    /// Merges defaults, file and overrides; says which value is wrong when one is.
    pub fn resolve(file: FileConfig, over: Overrides, admin_token: Option<Secret>) -> anyhow::Result<Self> {
        let shopify_token = std::env::var("SHOPIFY_ACCESS_TOKEN").ok().filter(|t| !t.is_empty()).map(Secret::new);
        let addr_text = over.addr.or(file.addr).unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr: SocketAddr = addr_text
            .parse()
            .map_err(|_| anyhow::anyhow!("addr: {addr_text:?} is not HOST:PORT (for example 127.0.0.1:8080)"))?;
        let data_dir = over.data_dir.or(file.data_dir).unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let database = match over.database_url.or(file.database_url).filter(|u| !u.is_empty()) {
            Some(url) => Location::parse(&url).map_err(|e| anyhow::anyhow!("database_url: {e}"))?,
            None => Location::Sqlite(data_dir.join("sangdam.db")),
        };
        let public_url = over.public_url.or(file.public_url).unwrap_or_else(|| format!("http://{addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            anyhow::bail!("public_url: {public_url:?} must start with http:// or https://");
        }
        let json_logs = match file.log_format.as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => anyhow::bail!("log_format: {other:?} is neither \"text\" nor \"json\""),
        };
        let sweep_every_ms = match std::env::var("SANGDAM_SWEEP_EVERY_MS").ok().filter(|v| !v.is_empty()) {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| anyhow::anyhow!("SANGDAM_SWEEP_EVERY_MS: {v:?} is not a number of milliseconds"))?,
            None => file.sweep_every_ms.unwrap_or(15_000),
        };
        if !(50..=3_600_000).contains(&sweep_every_ms) {
            anyhow::bail!("sweep_every_ms: give 50 to 3600000 milliseconds, not {sweep_every_ms}");
        }
        let twilio_api_base = twilio_api_base(
            std::env::var("SANGDAM_TWILIO_API_BASE").ok().filter(|v| !v.is_empty()).or(file.twilio_api_base),
        )?;
        let outbound_allow = std::env::var("SANGDAM_OUTBOUND_ALLOW").ok().or(file.outbound_allow).unwrap_or_default();
        let outbound_allow =
            AllowList::parse(&outbound_allow).map_err(|e| anyhow::anyhow!("SANGDAM_OUTBOUND_ALLOW: {e}"))?;
        Ok(Config {
            twilio_api_base,
            outbound_allow,
            addr,
            sweep_every: std::time::Duration::from_millis(sweep_every_ms),
            data_dir,
            database,
            public_url: public_url.trim_end_matches('/').to_owned(),
            max_body_bytes: file.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            agent: AgentConfig {
                skills_dir: over.skills_dir.or(file.skills_dir).unwrap_or_else(|| DEFAULT_SKILLS_DIR.into()),
                knowledge_dir: over
                    .knowledge_dir
                    .or(file.knowledge_dir)
                    .unwrap_or_else(|| DEFAULT_KNOWLEDGE_DIR.into()),
                demo_shop: file.demo_shop,
                guardrails: file.guardrails,
                shopify: match (file.shopify_store, shopify_token) {
                    (Some(store), Some(token)) => Some(ShopifyConfig {
                        store,
                        token,
                        api_version: file.shopify_api_version.unwrap_or_else(|| DEFAULT_SHOPIFY_API_VERSION.into()),
                    }),
                    (Some(_), None) => anyhow::bail!("shopify_store is set but SHOPIFY_ACCESS_TOKEN is not"),
                    (None, _) => None,
                },
                llm: match std::env::var("SANGDAM_LLM_BASE_URL").ok().or(file.llm_base_url).filter(|u| !u.is_empty()) {
                    Some(base_url) => Some(LlmConfig {
                        base_url,
                        model: std::env::var("SANGDAM_LLM_MODEL")
                            .ok()
                            .or(file.llm_model)
                            .unwrap_or_else(|| "gpt-4o-mini".into()),
                        api_key: std::env::var("SANGDAM_LLM_API_KEY")
                            .or_else(|_| std::env::var("OPENAI_API_KEY"))
                            .map(Secret::new)
                            .map_err(|_| anyhow::anyhow!("llm_base_url is set but SANGDAM_LLM_API_KEY is not"))?,
                        timeout: std::time::Duration::from_millis(file.llm_timeout_ms.unwrap_or(4_000)),
                    }),
                    None => None,
                },
            },
            handoff: HandoffConfig {
                dir: std::env::var_os("SANGDAM_HANDOFF_DIR")
                    .map(PathBuf::from)
                    .or(file.handoff_dir)
                    .unwrap_or_else(|| DEFAULT_HANDOFF_DIR.into()),
                timeout: std::time::Duration::from_millis(
                    match std::env::var("SANGDAM_HELPDESK_TIMEOUT_MS").ok().filter(|v| !v.is_empty()) {
                        Some(v) => {
                            v.parse::<u64>().ok().filter(|ms| (100..=120_000).contains(ms)).ok_or_else(|| {
                                anyhow::anyhow!("SANGDAM_HELPDESK_TIMEOUT_MS: {v:?} is not 100 to 120000")
                            })?
                        }
                        None => file.helpdesk_timeout_ms.unwrap_or(10_000).clamp(100, 120_000),
                    },
                ),
            },
            json_logs,
            admin_token: admin_token.filter(|t| !t.expose().is_empty()),
        })
    }
}

/// An http(s) URL without query or credentials, stored without a trailing slash.
fn twilio_api_base(value: Option<String>) -> anyhow::Result<String> {
    let Some(value) = value else { return Ok(DEFAULT_TWILIO_API_BASE.to_owned()) };
    let bad = || anyhow::anyhow!("twilio_api_base: {value:?} is not an http(s) URL such as {DEFAULT_TWILIO_API_BASE}");
    let url = url::Url::parse(value.trim()).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.query().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if plain { Ok(url.as_str().trim_end_matches('/').to_owned()) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_with_no_file() {
        let c = Config::resolve(FileConfig::default(), Overrides::default(), None).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.database, Location::Sqlite(PathBuf::from("./data/sangdam.db")));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.twilio_api_base, DEFAULT_TWILIO_API_BASE);
    }

    #[test]
    fn twilio_and_outbound_settings_come_from_the_file() {
        let file: FileConfig =
            toml::from_str("twilio_api_base = \"http://twilio.mock:4010/\"\noutbound_allow = \"10.0.0.0/8, desk.lan\"")
                .unwrap();
        let c = Config::resolve(file, Overrides::default(), None).unwrap();
        assert_eq!(c.twilio_api_base, "http://twilio.mock:4010");
        assert_eq!(c.outbound_allow, AllowList::parse("10.0.0.0/8,desk.lan").unwrap());
        let file: FileConfig = toml::from_str("outbound_allow = \"10.0.0.0/99\"").unwrap();
        assert!(Config::resolve(file, Overrides::default(), None).is_err());
        let file: FileConfig = toml::from_str("twilio_api_base = \"api.twilio.com\"").unwrap();
        assert!(
            Config::resolve(file, Overrides::default(), None).unwrap_err().to_string().starts_with("twilio_api_base")
        );
    }

    #[test]
    fn flags_override_the_file() {
        let file: FileConfig = toml::from_str("addr = \"0.0.0.0:9000\"\ndata_dir = \"/var/lib/x\"").unwrap();
        let over = Overrides { addr: Some("127.0.0.1:7000".into()), ..Default::default() };
        let c = Config::resolve(file, over, None).unwrap();
        assert_eq!(c.addr.port(), 7000);
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/x"));
        assert_eq!(c.public_url, "http://127.0.0.1:7000");
    }

    #[test]
    fn bad_values_are_named() {
        let over = Overrides { addr: Some("nonsense".into()), ..Default::default() };
        let err = Config::resolve(FileConfig::default(), over, None).unwrap_err();
        assert!(err.to_string().starts_with("addr:"));
        assert!(toml::from_str::<FileConfig>("colour = 1").is_err());
        let over = Overrides { public_url: Some("ftp://x".into()), ..Default::default() };
        assert!(Config::resolve(FileConfig::default(), over, None).is_err());
    }
}
