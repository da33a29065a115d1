//! Rooms: the conversation model the AI agent and the counselor queue share.
//!
//! A room is one conversation with one customer on one channel. Its messages carry a per-room
//! sequence number, assigned under the room's row lock, so the order customers see is the order
//! the store committed, and a live stream can resume from the last number it delivered.

pub mod autoclose;
pub mod context;
pub mod counselor;
pub mod distribution;
pub mod inbound;
pub mod machine;
pub mod queue;
pub mod sweeper;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channels::ChannelKind;
use crate::ids::{AccountId, CustomerId, MessageId, RoomId, WorkspaceId};

/// Longest message text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// Where a room stands. `bot` rooms are with the AI agent; the others are the counselor queue's
/// statuses (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomStatus {
    /// With the AI agent; no counselor involved.
    Bot,
    /// 대기: in the queue, unassigned.
    Waiting,
    /// 접수: assigned; the counselor has not replied yet.
    Received,
    /// 문의: replied at least once; the last message is the customer's.
    Inquiry,
    /// 응대: the last message is the counselor's.
    Answered,
    /// 종료: closed.
    Closed,
}

impl RoomStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomStatus::Bot => "bot",
            RoomStatus::Waiting => "waiting",
            RoomStatus::Received => "received",
            RoomStatus::Inquiry => "inquiry",
            RoomStatus::Answered => "answered",
            RoomStatus::Closed => "closed",
        }
    }
}

impl TryFrom<String> for RoomStatus {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        [
            RoomStatus::Bot,
            RoomStatus::Waiting,
            RoomStatus::Received,
            RoomStatus::Inquiry,
            RoomStatus::Answered,
            RoomStatus::Closed,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
        .ok_or_else(|| format!("unknown room status {value:?}"))
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// The customer.
    Customer,
    /// The AI agent.
    Bot,
    /// A human counselor (agent or manager).
    Counselor,
    /// The engine itself: handoff notices, auto-close messages.
    System,
}

impl Author {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Bot => "bot",
            Author::Counselor => "counselor",
            Author::System => "system",
        }
    }
}

impl TryFrom<String> for Author {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        [Author::Customer, Author::Bot, Author::Counselor, Author::System]
            .into_iter()
            .find(|author| author.as_str() == value)
            .ok_or_else(|| format!("unknown message author {value:?}"))
    }
}

/// A customer as a workspace knows them.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Customer {
    /// Stable id.
    pub id: CustomerId,
    /// The brand's own id for the customer, when the page passed one; conversations of the same
    /// external id share one customer record.
    pub external_id: Option<String>,
    /// Name as given.
    pub name: Option<String>,
    /// Phone number as given.
    pub phone: Option<String>,
    /// Email address as given.
    pub email: Option<String>,
    /// Customer tags, for search and routing.
    pub tags: Vec<String>,
    /// Customer grade (고객 등급, e.g. `VIP`), for filtering the room list.
    pub grade: Option<String>,
}

/// Identity a customer gives when a conversation starts. A blank value (empty, or white space
/// only) counts as not given; others are checked as sent and stored trimmed.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIdentity {
    /// Name (up to 100 printable characters).
    #[schemars(length(max = identity::MAX_NAME), regex(pattern = identity::PRINTABLE_PATTERN))]
    pub name: Option<String>,
    /// Email address: something, `@`, a domain with a dot not at its start; no white space (up to
    /// 254 characters).
    #[schemars(length(max = identity::MAX_EMAIL), regex(pattern = identity::EMAIL_PATTERN))]
    pub email: Option<String>,
    /// Phone number: 6 to 15 digits, with spaces, `+`, `-` and parentheses (up to 32 characters).
    #[schemars(length(max = identity::MAX_PHONE), regex(pattern = identity::PHONE_PATTERN))]
    pub phone: Option<String>,
    /// The brand's own customer id (up to 200 printable characters).
    #[schemars(length(max = identity::MAX_EXTERNAL_ID), regex(pattern = identity::PRINTABLE_PATTERN))]
    pub external_id: Option<String>,
}

/// The rules of a [`CustomerIdentity`], as the webchat service checks them and as the API document
/// states them.
pub mod identity {
    use crate::text::{blank, invisible, printable};

