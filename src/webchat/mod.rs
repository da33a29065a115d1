//! The webchat channel, customer side: widget settings, conversations, messages and history.
//!
//! The widget identifies the workspace with its public widget key; a conversation is then
//! accessed with the bearer token returned when it was opened, which only the customer's browser
//! holds. The engine serves the widget script itself ([`widget_script`]), each copy with a load
//! token ([`load`]) that its first settings call hands back: only that records the page's origin.
//!
//! Once a channel lists `allowed_origins`, a conversation is opened only from a page that says
//! where it is (`Origin`), or by a server of the brand that shows an operator token of the
//! workspace (admin or manager) beside the widget key.

pub mod load;
pub mod view;

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Serialize;

use crate::accounts::{Permission, Principal};
use crate::channels::{Channel, ChannelKind};
use crate::clock::Clock;
use crate::ids::{CustomerId, RoomId, WorkspaceId};
use crate::launch::Launcher;
use crate::locale::LocalizedText;
use crate::rooms::{CustomerIdentity, Room, RoomStatus, identity};
use crate::secret::{self, Secret, TokenKind};
use crate::store::{NewConversation, Store, StoreError};
pub use view::{ConversationState, CustomerMessage, Names};

/// The embeddable widget: `web/widget.js` with `web/widget.css` put in as a string where the
/// script says so (kept apart so each reads as what it is). [`widget_script`] adds the load token.
static WIDGET_JS: LazyLock<String> = LazyLock::new(|| {
    let css = serde_json::to_string(include_str!("../../web/widget.css")).unwrap_or_default();
    include_str!("../../web/widget.js").replacen("'/* sangdam:widget.css */'", &css, 1)
});

/// Where the script takes its load token.
const LOAD_PLACEHOLDER: &str = "'/* sangdam:load */'";

/// The widget script as served at `/widget.js`, carrying `token` (without one, the widget works
/// but its loads record no origin).
pub fn widget_script(token: Option<&str>) -> String {
    let token = token.and_then(|t| serde_json::to_string(t).ok()).unwrap_or_else(|| "''".to_owned());
    WIDGET_JS.replacen(LOAD_PLACEHOLDER, &token, 1)
}

/// How many messages a history read returns at most (the most recent ones).
pub const HISTORY_LIMIT: i64 = 500;

/// Why a webchat request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebchatError {
    /// The widget key is missing or unknown.
    #[error("the X-Widget-Key header is missing or does not name a webchat channel")]
    BadWidgetKey,
    /// The conversation token is missing or unknown.
    #[error("a valid conversation token is required (Authorization: Bearer …)")]
    BadToken,
    /// The token is valid but for another conversation, or the conversation does not exist.
    #[error("no such conversation")]
    NotFound,
    /// The page embedding the widget is not on the channel's allowed origins.
    #[error("the widget is not allowed on {0}; add it to the webchat channel's allowed_origins")]
    OriginNotAllowed(String),
    /// The channel lists allowed origins and the request names none.
    #[error(
        "the webchat channel lists allowed_origins, so the request must say its page's Origin; a server opens \
         conversations with an admin's or manager's API token (Authorization: Bearer) beside X-Widget-Key"
    )]
    OriginRequired,
    /// An operator token opening a conversation may not do so; says why.
    #[error("{0}")]
    Forbidden(String),
    /// A field is invalid; says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WebchatError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebchatError::NotFound,
            other => WebchatError::Store(other),
        }
    }
}

/// What the widget needs to render. The texts come in every language written: the widget shows
/// the one of the language it chose (the page's, the customer's browser's, or the channel's).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WidgetSettings {
    /// How the agent introduces itself.
    pub intro_message: Option<LocalizedText>,
    /// `ko` or `en`; the browser's language when null.
    pub locale: Option<String>,
    /// Header title.
    pub title: Option<LocalizedText>,
    /// Brand colour.
    pub color: Option<String>,
}

/// The page the widget runs on, as its request tells.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page<'a> {
    /// The page's `Origin` (or the origin of its `Referer`).
    pub origin: Option<&'a str>,
    /// The browser says the page is on the engine's own origin (`Sec-Fetch-Site: same-origin`):
    /// the engine's demo page, which may always load the widget to try it.
    pub engine_own: bool,
}

/// The webchat channel a widget key names.
pub async fn channel_for_key(store: &dyn Store, key: Option<&str>) -> Result<Channel, WebchatError> {
    let key = key.filter(|k| !k.is_empty() && k.len() <= 128).ok_or(WebchatError::BadWidgetKey)?;
    store.channel_by_widget_key(key).await?.filter(|c| c.kind == ChannelKind::Webchat).ok_or(WebchatError::BadWidgetKey)
}

