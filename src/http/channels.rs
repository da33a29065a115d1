//! Routes: channel settings for operators.

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{ApiPath, Operator};
use super::{ApiResult, AppState};
use crate::accounts::Permission;
use crate::channels::{ChannelKind, ChannelSettings, SeenOrigin};

#[derive(Deserialize, JsonSchema)]
struct ChannelPath {
    /// `webchat` or `sms`.
    channel: String,
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
    /// Settings.
    settings: ChannelSettings,
    /// Page origins the widget was loaded from, most recent first (webchat).
    seen_origins: Vec<SeenOrigin>,
}

async fn channel(
    State(s): State<AppState>,
    op: Operator,
    ApiPath(p): ApiPath<ChannelPath>,
) -> ApiResult<Json<ChannelView>> {
    op.principal.require(Permission::OperateChannels).map_err(ApiError::from)?;
    let kind = ChannelKind::parse(&p.channel)
        .ok_or_else(|| ApiError::not_found(format!("no channel {:?}; channels are webchat and sms", p.channel)))?;
    let ws = op.principal.workspace_id;
    let channel = s.store.channel(ws, kind).await?;
    let seen_origins = match kind {
        ChannelKind::Webchat => s.store.widget_origins(ws).await?,
        ChannelKind::Sms => Vec::new(),
    };
    let embed_snippet = channel
        .widget_key
        .as_ref()
        .map(|key| format!("<script src=\"{}/widget.js\" data-widget-key=\"{key}\" defer></script>", s.public_url));
    Ok(Json(ChannelView {
        channel: kind,
        widget_key: channel.widget_key,
        embed_snippet,
        settings: channel.settings,
        seen_origins,
    }))
}

/// The channel routes.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/v1/channels/{channel}",
        get_with(channel, |op| op.tag("channels").summary("A channel's settings; for webchat with its widget key")),
    )
}
