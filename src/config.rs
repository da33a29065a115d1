//! Configuration: built-in defaults, an optional `sangdam.toml`, environment variables, flags.
//!
//! Each later source overrides the earlier ones. Flags and environment variables are declared
//! together in `cli` (clap reads both); this module supplies the file and the defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::accounts::auth::{LoginConfig, TokenLifetimes};
use crate::accounts::throttle::ThrottleConfig;
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
    /// Longest a client may take to send a request's line and headers, in milliseconds
    /// (`SANGDAM_HEADER_TIMEOUT_MS`, default 10000).
    pub header_timeout_ms: Option<u64>,
    /// Longest a client may take to send a request's body, in milliseconds
    /// (`SANGDAM_BODY_TIMEOUT_MS`, default 30000).
    pub body_timeout_ms: Option<u64>,
    /// Most connections served at once (`SANGDAM_MAX_CONNECTIONS`, default 1024, lowered to half
    /// the open-file limit).
    pub max_connections: Option<u64>,
    /// Most live streams (server-sent events) at once (`SANGDAM_MAX_STREAMS`, default 512).
    pub max_streams: Option<u64>,
    /// Most live streams of one webchat conversation (`SANGDAM_MAX_STREAMS_PER_CONVERSATION`, default 8).
    pub max_streams_per_conversation: Option<u64>,
    /// Most console streams of one account (`SANGDAM_MAX_STREAMS_PER_ACCOUNT`, default 8).
    pub max_streams_per_account: Option<u64>,
    /// Webchat conversations one client address may open per minute, with bursts of twice as
    /// many (`SANGDAM_CONVERSATIONS_PER_ADDRESS`, default 10).
    pub conversations_per_address: Option<u64>,
    /// Webchat conversations one widget key may open per minute, with bursts of twice as many
    /// (`SANGDAM_CONVERSATIONS_PER_WIDGET_KEY`, default 600).
    pub conversations_per_widget_key: Option<u64>,
    /// Failed logins in a row one login may have before it waits (`SANGDAM_LOGIN_MAX_FAILURES`,
    /// default 5).
    pub login_max_failures: Option<u32>,
    /// Login attempts one client address may make before it waits
    /// (`SANGDAM_LOGIN_ADDRESS_MAX_ATTEMPTS`, default 50).
    pub login_address_max_attempts: Option<u32>,
    /// Seconds a spent login budget takes to be whole again (`SANGDAM_LOGIN_WINDOW_SECS`, default 300).
    pub login_window_secs: Option<u64>,
    /// Hours a login token may go unused (`SANGDAM_TOKEN_IDLE_HOURS`, default 12).
    pub token_idle_hours: Option<u64>,
    /// Days a login token lives at most (`SANGDAM_TOKEN_MAX_DAYS`, default 30).
    pub token_max_days: Option<u64>,
    /// Believe `X-Forwarded-For` for the client address (`SANGDAM_BEHIND_PROXY`, default false).
    pub behind_proxy: Option<bool>,
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
    /// Bounds on connections, live streams and conversation creation.
    pub limits: Limits,
    /// Login throttling, token lifetimes and whether a proxy tells the client address.
    pub logins: LoginConfig,
    /// Base URL of Twilio's REST API, without a trailing slash.
    pub twilio_api_base: String,
    /// Internal addresses outbound calls may reach anyway.
    pub outbound_allow: AllowList,
}

/// How much the server lets clients hold: each bound keeps one client from using up what all
/// the others need (connections, open files, memory).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a client may take over a request's line and headers (also how long an idle
    /// kept-alive connection stays open).
    pub header_timeout: std::time::Duration,
    /// Longest a client may take over a request's body, from the end of its headers.
    pub body_timeout: std::time::Duration,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most live streams at once, all routes together.
    pub max_streams: usize,
    /// Most live streams of one webchat conversation.
    pub max_streams_per_conversation: usize,
    /// Most console streams of one account.
    pub max_streams_per_account: usize,
    /// Conversations one client address may open per minute (bursts of twice as many).
    pub conversations_per_address: u32,
    /// Conversations one widget key may open per minute (bursts of twice as many).
    pub conversations_per_widget_key: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 1024,
            max_streams: 512,
            max_streams_per_conversation: 8,
            max_streams_per_account: 8,
            conversations_per_address: 10,
            conversations_per_widget_key: 600,
        }
    }
}

