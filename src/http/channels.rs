//! Routes: channel settings and the launch checklist, for operators.

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, refusal};
use super::extract::{ApiJson, ApiPath, Operator};
use super::{ApiResult, AppState};
use crate::accounts::Permission;
use crate::agent::{self, preview::PreviewRequest, preview::PreviewResponse};
use crate::channels::{Channel, ChannelKind, ChannelSettings, SeenOrigin, SettingsPatch};
use crate::launch::{LaunchView, Transition};
use crate::rooms::inbound;

#[derive(Deserialize, JsonSchema)]
struct ChannelPath {
    /// `webchat` or `sms`.
    #[schemars(with = "ChannelKind")]
    channel: String,
}

impl ChannelPath {
    fn kind(&self) -> Result<ChannelKind, ApiError> {
        ChannelKind::parse(&self.channel)
            .ok_or_else(|| ApiError::not_found(format!("no channel {:?}; channels are webchat and sms", self.channel)))
    }
}

/// A channel as operators see it.
#[derive(Serialize, JsonSchema)]
struct ChannelView {
    /// Which channel.
    channel: ChannelKind,
    /// The widget's public key (webchat).
    #[serde(skip_serializing_if = "Option::is_none")]
    widget_key: Option<String>,
    /// The `<script>` tag to paste into the brand's pages (webchat).
    #[serde(skip_serializing_if = "Option::is_none")]
    embed_snippet: Option<String>,
    /// The URL to enter as the number's "A message comes in" webhook in Twilio's console (sms).
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_webhook_url: Option<String>,
    /// Whether a Twilio auth token is stored; the token itself is never shown (sms).
    #[serde(skip_serializing_if = "Option::is_none")]
    twilio_auth_token_set: Option<bool>,
    /// Settings.
    settings: ChannelSettings,
    /// Page origins the widget was loaded from, most recent first (webchat).
    seen_origins: Vec<SeenOrigin>,
    /// The launch checklist and state.
    launch: LaunchView,
}

/// A channel's launch transitions, newest first.
#[derive(Serialize, JsonSchema)]
struct History {
    transitions: Vec<Transition>,
}

async fn view(s: &AppState, channel: Channel) -> ApiResult<ChannelView> {
    let launch = s.launcher().view_of(&channel).await?;
    let (seen_origins, embed_snippet, sms_webhook_url, token_set) = match channel.kind {
        ChannelKind::Webchat => {
            let snippet = channel.widget_key.as_ref().map(|key| {
                format!("<script src=\"{}/widget.js\" data-widget-key=\"{key}\" defer></script>", s.public_url)
            });
            (s.store.widget_origins(channel.workspace_id).await?, snippet, None, None)
        }
        ChannelKind::Sms => (
            Vec::new(),
            None,
            Some(format!("{}/v1/sms/twilio", s.public_url)),
            Some(channel.secrets.twilio_auth_token.is_some()),
        ),
    };
    Ok(ChannelView {
        channel: channel.kind,
        widget_key: channel.widget_key,
        embed_snippet,
        sms_webhook_url,
        twilio_auth_token_set: token_set,
        settings: channel.settings,
        seen_origins,
        launch,
    })
}

async fn channel(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<ChannelView>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let channel = s.store.channel(op.principal.workspace_id, p.kind()?).await?;
    Ok(Json(view(&s, channel).await?))
}

async fn configure(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> ApiResult<Json<ChannelView>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    let channel = s.launcher().configure(op.principal.account_id, op.principal.workspace_id, p.kind()?, patch).await?;
    Ok(Json(view(&s, channel).await?))
}

async fn launch(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<LaunchView>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    Ok(Json(s.launcher().view(op.principal.workspace_id, p.kind()?).await?))
}

async fn turn_on(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<LaunchView>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    Ok(Json(s.launcher().turn_on(op.principal.account_id, op.principal.workspace_id, p.kind()?).await?))
}

async fn turn_off(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<LaunchView>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    Ok(Json(s.launcher().turn_off(op.principal.account_id, op.principal.workspace_id, p.kind()?).await?))
}

async fn history(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<History>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let transitions = s.launcher().history(op.principal.workspace_id, p.kind()?).await?;
    Ok(Json(History { transitions }))
}

