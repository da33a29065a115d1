//! Routes: the webchat channel, customer side (widget key and conversation tokens, CORS-enabled).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tower_http::cors::{Any, CorsLayer};

use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery, CustomerToken, OptionalOperator, WidgetKey, WidgetLoad};
use super::limits::{Admission, Holder};
use super::{Accepted, ApiResult, AppState, Created, EventStream, Script};
use crate::accounts::auth::ClientAddress;
use crate::channels::ChannelKind;
use crate::events::ConsoleEvent;
use crate::ids::{MessageId, RoomId, WorkspaceId};
use crate::rooms::{CustomerIdentity, MAX_TEXT_CHARS, RoomStatus, inbound};
use crate::webchat::load::{self, LoadTokens};
use crate::webchat::{self, ConversationState, CustomerMessage, Names, Page, WidgetSettings};

/// How many messages one store read of the live stream takes.
const STREAM_BATCH: i64 = 200;
/// How often a live stream re-reads the store without a wake-up (a safety net only).
const STREAM_POLL: Duration = Duration::from_secs(30);

#[derive(Deserialize, JsonSchema)]
struct ConversationPath {
    /// The conversation id.
    id: RoomId,
}

/// Body of `POST /v1/webchat/conversations`.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
struct OpenConversation {
    /// Who the customer is, as far as the page knows.
    #[serde(default)]
    customer: CustomerIdentity,
}

/// A new conversation and the customer's token for it.
#[derive(Serialize, JsonSchema)]
struct Opened {
    /// The conversation id.
    conversation_id: RoomId,
    /// The customer's bearer token for this conversation; shown only now.
    token: String,
}

/// Body of `POST /v1/webchat/conversations/{id}/messages`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PostMessage {
    /// The message (1–4000 characters, not blank; line breaks and tabs are the only control
    /// characters allowed).
    #[schemars(length(max = MAX_TEXT_CHARS), regex(pattern = crate::text::TEXT_PATTERN))]
    text: String,
    /// The sender's unique id for this message (1–100 printable ASCII characters); sending it
    /// again returns the same message.
    #[schemars(regex(pattern = inbound::CLIENT_ID_PATTERN))]
    client_message_id: String,
}

/// An accepted message.
#[derive(Serialize, JsonSchema)]
struct PostedMessage {
    /// The stored message's id.
    message_id: MessageId,
}

/// A conversation's messages, oldest first, and where it stands.
#[derive(Serialize, JsonSchema)]
struct MessageList {
    messages: Vec<CustomerMessage>,
    /// With the agent, with counselors (and which one), or closed.
    conversation: ConversationState,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// The conversation token, for clients that cannot set headers (`EventSource`).
    #[allow(dead_code)]
    token: Option<String>,
    /// Resume after this event id (the `Last-Event-ID` header wins when both are sent).
    last_event_id: Option<i64>,
    /// Also send `status` events: the conversation's state at the start and on every change.
    #[serde(default)]
    status: bool,
}

/// The page a widget request comes from: its `Origin` (or, for a same-origin `GET`, which has
/// none, the `Referer` the widget sends), and whether the browser says it is the engine's own.
fn page(headers: &HeaderMap) -> Page<'_> {
    let origin = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    let engine_own = headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin");
    Page { origin, engine_own }
}

async fn settings(
    State(s): State<AppState>,
    Extension(tokens): Extension<Arc<LoadTokens>>,
    WidgetKey(key): WidgetKey,
    WidgetLoad(load): WidgetLoad,
    headers: HeaderMap,
) -> ApiResult<Json<WidgetSettings>> {
    let settings =
        webchat::widget_settings(&s.launcher(), &tokens, key.as_deref(), page(&headers), load.as_deref()).await?;
    Ok(Json(settings))
}

async fn open(
    State(s): State<AppState>,
    Extension(admission): Extension<Arc<Admission>>,
    ClientAddress(client): ClientAddress,
    WidgetKey(key): WidgetKey,
    OptionalOperator(server): OptionalOperator,
    headers: HeaderMap,
    ApiJson(body): ApiJson<OpenConversation>,
) -> ApiResult<Created<Opened>> {
    // A brand's server opens every customer's conversation from one address: its operator token
    // vouches for it, so only the widget key's allowance applies to it.
    let address = if server.is_some() { None } else { client };
    admission.open_conversation(address, key.as_deref())?;
    let server = server.as_ref().map(|op| &op.principal);
    let (room, token) = webchat::open_conversation(
        s.store.as_ref(),
        s.clock.as_ref(),
        key.as_deref(),
        page(&headers),
        server,
        body.customer,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Created(Opened { conversation_id: room.id, token: token.expose().to_owned() }))
}

