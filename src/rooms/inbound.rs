//! The start of the path of one message: persist it, update the room, wake its watchers.
//!
//! Every channel (webchat now, SMS later) hands inbound customer messages to [`receive`]; once it
//! returns, the message is committed and the caller may acknowledge it. The agent and the counselor
//! queue hang off this point.

use crate::clock::Clock;
use crate::events::Hub;
use crate::ids::{MessageId, RoomId, WorkspaceId};
use crate::rooms::{Appended, Author, MAX_TEXT_CHARS, NewMessage};
use crate::store::{Store, StoreError};

/// Why a message was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// The text or the idempotency key is invalid; says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The room does not exist in this workspace.
    #[error("no such conversation")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for InboundError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => InboundError::NotFound,
            other => InboundError::Store(other),
        }
    }
}

/// Stores a customer message (idempotently by `client_message_id`) and wakes live streams.
#[tracing::instrument(skip_all, fields(workspace = %ws, room = %room))]
pub async fn receive(
    store: &dyn Store,
    hub: &Hub,
    clock: &dyn Clock,
    ws: WorkspaceId,
    room: RoomId,
    text: &str,
    client_message_id: &str,
) -> Result<Appended, InboundError> {
    let text = valid_text(text)?;
    let client_message_id = valid_client_id(client_message_id)?;
    let message = NewMessage {
        id: MessageId::new(),
        author: Author::Customer,
        author_account_id: None,
        text,
        client_message_id: Some(client_message_id),
        created_at: clock.now(),
    };
    let appended = store.append_message(ws, room, &message).await?;
    if appended.duplicate {
        metrics::counter!("sangdam_inbound_duplicates_total").increment(1);
    } else {
        metrics::counter!("sangdam_inbound_messages_total").increment(1);
        hub.publish(room, appended.message.seq);
    }
    Ok(appended)
}

/// Message text as sent: not blank, at most [`MAX_TEXT_CHARS`] characters, no control characters
/// but line breaks and tabs. What is stored is trimmed of surrounding white space.
pub fn valid_text(text: &str) -> Result<String, InboundError> {
    if text.trim().is_empty() {
        return Err(InboundError::Invalid("text: the message is empty".into()));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(InboundError::Invalid(format!("text: longer than {MAX_TEXT_CHARS} characters")));
    }
    if !crate::text::is_text(text) {
        return Err(InboundError::Invalid("text: contains control characters".into()));
    }
    Ok(text.trim().to_owned())
}

/// Longest client message id, in bytes (printable ASCII, so characters too).
pub const MAX_CLIENT_ID: usize = 100;

/// What a client message id may be, as a JSON Schema pattern: the rule [`valid_client_id`] checks.
pub const CLIENT_ID_PATTERN: &str = "^[!-~]{1,100}$";

fn valid_client_id(id: &str) -> Result<String, InboundError> {
    let ok = (1..=MAX_CLIENT_ID).contains(&id.len()) && id.chars().all(|c| c.is_ascii_graphic());
    if !ok {
        return Err(InboundError::Invalid(
            "client_message_id: give 1 to 100 printable ASCII characters, unique per message".into(),
        ));
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(valid_text("  주문 1001 어디쯤이에요?\n").unwrap(), "주문 1001 어디쯤이에요?");
        assert!(valid_text(" \n ").is_err());
        assert!(valid_text(&"가".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(valid_text(&"가".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(valid_text("bell\u{7}").is_err());
        assert!(valid_text("line\nbreak\ttab").is_ok());
    }

    #[test]
    fn client_ids_are_bounded_ascii() {
        assert!(valid_client_id("c-123e4567").is_ok());
        assert!(valid_client_id("").is_err());
        assert!(valid_client_id("has space").is_err());
        assert!(valid_client_id(&"x".repeat(101)).is_err());
    }
}