async fn preview(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> ApiResult<Json<PreviewResponse>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let ws = op.principal.workspace_id;
    let kind = p.kind()?;
    let text = inbound::valid_text(&body.text)?;
    let channel = s.store.channel(ws, kind).await?;
    let mut answer = agent::preview::preview(&s.agent.agent, &s.previews, &channel, body, &text)
        .await
        .map_err(ApiError::internal)?;
    // Show the request the helpdesk would get, when the integration is set up.
    if let Some(ticket) = &mut answer.ticket
        && let Some(name) = &ticket.helpdesk
        && let Some(adapter) = s.handoffs.adapters().get(name)
    {
        match s.store.helpdesk(ws, name).await {
            Ok(integration) => ticket.request = adapter.preview(&integration, &ticket.draft).ok(),
            Err(crate::store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    s.launcher().preview_ran(ws, kind).await?;
    Ok(Json(answer))
}

async fn verify_sms(State(s): State<AppState>, op: Operator) -> ApiResult<Json<LaunchView>> {
    op.principal.require(Permission::ConfigureChannels).map_err(ApiError::from)?;
    Ok(Json(s.launcher().verify_sms(op.principal.account_id, op.principal.workspace_id).await?))
}

/// The preview's text is checked here, as a customer's message is (1–4000 characters, not blank,
/// no control characters but line breaks and tabs): the document states it on the request type.
pub(super) fn document_preview_text(api: &mut aide::openapi::OpenApi) {
    let text = api
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("PreviewRequest"))
        .and_then(|s| s.json_schema.as_object_mut())
        .and_then(|s| s.get_mut("properties"))
        .and_then(|p| p.get_mut("text"))
        .and_then(|t| t.as_object_mut());
    if let Some(text) = text {
        text.insert("maxLength".into(), crate::rooms::MAX_TEXT_CHARS.into());
        text.insert("pattern".into(), crate::text::TEXT_PATTERN.into());
    }
}

/// The channel routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/channels/{channel}",
            get_with(channel, |op| {
                op.tag("channels").summary("A channel's settings and launch checklist; for webchat with its widget key")
            })
            .patch_with(configure, |op| {
                let op = refusal::<422>(
                    op,
                    "`invalid_settings`: a setting of the other channel, a skill that does not exist or does not \
                     run on this channel, a helpdesk without action `helpdesk`, or a value the setting's rule \
                     refuses (see each field)",
                );
                op.tag("channels").summary("Change a channel's settings").description(
                    "Partial update: absent fields stay, `null` clears. Changing the Twilio settings verifies them \
                     with Twilio first. While the agent is live, a change that would break a required checklist \
                     item is refused with 409 `would_break_live`.",
                )
            }),
        )
        .api_route(
            "/v1/channels/{channel}/launch",
            get_with(launch, |op| {
                op.tag("launch").summary("The launch checklist: state, items and what blocks turning on")
            }),
        )
        .api_route(
            "/v1/channels/{channel}/launch/turn-on",
            post_with(turn_on, |op| {
                op.tag("launch").summary("Turn the agent on").description(
                    "409 `launch_blocked` with `blocking` while a required item is missing. The agent answers only \
                     messages received after `activated_at`.",
                )
            }),
        )
        .api_route(
            "/v1/channels/{channel}/launch/turn-off",
            post_with(turn_off, |op| op.tag("launch").summary("Turn the agent off")),
        )
        .api_route(
            "/v1/channels/{channel}/launch/history",
            get_with(history, |op| op.tag("launch").summary("Every launch transition: who, when, from, to and why")),
        )
        .api_route(
            "/v1/channels/{channel}/preview",
            post_with(preview, |op| {
                op.tag("launch")
                    .summary("Try the agent: one message through the live path, sends captured")
                    .description(
                        "Uses the channel's current settings whether or not it is live. Pass the returned `session` \
                     back to continue the conversation. Nothing is delivered and no handoff is recorded: a turn \
                     that hands off shows the `ticket` it would create (and, with a configured helpdesk, the \
                     request it would send, secrets hidden). The checklist's `preview_tested` item is marked done.",
                    )
            }),
        )
        .api_route(
            "/v1/channels/sms/verify",
            post_with(verify_sms, |op| {
                op.tag("launch").summary("Check the SMS number with Twilio again; returns the launch checklist")
            }),
        )
}