    /// Longest name, in characters.
    pub const MAX_NAME: usize = 100;
    /// Longest email address, in characters.
    pub const MAX_EMAIL: usize = 254;
    /// Longest phone number, in characters.
    pub const MAX_PHONE: usize = 32;
    /// Longest external id, in characters.
    pub const MAX_EXTERNAL_ID: usize = 200;

    /// Blank, or no control characters.
    pub const PRINTABLE_PATTERN: &str = concat!("^(?:", blank!(), "*|", printable!(), "*)$");
    /// Blank, or an address as [`plausible_email`] reads one.
    pub const EMAIL_PATTERN: &str = concat!(
        "^(?:",
        blank!(),
        "*|[^@",
        invisible!(),
        "]+@[^.",
        invisible!(),
        "][^",
        invisible!(),
        "]*\\.[^",
        invisible!(),
        "]*)$"
    );
    /// Blank, or a number as [`plausible_phone`] reads one.
    pub const PHONE_PATTERN: &str = concat!("^(?:", blank!(), "*|[ +()-]*(?:[0-9][ +()-]*){6,15})$");

    /// Something, `@`, then a domain with a dot that does not start with one; no white space or
    /// control characters anywhere.
    pub fn plausible_email(email: &str) -> bool {
        let clean = !email.chars().any(|c| c.is_whitespace() || c.is_control());
        clean
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'))
    }

    /// 6 to 15 digits, and nothing else but spaces, `+`, `-` and parentheses.
    pub fn plausible_phone(phone: &str) -> bool {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        phone.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) && (6..=15).contains(&digits)
    }
}

/// One conversation.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Room {
    /// Stable id; the webchat API calls it the conversation id.
    pub id: RoomId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// Channel the customer writes on.
    pub channel: ChannelKind,
    /// The customer.
    pub customer: Customer,
    /// Where the room stands.
    pub status: RoomStatus,
    /// The counselor working the room, once assigned.
    pub assignee_id: Option<AccountId>,
    /// Room tags.
    pub tags: Vec<String>,
    /// Author of the latest message.
    pub last_message_author: Option<Author>,
    /// Time of the latest message.
    pub last_message_at: Option<DateTime<Utc>>,
    /// Sequence number of the latest message (0 before the first).
    pub last_seq: i64,
    /// The helpdesk ticket the conversation was handed off to, once created.
    pub ticket: Option<crate::handoff::TicketRef>,
    /// When the room was opened.
    pub created_at: DateTime<Utc>,
    /// The counselor queue's state: close type, wrap-up, hold, alarm, flag.
    #[serde(flatten)]
    pub queue: queue::QueueState,
}

/// One message in a room.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Message {
    /// Stable id.
    pub id: MessageId,
    /// The room it belongs to.
    #[serde(skip)]
    pub room_id: RoomId,
    /// Position in the room, from 1; the SSE event id.
    #[serde(skip)]
    pub seq: i64,
    /// Who wrote it.
    pub author: Author,
    /// The counselor who wrote it, for counselor messages.
    #[serde(skip)]
    pub author_account_id: Option<AccountId>,
    /// The text.
    pub text: String,
    /// When the engine accepted it.
    pub created_at: DateTime<Utc>,
    /// For messages sent out by SMS: `pending`, then Twilio's status (`queued`, `sent`,
    /// `delivered`, `undelivered`, `failed`), or `blocked` when the customer opted out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<String>,
    /// Why delivery failed, with Twilio's error code when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Id to give the message if it is new.
    pub id: MessageId,
    /// Who wrote it.
    pub author: Author,
    /// The counselor who wrote it, for counselor messages.
    pub author_account_id: Option<AccountId>,
    /// The text, already validated.
    pub text: String,
    /// The sender's idempotency key: a second message with the same key in the same room is the
    /// first one again.
    pub client_message_id: Option<String>,
    /// Acceptance time.
    pub created_at: DateTime<Utc>,
}

impl NewMessage {
    /// The message as stored at position `seq` of `room`.
    pub fn stored(&self, room: RoomId, seq: i64) -> Message {
        Message {
            id: self.id,
            room_id: room,
            seq,
            author: self.author,
            author_account_id: self.author_account_id,
            text: self.text.clone(),
            created_at: self.created_at,
            delivery_status: None,
            delivery_error: None,
        }
    }
}

/// The outcome of storing a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    /// The stored message (the earlier one for a repeated `client_message_id`).
    pub message: Message,
    /// Whether this call stored nothing because the message was already there.
    pub duplicate: bool,
}
