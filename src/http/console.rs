//! Route: the counselor console's live stream of room changes (server-sent events).
//!
//! The hub carries only which room changed; each event is checked against what the caller may see
//! by reading the room again, and sent with the room's current state. A room that changed out of
//! the caller's sight (a colleague took it, it was transferred away) is named once in a `gone`
//! event, with nothing but its id, so the console can drop it from its lists. A console that falls
//! too far behind is told to reload its lists instead of being sent a partial picture.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use aide::axum::ApiRouter;
use aide::axum::routing::get_with;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiQuery, Operator};
use super::limits::{Admission, Holder};
use super::{ApiResult, EventStream};
use crate::accounts::{Permission, Principal};
use crate::events::ConsoleEvent;
use crate::ids::{AccountId, RoomId};
use crate::rooms::RoomStatus;
use crate::rooms::queue::Scope;
use crate::store::StoreError;

/// What one console event says about its room.
#[derive(Serialize)]
struct RoomState {
    room_id: RoomId,
    status: RoomStatus,
    assignee_id: Option<AccountId>,
    hold: bool,
    alarm_at: Option<DateTime<Utc>>,
    flagged: bool,
    processed: bool,
    last_message_at: Option<DateTime<Utc>>,
    /// For `message` events: the new message's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<i64>,
    /// For `alarm` events: when the alarm was set to go off.
    #[serde(skip_serializing_if = "Option::is_none")]
    alarm: Option<DateTime<Utc>>,
}

/// The stream takes no query parameters; an unknown one is refused, as on the room list.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StreamQuery {}

async fn events(
    State(s): State<AppState>,
    Extension(admission): Extension<Arc<Admission>>,
    op: Operator,
    _: ApiQuery<StreamQuery>,
) -> ApiResult<EventStream> {
    op.principal.require(Permission::WorkRooms).map_err(ApiError::from)?;
    let place = admission.open_stream(Holder::Account(op.principal.account_id))?;
    // Listen before answering, so nothing that happens after the answer is missed.
    let console = s.hub.console(op.principal.workspace_id);
    let scope = s.counselors().scope(&op.principal).await.map_err(ApiError::from)?;
    let (tx, rx) = mpsc::channel(64);
    // The first event says the stream is listening: what the console reads after it is not missed.
    let _ = tx.try_send(Ok(Event::default().event("ready").data("{}")));
    tokio::spawn(async move {
        feed(s, op.principal, scope, console, tx).await;
        // The stream's place is free once its feeder stops: the console went away or the server stops.
        drop(place);
    });
    let sse = Sse::new(ReceiverStream::new(rx)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    let mut response = sse.into_response();
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(EventStream(response))
}

/// How many rooms one stream remembers having called gone before it starts over.
const GONE_MEMORY: usize = 10_000;

/// What one console event comes to for the caller.
enum Seen {
    /// The room as the caller may see it now.
    Visible(Event),
    /// The room changed out of the caller's sight.
    Hidden,
    /// Nothing to say: the room is gone from the store, or only a message arrived in a room the
    /// caller cannot see.
    Nothing,
}

/// Feeds one console until it goes away or the server shuts down.
async fn feed(
    s: AppState,
    caller: Principal,
    mut scope: Scope,
    mut console: broadcast::Receiver<ConsoleEvent>,
    tx: mpsc::Sender<Result<Event, Infallible>>,
) {
    // Rooms this stream has called gone and not seen since: a room is named once, not on every
    // later change a colleague makes to it.
    let mut gone: HashSet<RoomId> = HashSet::new();
    loop {
        let received = tokio::select! {
            received = console.recv() => received,
            _ = tx.closed() => return,
            _ = s.shutdown.cancelled() => return,
        };
        let event = match received {
            Ok(event) => match state_event(&s, &caller, &scope, &event).await {
                Ok(Seen::Visible(sse)) => {
                    gone.remove(&event.room_id());
                    sse
                }
                Ok(Seen::Hidden) => {
                    if gone.len() >= GONE_MEMORY {
                        gone.clear();
                    }
                    if !gone.insert(event.room_id()) {
                        continue;
                    }
                    let data = serde_json::json!({ "room_id": event.room_id() });
                    Event::default().event("gone").data(data.to_string())
                }
                Ok(Seen::Nothing) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "console stream could not read the store; closing it");
                    return;
                }
            },
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "console fell behind; telling it to reload");
                // The caller's group may have changed too; read it again with the lists.
                if let Ok(fresh) = s.counselors().scope(&caller).await {
                    scope = fresh;
                }
                Event::default().event("reload").data("{}")
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if tx.send(Ok(event)).await.is_err() {
            return;
        }
    }
}

/// What `event` comes to for a caller with `scope`.
async fn state_event(
    s: &AppState,
    caller: &Principal,
    scope: &Scope,
    event: &ConsoleEvent,
) -> Result<Seen, StoreError> {
    let room = match s.store.room(caller.workspace_id, event.room_id()).await {
        Ok(room) => room,
        Err(StoreError::NotFound) => return Ok(Seen::Nothing),
        Err(e) => return Err(e),
    };
    if !scope.sees(&room) {
        // Only a change of status or counselor can take a room out of sight.
        let moved = matches!(event, ConsoleEvent::Room { .. });
        return Ok(if moved { Seen::Hidden } else { Seen::Nothing });
    }
    let (name, seq, alarm) = match event {
        ConsoleEvent::Room { .. } => ("room", None, None),
        ConsoleEvent::Message { seq, .. } => ("message", Some(*seq), None),
        ConsoleEvent::Alarm { at, .. } => ("alarm", None, Some(*at)),
    };
    let data = RoomState {
        room_id: room.id,
        status: room.status,
        assignee_id: room.assignee_id,
        hold: room.queue.hold,
        alarm_at: room.queue.alarm_at,
        flagged: room.queue.flagged,
        processed: room.queue.processed,
        last_message_at: room.last_message_at,
        seq,
        alarm,
    };
    Ok(Event::default().event(name).json_data(&data).map_or(Seen::Nothing, Seen::Visible))
}

/// The console stream route.
pub fn routes() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/v1/rooms/events",
        get_with(events, |op| {
            op.tag("rooms").summary("Live room changes for the counselor console (server-sent events)").description(
                "`text/event-stream` of the rooms the caller may see. The first event, `ready` (data `{}`), says \
                 the stream is listening: lists read after it miss no change. Then events are named `room` \
                 (status, counselor or flags changed), `message` (a message arrived; `seq` is its position) and `alarm` (an alarm \
                 went off); the data is the room's current state as JSON. `gone` (data `{\"room_id\"}` only) \
                 names, once, a room that changed out of the caller's sight: a colleague received it, or it \
                 was transferred away. `reload` means events were missed: read the lists again.",
            )
        }),
    )
}
