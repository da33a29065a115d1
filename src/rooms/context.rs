//! What the agent reads of a conversation before it answers.

use chrono::TimeDelta;

use crate::channels::ChannelKind;
use crate::clock::Clock;
use crate::ids::{RoomId, WorkspaceId};
use crate::rooms::Message;
use crate::store::{Store, StoreError};

/// Most messages the agent reads.
pub const CONTEXT_MESSAGES: i64 = 50;
/// How far back the agent reads an SMS conversation: texts are one long thread per number, and
/// what was said days ago is rarely about today's question.
pub const SMS_CONTEXT: TimeDelta = TimeDelta::hours(48);

/// The messages the agent takes into account: the most recent ones, and on SMS only those of the
/// last 48 hours.
pub async fn agent_context(
    store: &dyn Store,
    clock: &dyn Clock,
    ws: WorkspaceId,
    room: RoomId,
    channel: ChannelKind,
) -> Result<Vec<Message>, StoreError> {
    let mut messages = store.recent_messages(ws, room, CONTEXT_MESSAGES).await?;
    if channel == ChannelKind::Sms {
        let since = clock.now() - SMS_CONTEXT;
        messages.retain(|m| m.created_at >= since);
    }
    Ok(messages)
}