impl Limits {
    /// The defaults, overridden by the file, overridden by the environment.
    fn resolve(file: &FileConfig) -> anyhow::Result<Self> {
        let d = Self::default();
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let count = |v: usize| v as u64;
        let header = bound(
            "SANGDAM_HEADER_TIMEOUT_MS",
            "header_timeout_ms",
            file.header_timeout_ms,
            ms(d.header_timeout),
            100..=600_000,
        )?;
        let body = bound(
            "SANGDAM_BODY_TIMEOUT_MS",
            "body_timeout_ms",
            file.body_timeout_ms,
            ms(d.body_timeout),
            100..=3_600_000,
        )?;
        let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let rate = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Self {
            header_timeout: std::time::Duration::from_millis(header),
            body_timeout: std::time::Duration::from_millis(body),
            max_connections: size(bound(
                "SANGDAM_MAX_CONNECTIONS",
                "max_connections",
                file.max_connections,
                count(d.max_connections),
                1..=1_000_000,
            )?),
            max_streams: size(bound(
                "SANGDAM_MAX_STREAMS",
                "max_streams",
                file.max_streams,
                count(d.max_streams),
                1..=1_000_000,
            )?),
            max_streams_per_conversation: size(bound(
                "SANGDAM_MAX_STREAMS_PER_CONVERSATION",
                "max_streams_per_conversation",
                file.max_streams_per_conversation,
                count(d.max_streams_per_conversation),
                1..=10_000,
            )?),
            max_streams_per_account: size(bound(
                "SANGDAM_MAX_STREAMS_PER_ACCOUNT",
                "max_streams_per_account",
                file.max_streams_per_account,
                count(d.max_streams_per_account),
                1..=10_000,
            )?),
            conversations_per_address: rate(bound(
                "SANGDAM_CONVERSATIONS_PER_ADDRESS",
                "conversations_per_address",
                file.conversations_per_address,
                u64::from(d.conversations_per_address),
                1..=1_000_000,
            )?),
            conversations_per_widget_key: rate(bound(
                "SANGDAM_CONVERSATIONS_PER_WIDGET_KEY",
                "conversations_per_widget_key",
                file.conversations_per_widget_key,
                u64::from(d.conversations_per_widget_key),
                1..=1_000_000,
            )?),
        })
    }
}

/// A whole number from the environment variable `env`, else the file's `key`, else `default`;
/// outside `range` it is refused, naming where it came from.
fn bound(
    env: &str,
    key: &str,
    file: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> anyhow::Result<u64> {
    let (value, source) = match std::env::var(env).ok().filter(|v| !v.is_empty()) {
        Some(v) => (v.trim().parse::<u64>().map_err(|_| anyhow::anyhow!("{env}: {v:?} is not a whole number"))?, env),
        None => (file.unwrap_or(default), key),
    };
    if !range.contains(&value) {
        anyhow::bail!("{source}: give {} to {}, not {value}", range.start(), range.end());
    }
    Ok(value)
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
        let limits = Limits::resolve(&file)?;
        let logins = login_config(&file)?;
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
            logins,
            twilio_api_base,
            outbound_allow,
            addr,
            limits,
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

/// A number from the environment variable `var`, else from the file, else `default`; within `range`.
fn number<T>(var: &str, from_file: Option<T>, default: T, range: std::ops::RangeInclusive<T>) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let value = match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(v) => v.trim().parse::<T>().map_err(|_| anyhow::anyhow!("{var}: {v:?} is not a whole number"))?,
        None => from_file.unwrap_or(default),
    };
    if !range.contains(&value) {
        anyhow::bail!("{var}: give {} to {}, not {value}", range.start(), range.end());
    }
    Ok(value)
}

fn login_config(file: &FileConfig) -> anyhow::Result<LoginConfig> {
    let defaults = ThrottleConfig::default();
    let throttle = ThrottleConfig {
        per_login: number("SANGDAM_LOGIN_MAX_FAILURES", file.login_max_failures, defaults.per_login, 1..=1000)?,
        per_address: number(
            "SANGDAM_LOGIN_ADDRESS_MAX_ATTEMPTS",
            file.login_address_max_attempts,
            defaults.per_address,
            1..=100_000,
        )?,
        window: std::time::Duration::from_secs(number(
            "SANGDAM_LOGIN_WINDOW_SECS",
            file.login_window_secs,
            defaults.window.as_secs(),
            1..=86_400,
        )?),
    };
    let lifetimes = TokenLifetimes::default();
    let idle_hours = u64::try_from(lifetimes.idle.num_hours()).unwrap_or(12);
    let max_days = u64::try_from(lifetimes.max.num_days()).unwrap_or(30);
    let idle = number("SANGDAM_TOKEN_IDLE_HOURS", file.token_idle_hours, idle_hours, 1..=24 * 365)?;
    let max = number("SANGDAM_TOKEN_MAX_DAYS", file.token_max_days, max_days, 1..=3650)?;
    let hours = |h: u64| chrono::TimeDelta::hours(i64::try_from(h).unwrap_or(i64::MAX / 3_600_000));
    let behind_proxy = match std::env::var("SANGDAM_BEHIND_PROXY").ok().filter(|v| !v.is_empty()) {
        Some(v) => match v.trim() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            other => anyhow::bail!("SANGDAM_BEHIND_PROXY: {other:?} is neither true nor false"),
        },
        None => file.behind_proxy.unwrap_or(false),
    };
    Ok(LoginConfig { throttle, tokens: TokenLifetimes { idle: hours(idle), max: hours(max * 24) }, behind_proxy })
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
        let file: FileConfig = toml::from_str("max_connections = 0").unwrap();
        let err = Config::resolve(file, Overrides::default(), None).unwrap_err();
        assert!(err.to_string().starts_with("max_connections:"), "{err}");
    }

    #[test]
    fn limits_come_from_the_file() {
        let file: FileConfig =
            toml::from_str("header_timeout_ms = 2500\nmax_streams = 40\nconversations_per_address = 3").unwrap();
        let c = Config::resolve(file, Overrides::default(), None).unwrap();
        assert_eq!(c.limits.header_timeout, std::time::Duration::from_millis(2500));
        assert_eq!(c.limits.max_streams, 40);
        assert_eq!(c.limits.conversations_per_address, 3);
        assert_eq!(c.limits.max_connections, Limits::default().max_connections);
    }
}