async fn post_message(
    State(s): State<AppState>,
    CustomerToken(token): CustomerToken,
    ApiPath(p): ApiPath<ConversationPath>,
    ApiJson(body): ApiJson<PostMessage>,
) -> ApiResult<Accepted<PostedMessage>> {
    let ws = webchat::authorize(s.store.as_ref(), token.as_deref(), p.id).await?;
    let appended =
        inbound::receive(s.store.as_ref(), &s.hub, s.clock.as_ref(), ws, p.id, &body.text, &body.client_message_id)
            .await?;
    if !appended.duplicate {
        // Counselors' consoles hear of it too (a reply can move the room to inquiry or reopen it).
        s.hub.announce(ws, ConsoleEvent::Message { room_id: p.id, seq: appended.message.seq });
        s.agent.spawn(ws, p.id, ChannelKind::Webchat, appended.message.clone());
    }
    Ok(Accepted(PostedMessage { message_id: appended.message.id }))
}

/// A conversation the customer closed.
#[derive(Serialize, JsonSchema)]
struct ClosedConversation {
    /// The conversation id.
    conversation_id: RoomId,
    /// `closed`.
    status: RoomStatus,
    /// When it was closed.
    closed_at: Option<DateTime<Utc>>,
}

async fn close(
    State(s): State<AppState>,
    CustomerToken(token): CustomerToken,
    ApiPath(p): ApiPath<ConversationPath>,
) -> ApiResult<Json<ClosedConversation>> {
    let ws = webchat::authorize(s.store.as_ref(), token.as_deref(), p.id).await?;
    let room = s.counselors().customer_close(ws, p.id).await?;
    Ok(Json(ClosedConversation { conversation_id: room.id, status: room.status, closed_at: room.queue.closed_at }))
}

async fn history(
    State(s): State<AppState>,
    CustomerToken(token): CustomerToken,
    ApiPath(p): ApiPath<ConversationPath>,
) -> ApiResult<Json<MessageList>> {
    let ws = webchat::authorize(s.store.as_ref(), token.as_deref(), p.id).await?;
    let (messages, conversation) = webchat::history(s.store.as_ref(), ws, p.id).await?;
    Ok(Json(MessageList { messages, conversation }))
}

async fn events(
    State(s): State<AppState>,
    Extension(admission): Extension<Arc<Admission>>,
    CustomerToken(token): CustomerToken,
    ApiPath(p): ApiPath<ConversationPath>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    headers: HeaderMap,
) -> ApiResult<EventStream> {
    let ws = webchat::authorize(s.store.as_ref(), token.as_deref(), p.id).await.map_err(ApiError::from)?;
    let resume_from = match headers.get("last-event-id") {
        Some(value) => {
            value.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()).filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_last_event_id",
                    "Last-Event-ID must be a non-negative event id",
                )
            })?
        }
        None => query.last_event_id.unwrap_or(0).max(0),
    };
    let place = admission.open_stream(Holder::Conversation(p.id))?;
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        stream_room(s, ws, p.id, resume_from, query.status, tx).await;
        // The stream's place is free once its feeder stops: the client went away or the server stops.
        drop(place);
    });
    let sse = Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut response = sse.into_response();
    // Proxies must not buffer the stream.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(EventStream(response))
}

/// Feeds one SSE connection: everything after `last` from the store, then more on each wake-up,
/// until the client goes away or the server shuts down. With `status`, the conversation's state
/// goes first and again whenever it changes (a close or an assignment stores no message, so
/// the workspace's room announcements wake the stream too).
async fn stream_room(
    s: AppState,
    ws: WorkspaceId,
    room: RoomId,
    mut last: i64,
    status: bool,
    tx: mpsc::Sender<Result<Event, Infallible>>,
) {
    // Subscribe before the first read, so nothing committed in between is missed.
    let mut watch = s.hub.subscribe(room);
    let mut rooms = status.then(|| s.hub.console(ws));
    let mut names = Names::new(s.store.as_ref(), ws);
    let mut sent_state: Option<ConversationState> = None;
    loop {
        // The state is read before the messages: every message it may mention (the handoff
        // message) is then sent before it.
        let state = if status { stream_state(&mut names, room).await } else { None };
        let batch = match s.store.messages_after(ws, room, last, STREAM_BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, %room, "live stream could not read the store; closing it");
                return;
            }
        };
        let full = batch.len() as i64 == STREAM_BATCH;
        for message in batch {
            last = message.seq;
            let seq = message.seq.to_string();
            let event = Event::default().id(seq).event("message").json_data(names.message(message).await);
            let Ok(event) = event else { continue };
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
        }
        if full {
            continue;
        }
        if let Some(state) = state
            && sent_state.as_ref() != Some(&state)
        {
            let Ok(event) = Event::default().event("status").json_data(&state) else { return };
            if tx.send(Ok(event)).await.is_err() {
                return;
            }
            sent_state = Some(state);
        }
        tokio::select! {
            _ = watch.changed() => {}
            _ = room_announced(rooms.as_mut(), room) => {}
            _ = tokio::time::sleep(STREAM_POLL) => {}
            _ = tx.closed() => return,
            _ = s.shutdown.cancelled() => return,
        }
    }
}

