//! Twilio's webhooks: inbound texts and delivery reports.
//!
//! Both are form posts signed with the channel's auth token. An inbound text finds its workspace
//! by the number it was sent to (`To`), is stored once however often Twilio retries it
//! (`MessageSid` is its idempotency key), and lands in the customer's open SMS room. Opt-out,
//! opt-in and help keywords are handled here and never reach the agent.

use crate::channels::{Channel, ChannelKind};
use crate::clock::Clock;
use crate::events::Hub;
use crate::ids::{CustomerId, RoomId, WorkspaceId};
use crate::locale::Locale;
use crate::rooms::inbound::{self, InboundError};
use crate::rooms::{Author, CustomerIdentity, Message, RoomStatus};
use crate::store::{NewConversation, Store, StoreError};

use super::keywords::{self, Keyword};
use super::outbox::Outbox;
use super::{outbound, signature};

/// What the webhooks need.
#[derive(Clone, Copy)]
pub struct SmsContext<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// Wake-ups for live streams.
    pub hub: &'a Hub,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Where replies are queued.
    pub outbox: &'a Outbox,
}

/// One webhook request as Twilio signed it.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The full URL Twilio called: the public base URL, the path and any query.
    pub url: String,
    /// Every form parameter, in the order sent.
    pub params: Vec<(String, String)>,
    /// The `X-Twilio-Signature` header.
    pub signature: Option<String>,
}

impl Webhook {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &'static str) -> Result<&str, SmsError> {
        self.param(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| SmsError::Invalid(format!("{name}: missing from the webhook")))
    }
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// No workspace's SMS channel has this number.
    #[error("no SMS channel has the number {0}")]
    NoChannel(String),
    /// The signature is missing or wrong, or the channel has no auth token to check it with.
    #[error("{0}")]
    BadSignature(&'static str),
    /// A parameter is missing or malformed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InboundError> for SmsError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::Invalid(why) => SmsError::Invalid(why),
            InboundError::NotFound => SmsError::Store(StoreError::NotFound),
            InboundError::Store(e) => SmsError::Store(e),
        }
    }
}

/// An inbound text, stored.
#[derive(Debug, Clone)]
pub struct Received {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The customer's room.
    pub room_id: RoomId,
    /// The stored message.
    pub message: Message,
    /// Twilio sent this one before; nothing was done again.
    pub duplicate: bool,
    /// The keyword the text was, if any.
    pub keyword: Option<Keyword>,
    /// Whether the agent should see it: new, and not a keyword.
    pub for_agent: bool,
}

/// Handles an inbound text.
#[tracing::instrument(skip_all)]
pub async fn receive(cx: SmsContext<'_>, hook: &Webhook) -> Result<Received, SmsError> {
    let channel = channel_for(cx.store, hook.required("To")?).await?;
    authenticate(&channel, hook)?;
    let sid = hook.param("MessageSid").or_else(|| hook.param("SmsMessageSid")).unwrap_or_default();
    if sid.is_empty() || sid.len() > 64 || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(SmsError::Invalid("MessageSid: missing or malformed".into()));
    }
    let from = hook.required("From")?;
    let ws = channel.workspace_id;
    let body = hook.param("Body").unwrap_or_default();
    let keyword = keywords::classify(body);
    let now = cx.clock.now();
    // Consent first: a crash after this still honours the STOP when Twilio retries.
    match keyword {
        Some(Keyword::OptOut) => cx.store.set_consent(ws, from, true, &source(body), now).await?,
        Some(Keyword::OptIn) => cx.store.set_consent(ws, from, false, &source(body), now).await?,
        _ => {}
    }
    let new = NewConversation {
        workspace_id: ws,
        room_id: RoomId::new(),
        customer_id: CustomerId::new(),
        channel: ChannelKind::Sms,
        customer: CustomerIdentity { phone: Some(from.to_owned()), ..Default::default() },
        status: RoomStatus::Bot,
        token_hash: None,
        at: now,
    };
    let room = cx.store.sms_room(ws, from, &new).await?;
    let text = match (body.trim(), hook.param("NumMedia").and_then(|n| n.parse::<u32>().ok()).unwrap_or(0)) {
        ("", 0) => "[empty message]".to_owned(),
        ("", n) => format!("[{n} media attachment(s)]"),
        (text, _) => text.to_owned(),
    };
    let appended = inbound::receive(cx.store, cx.hub, cx.clock, ws, room.id, &text, sid).await?;
    metrics::counter!("sangdam_sms_inbound_total", "keyword" => keyword.map_or("none", keyword_label)).increment(1);
    if keyword == Some(Keyword::Help) && !appended.duplicate {
        // In the language of the message, read as the agent reads it: HELP and INFO are English.
        let pinned = channel.settings.locale.as_deref().and_then(Locale::parse).unwrap_or(Locale::Ko);
        let locale = Locale::detect(body, pinned);
        let help = channel.settings.help_message.as_ref().map_or(DEFAULT_HELP, |m| m.get(locale)).to_owned();
        outbound::send(cx, ws, room.id, from, &help, Author::Bot, None).await?;
    }
    Ok(Received {
        workspace_id: ws,
        room_id: room.id,
        duplicate: appended.duplicate,
        for_agent: keyword.is_none() && !appended.duplicate,
        message: appended.message,
        keyword,
    })
}