/// The widget's first call: returns its settings and, when the page's origin is allowed and the
/// call brings a load token from a script this engine served, uses the token up and records the
/// origin, which may complete the launch checklist's `channel_setup`. Without a good token the
/// settings are answered all the same (a cached script's token is spent already) but nothing is
/// recorded: a request naming an origin proves nothing by itself.
pub async fn widget_settings(
    launcher: &Launcher<'_>,
    tokens: &load::LoadTokens,
    key: Option<&str>,
    page: Page<'_>,
    load_token: Option<&str>,
) -> Result<WidgetSettings, WebchatError> {
    let channel = channel_for_key(launcher.store, key).await?;
    if let Some(origin) = allowed_origin(&channel, page)?
        && let Some(token) = load_token
        && tokens.redeem(launcher.store, token, launcher.clock.now()).await?
    {
        let ws = channel.workspace_id;
        if launcher.store.record_widget_origin(ws, &origin, launcher.clock.now()).await? {
            // The widget must load even if the checklist can't be updated right now; the next
            // evaluation reads the recorded origin anyway.
            if let Err(e) = launcher.widget_loaded(ws, &origin).await {
                tracing::warn!(error = %e, %ws, "could not re-evaluate the launch checklist");
            }
        }
    }
    let s = channel.settings;
    Ok(WidgetSettings { intro_message: s.intro_message, locale: s.locale, title: s.title, color: s.color })
}

/// The page's origin when the channel lists it; an error when the channel lists others. A channel
/// that lists none yet accepts every page (so it can be tried out) but records none, and the
/// engine's own pages are always accepted (recorded only when listed, like any other origin).
fn allowed_origin(channel: &Channel, page: Page<'_>) -> Result<Option<String>, WebchatError> {
    let allowed = &channel.settings.allowed_origins;
    match page.origin.and_then(normalise_origin) {
        Some(origin) if allowed.contains(&origin) => Ok(Some(origin)),
        Some(origin) if !allowed.is_empty() && !page.engine_own => Err(WebchatError::OriginNotAllowed(origin)),
        _ => Ok(None),
    }
}

/// Opens a conversation for the widget's customer; returns the room and the customer's token.
/// `server` is the operator whose token came with the request: a brand's server, which has no
/// page, opens conversations with it once the channel lists allowed origins.
pub async fn open_conversation(
    store: &dyn Store,
    clock: &dyn Clock,
    key: Option<&str>,
    page: Page<'_>,
    server: Option<&Principal>,
    identity: CustomerIdentity,
) -> Result<(Room, Secret), WebchatError> {
    let channel = channel_for_key(store, key).await?;
    match server {
        Some(operator) => {
            if operator.workspace_id != channel.workspace_id {
                return Err(WebchatError::Forbidden(
                    "the API token belongs to another workspace than the widget key".into(),
                ));
            }
            operator.require(Permission::OperateChannels).map_err(|e| WebchatError::Forbidden(e.to_string()))?;
        }
        None if page.origin.is_none() && !channel.settings.allowed_origins.is_empty() => {
            return Err(WebchatError::OriginRequired);
        }
        None => {
            allowed_origin(&channel, page)?;
        }
    }
    let identity = valid_identity(identity)?;
    let token = secret::generate(TokenKind::Conversation);
    let room = store
        .open_conversation(&NewConversation {
            workspace_id: channel.workspace_id,
            room_id: RoomId::new(),
            customer_id: CustomerId::new(),
            channel: ChannelKind::Webchat,
            customer: identity,
            status: RoomStatus::Bot,
            token_hash: Some(secret::token_hash(token.expose())),
            at: clock.now(),
        })
        .await?;
    metrics::counter!("sangdam_conversations_opened_total", "channel" => "webchat").increment(1);
    Ok((room, token))
}

/// Checks a customer's token against the conversation in the path.
pub async fn authorize(store: &dyn Store, token: Option<&str>, room: RoomId) -> Result<WorkspaceId, WebchatError> {
    let token = token.filter(|t| !t.is_empty() && t.len() <= 256).ok_or(WebchatError::BadToken)?;
    match store.room_by_token(&secret::token_hash(token)).await? {
        Some((ws, id)) if id == room => Ok(ws),
        Some(_) => Err(WebchatError::NotFound),
        None => Err(WebchatError::BadToken),
    }
}

/// The conversation's most recent messages, oldest first, with their counselors' names, and
/// where the conversation stands.
pub async fn history(
    store: &dyn Store,
    ws: WorkspaceId,
    room: RoomId,
) -> Result<(Vec<CustomerMessage>, ConversationState), WebchatError> {
    let mut names = Names::new(store, ws);
    let state = view::state(&mut names, room).await?;
    let mut messages = Vec::new();
    for message in store.recent_messages(ws, room, HISTORY_LIMIT).await? {
        messages.push(names.message(message).await);
    }
    Ok((messages, state))
}

/// `scheme://host[:port]` of an `Origin` or `Referer` value, for http and https pages only.
pub fn normalise_origin(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host_ok = !authority.is_empty()
        && authority.len() <= 253
        && !authority.contains('@')
        && authority.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    host_ok.then(|| format!("{scheme}://{authority}"))
}