async fn stream_state(names: &mut Names<'_>, room: RoomId) -> Option<ConversationState> {
    webchat::view::state(names, room)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, %room, "live stream could not read the conversation's state"))
        .ok()
}

/// Waits until the workspace's consoles are told about `room` (or told to catch up); never
/// returns without a subscription.
async fn room_announced(rooms: Option<&mut broadcast::Receiver<ConsoleEvent>>, room: RoomId) {
    let Some(rooms) = rooms else { return std::future::pending().await };
    loop {
        match rooms.recv().await {
            Ok(event) if event.room_id() == room => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}

/// Each copy carries its own load token, so it may be kept by the browser only (never by a shared
/// cache, which would hand one token to many pages), for less time than the token lives.
async fn widget_js(State(s): State<AppState>, Extension(tokens): Extension<Arc<LoadTokens>>) -> Script {
    // Without the store the widget still works; its loads just record no origin until it is back.
    let token = tokens
        .issue(s.store.as_ref(), s.clock.now())
        .await
        .inspect_err(
            |e| tracing::warn!(error = %e, "could not sign a widget load token; serving the widget without one"),
        )
        .ok();
    let cache = format!("private, max-age={}", load::SCRIPT_MAX_AGE);
    let script = (
        [(header::CONTENT_TYPE, "application/javascript; charset=utf-8".to_owned()), (header::CACHE_CONTROL, cache)],
        webchat::widget_script(token.as_deref()),
    )
        .into_response();
    Script(script)
}

/// The customer-side webchat routes, open to any origin (the widget runs on brands' pages).
pub fn routes() -> ApiRouter<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-widget-key"),
            HeaderName::from_static("x-widget-load"),
            HeaderName::from_static("last-event-id"),
        ])
        .max_age(Duration::from_secs(3600));
    ApiRouter::new()
        .api_route(
            "/v1/webchat/settings",
            get_with(settings, |op| {
                op.tag("webchat").summary("The widget's settings; with a load token, records the embedding page's origin").description(
                    "Answers any page the channel allows (403 `origin_not_allowed` for others once `allowed_origins` \
                     is set). The page's origin is recorded, which completes the launch checklist's `channel_setup`, \
                     only when the call brings `X-Widget-Load`: the single-use token in the copy of `/widget.js` the \
                     engine served, good for 10 minutes. An `Origin` header alone records nothing.",
                )
            }),
        )
        .api_route(
            "/v1/webchat/conversations",
            post_with(open, |op| {
                op.tag("webchat").summary("Open a conversation; returns its id and the customer's token").description(
                    "From the widget, the browser's `Origin` must be one of the channel's `allowed_origins` (any \
                     page while none are listed). Once some are listed, a request without `Origin` is refused with \
                     403 `origin_required`. A brand's server, which has no page, sends `X-Widget-Key` together \
                     with `Authorization: Bearer <token>`, the API token of an admin or manager of the same \
                     workspace (from `POST /v1/auth/login`); the origin is then not checked. Any other token is \
                     refused (401 `unauthorized`, 403 `forbidden`).",
                )
            }),
        )
        .api_route(
            "/v1/webchat/conversations/{id}/messages",
            post_with(post_message, |op| {
                op.tag("webchat").summary("Send a customer message; the same client_message_id again returns the same message")
            })
            .get_with(history, |op| op.tag("webchat").summary("The conversation's messages, oldest first")),
        )
        .api_route(
            "/v1/webchat/conversations/{id}/close",
            post_with(close, |op| {
                op.tag("webchat").summary("The customer ends the conversation (close type customer); again changes nothing")
            }),
        )
        .api_route(
            "/v1/webchat/conversations/{id}/events",
            get_with(events, |op| {
                op.tag("webchat")
                    .summary("Live messages as server-sent events")
                    .description("`text/event-stream`; each event named `message` has the message's sequence number as its id and the message as JSON (a counselor's reply with `author_name`). Resume with `Last-Event-ID` (or `?last_event_id=`). With `?status=true`, events named `status` (no id) carry the conversation's state: first, and again on every change (handed off, assigned, closed).")
            }),
        )
        .layer(cors)
        .api_route(
            "/widget.js",
            get_with(widget_js, |op| {
                op.tag("webchat").summary("The embeddable chat widget script").description(
                    "`application/javascript`. Each copy carries a fresh single-use load token (see \
                     `GET /v1/webchat/settings`), so it is `Cache-Control: private, max-age=300`: browsers may \
                     keep it for five minutes, shared caches not at all.",
                )
            }),
        )
}