/// Handles a delivery report for a text the engine sent.
#[tracing::instrument(skip_all)]
pub async fn delivery_report(cx: SmsContext<'_>, hook: &Webhook) -> Result<(), SmsError> {
    let channel = channel_for(cx.store, hook.required("From")?).await?;
    authenticate(&channel, hook)?;
    let sid = hook.required("MessageSid")?;
    let status = hook.required("MessageStatus")?.to_ascii_lowercase();
    if status.len() > 32 || !status.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return Err(SmsError::Invalid("MessageStatus: malformed".into()));
    }
    let code = hook.param("ErrorCode").filter(|c| !c.is_empty() && *c != "0");
    let error = code.map(|c| format!("Twilio error {c}"));
    let ws = channel.workspace_id;
    if code == Some("21610")
        && let Some(to) = hook.param("To")
    {
        cx.store.set_consent(ws, to, true, "twilio:21610", cx.clock.now()).await?;
    }
    match cx.store.sms_delivery(ws, sid, &status, error.as_deref()).await? {
        Some(message) => tracing::debug!(%message, %status, "delivery report"),
        None => tracing::info!(sid, %status, "delivery report for no known text, or an older status"),
    }
    Ok(())
}

/// Sent to HELP and INFO unless the channel sets its own.
pub const DEFAULT_HELP: &str = "도움이 필요하시면 이 번호로 문의 내용을 보내 주세요. 수신 거부: STOP / \
                                Text us your question and we'll help. Reply STOP to opt out.";

async fn channel_for(store: &dyn Store, number: &str) -> Result<Channel, SmsError> {
    store.channel_by_sms_number(number.trim()).await?.ok_or_else(|| SmsError::NoChannel(number.to_owned()))
}

fn authenticate(channel: &Channel, hook: &Webhook) -> Result<(), SmsError> {
    let token = channel
        .secrets
        .twilio_auth_token
        .as_deref()
        .ok_or(SmsError::BadSignature("the SMS channel has no auth token to check signatures with"))?;
    let signature = hook.signature.as_deref().ok_or(SmsError::BadSignature("X-Twilio-Signature is missing"))?;
    if signature::verify(token, &hook.url, &hook.params, signature) {
        Ok(())
    } else {
        Err(SmsError::BadSignature("X-Twilio-Signature does not match this request"))
    }
}

fn source(body: &str) -> String {
    format!("keyword:{}", body.trim().to_ascii_uppercase())
}

fn keyword_label(k: Keyword) -> &'static str {
    match k {
        Keyword::OptOut => "opt_out",
        Keyword::OptIn => "opt_in",
        Keyword::Help => "help",
    }
}
