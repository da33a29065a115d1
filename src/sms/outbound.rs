//! Sending a text: shortened to the channel's segment cap, stored with its outbox row, and handed
//! to the outbox worker. The agent, counselors and keyword replies all send through [`send`].

use crate::channels::ChannelKind;
use crate::ids::{AccountId, MessageId, RoomId, WorkspaceId};
use crate::rooms::{Author, Message, NewMessage};

use super::inbound::{SmsContext, SmsError};
use super::segments;

/// Queues `text` for the customer at `to` in `room`; returns the stored message, whose
/// `delivery_status` is `pending` until Twilio takes it.
#[tracing::instrument(skip_all, fields(workspace = %ws, room = %room))]
pub async fn send(
    cx: SmsContext<'_>,
    ws: WorkspaceId,
    room: RoomId,
    to: &str,
    text: &str,
    author: Author,
    author_account_id: Option<AccountId>,
) -> Result<Message, SmsError> {
    let channel = cx.store.channel(ws, ChannelKind::Sms).await?;
    let cap = usize::try_from(channel.settings.max_segments()).unwrap_or(1).max(1);
    let body = segments::fit(text.trim(), cap);
    let message = NewMessage {
        id: MessageId::new(),
        author,
        author_account_id,
        text: body,
        client_message_id: None,
        created_at: cx.clock.now(),
    };
    let stored = cx.store.enqueue_sms(ws, room, &message, to).await?;
    cx.hub.publish(room, stored.seq);
    cx.outbox.wake();
    Ok(stored)
}