/// Checks each value as sent (length, then characters) and keeps it trimmed; a blank one is
/// dropped.
fn valid_identity(mut c: CustomerIdentity) -> Result<CustomerIdentity, WebchatError> {
    fn field(value: Option<String>, name: &str, max: usize) -> Result<Option<String>, WebchatError> {
        let refused = || WebchatError::Invalid(format!("customer.{name}: at most {max} printable characters"));
        let Some(value) = value else { return Ok(None) };
        if value.chars().count() > max {
            return Err(refused());
        }
        if value.trim().is_empty() {
            return Ok(None);
        }
        if value.chars().any(char::is_control) {
            return Err(refused());
        }
        Ok(Some(value))
    }
    c.name = field(c.name, "name", identity::MAX_NAME)?;
    c.external_id = field(c.external_id, "external_id", identity::MAX_EXTERNAL_ID)?;
    c.email = field(c.email, "email", identity::MAX_EMAIL)?;
    c.phone = field(c.phone, "phone", identity::MAX_PHONE)?;
    if c.email.as_deref().is_some_and(|e| !identity::plausible_email(e)) {
        return Err(WebchatError::Invalid("customer.email: not an email address".into()));
    }
    if c.phone.as_deref().is_some_and(|p| !identity::plausible_phone(p)) {
        return Err(WebchatError::Invalid("customer.phone: use digits, spaces, '+', '-' and parentheses".into()));
    }
    for value in [&mut c.name, &mut c.external_id, &mut c.email, &mut c.phone].into_iter().flatten() {
        *value = value.trim().to_owned();
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_script_carries_its_stylesheet() {
        let css = serde_json::to_string(include_str!("../../web/widget.css")).unwrap();
        assert!(WIDGET_JS.contains(&format!("const STYLE = {css};")));
        assert!(!WIDGET_JS.contains("sangdam:widget.css"), "the placeholder is gone");
    }

    #[test]
    fn each_served_script_carries_its_token() {
        let served = widget_script(Some("wl1.1.n.t"));
        assert!(served.contains(r#"const LOAD_TOKEN = "wl1.1.n.t";"#));
        assert!(widget_script(None).contains("const LOAD_TOKEN = '';"));
        assert!(!served.contains("sangdam:load"));
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(normalise_origin("https://Shop.Example.com"), Some("https://shop.example.com".into()));
        assert_eq!(normalise_origin("http://localhost:3000/page?x=1"), Some("http://localhost:3000".into()));
        assert_eq!(normalise_origin("null"), None);
        assert_eq!(normalise_origin("file:///tmp/x.html"), None);
        assert_eq!(normalise_origin("https://user@evil.example"), None);
    }

    #[test]
    fn identities_are_validated() {
        let ok = CustomerIdentity {
            name: Some(" 김해피 ".into()),
            email: Some("happy@example.com".into()),
            phone: Some("+82 10-1234-5678".into()),
            external_id: None,
        };
        let ok = valid_identity(ok).unwrap();
        assert_eq!(ok.name.as_deref(), Some("김해피"));
        let bad_email = CustomerIdentity { email: Some("nope".into()), ..Default::default() };
        assert!(valid_identity(bad_email).is_err());
        let bad_phone = CustomerIdentity { phone: Some("call me".into()), ..Default::default() };
        assert!(valid_identity(bad_phone).is_err());
        let blank = CustomerIdentity { name: Some("   ".into()), ..Default::default() };
        assert_eq!(valid_identity(blank).unwrap().name, None);
    }

    /// What the document's patterns let through is what the checks accept, and nothing more.
    #[test]
    fn the_identity_patterns_say_what_the_checks_do() {
        let matches = |pattern: &str, value: &str| regex::Regex::new(pattern).unwrap().is_match(value);
        let emails = ["a@b.c", " a@b.c", "a@.b", "@b.c", "a@bc", "a b@c.d", "a@b@c.d", "", " \t", "a@b.\u{a0}"];
        for email in emails {
            let identity = CustomerIdentity { email: Some(email.into()), ..Default::default() };
            assert_eq!(matches(identity::EMAIL_PATTERN, email), valid_identity(identity).is_ok(), "{email:?}");
        }
        let phones = ["+82 10-1234-5678", "12345", "123456", "(02) 123-4567", "1234567890123456", "\t123456", " "];
        for phone in phones {
            let identity = CustomerIdentity { phone: Some(phone.into()), ..Default::default() };
            assert_eq!(matches(identity::PHONE_PATTERN, phone), valid_identity(identity).is_ok(), "{phone:?}");
        }
        for name in ["김해피", " ", "\n", "a\u{7}b", "tab\tname"] {
            let identity = CustomerIdentity { name: Some(name.into()), ..Default::default() };
            assert_eq!(matches(identity::PRINTABLE_PATTERN, name), valid_identity(identity).is_ok(), "{name:?}");
        }
    }
}
