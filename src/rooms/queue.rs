//! The counselor queue's records: how a room was closed, its wrap-up, its history, the changes
//! the queue writes and the questions the room list asks the store.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::autoclose::{AutoCloseSettings, Rule};
use super::distribution::DistributionSettings;
use super::{Room, RoomStatus};
use crate::ids::{AccountId, RoomId, WorkspaceId};
use crate::store::Notice;

/// Who closed a room (seed 001: 매니저종료, 자동종료, 상담원종료, 고객종료).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseType {
    /// A manager or the admin closed a counselor's room.
    Manager,
    /// The auto-close sweeper.
    Auto,
    /// The counselor working the room.
    Counselor,
    /// The customer, from the widget.
    Customer,
}

impl CloseType {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseType::Manager => "manager",
            CloseType::Auto => "auto",
            CloseType::Counselor => "counselor",
            CloseType::Customer => "customer",
        }
    }

    /// Counselor and manager closes count as processed without a wrap-up.
    pub fn processed(self) -> bool {
        matches!(self, CloseType::Manager | CloseType::Counselor)
    }
}

impl TryFrom<String> for CloseType {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        [CloseType::Manager, CloseType::Auto, CloseType::Counselor, CloseType::Customer]
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| format!("unknown close type {value:?}"))
    }
}

/// The after-work on a closed room (종료 이력 처리).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WrapUp {
    /// Consultation category.
    pub category: String,
    /// Free note.
    pub note: String,
    /// Who wrapped it up.
    pub by: AccountId,
    /// When.
    pub at: DateTime<Utc>,
}

/// What the queue adds to a room.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
pub struct QueueState {
    /// How the room was closed, once closed.
    pub close_type: Option<CloseType>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Whether the closed room counts as processed (wrapped up, or closed by a counselor or manager).
    pub processed: bool,
    /// The wrap-up, once done.
    pub wrap_up: Option<WrapUp>,
    /// 보류: never auto-closed.
    pub hold: bool,
    /// 알람: when the reminder fires.
    pub alarm_at: Option<DateTime<Utc>>,
    /// Marked with a flag by a counselor.
    pub flagged: bool,
    /// Whether the room was ever handed to the counselor queue (a reopened room returns there).
    pub queued: bool,
    /// Bumped by every change to the room, messages included; writes compare it.
    pub version: i64,
}

/// Kinds of entries in a room's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomEventKind {
    /// Entered the counselor queue.
    Queued,
    /// Distribution gave it to a counselor.
    Assigned,
    /// A counselor took it from the waiting list.
    Received,
    /// Moved to another counselor.
    Transferred,
    /// Closed.
    Closed,
    /// Reopened by the customer.
    Reopened,
    /// Held.
    Held,
    /// Hold released.
    Unheld,
    /// An alarm was set (or cleared, with no time).
    AlarmSet,
    /// An alarm went off.
    AlarmFired,
    /// Wrapped up.
    WrappedUp,
    /// Tags, flag or grade changed.
    Edited,
}

impl RoomEventKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            RoomEventKind::Queued => "queued",
            RoomEventKind::Assigned => "assigned",
            RoomEventKind::Received => "received",
            RoomEventKind::Transferred => "transferred",
            RoomEventKind::Closed => "closed",
            RoomEventKind::Reopened => "reopened",
            RoomEventKind::Held => "held",
            RoomEventKind::Unheld => "unheld",
            RoomEventKind::AlarmSet => "alarm_set",
            RoomEventKind::AlarmFired => "alarm_fired",
            RoomEventKind::WrappedUp => "wrapped_up",
            RoomEventKind::Edited => "edited",
        }
    }
}

impl TryFrom<String> for RoomEventKind {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        use RoomEventKind::*;
        [
            Queued,
            Assigned,
            Received,
            Transferred,
            Closed,
            Reopened,
            Held,
            Unheld,
            AlarmSet,
            AlarmFired,
            WrappedUp,
            Edited,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
        .ok_or_else(|| format!("unknown room event {value:?}"))
    }
}

/// One entry of a room's history, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomEventRecord {
    /// What happened.
    pub kind: RoomEventKind,
    /// Who did it (none for the engine).
    pub actor_id: Option<AccountId>,
    /// The counselor it concerns (assigned or transferred to).
    pub target_id: Option<AccountId>,
    /// Details: `{"from": …}` for transfers, `{"close_type": …}`, `{"rule": …}`, …
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// A change the queue writes to one room, atomically: the new status and queue state, an
/// optional message (with its SMS text), and a history entry. Written only while the room's
/// version is still `expected_version`; otherwise [`crate::store::StoreError::Conflict`].
#[derive(Debug, Clone)]
pub struct RoomUpdate {
    /// The room's workspace.
    pub workspace_id: WorkspaceId,
    /// The room.
    pub room_id: RoomId,
    /// The version the change was computed from.
    pub expected_version: i64,
    /// The new status.
    pub status: RoomStatus,
    /// The new counselor.
    pub assignee_id: Option<AccountId>,
    /// The new queue state (its `version` is ignored: the store bumps it).
    pub state: QueueState,
    /// New room tags, when they change.
    pub tags: Option<Vec<String>>,
    /// New customer grade (`Some(None)` clears it), when it changes.
    pub customer_grade: Option<Option<String>>,
    /// New customer tags, when they change.
    pub customer_tags: Option<Vec<String>>,
    /// A message written with the change: a counselor's reply, or the auto-close message.
    pub message: Option<Notice>,
    /// The history entry, if the change makes one.
    pub event: Option<RoomEventRecord>,
}

/// A workspace's queue settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct QueueSettings {
    /// Distribution.
    pub distribution: DistributionSettings,
    /// Auto-close.
    pub auto_close: AutoCloseSettings,
}

/// Which rooms a caller may see (role scoping, seed 002).
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// The admin: everything in the workspace.
    All,
    /// A manager or an agent: the waiting list plus the rooms of these counselors (themselves and,
    /// for a manager, the agents they manage); `bot` adds the rooms still with the AI agent
    /// (managers see those too).
    Counselors {
        /// Whose rooms.
        ids: Vec<AccountId>,
        /// Whether rooms with the AI agent are visible.
        bot: bool,
    },
}

/// Which tab of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tab {
    /// With the AI agent.
    Bot,
    /// 대기.
    Waiting,
    /// 접수.
    Received,
    /// 문의.
    Inquiry,
    /// 응대.
    Answered,
    /// 진행: inquiry and answered together.
    InProgress,
    /// 종료: closed rooms, today's by default.
    Closed,
    /// 보류: held open rooms, whatever their status.
    Hold,
    /// 알람: open rooms with an alarm set.
    Alarm,
}

/// What a search term is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    /// Message text, substring, case-insensitive.
    #[default]
    Content,
    /// The customer's id (ours or the brand's external id), exact.
    CustomerId,
    /// A customer tag, exact.
    CustomerTag,
    /// A room tag, exact.
    RoomTag,
    /// The customer's name, exact.
    Name,
    /// The customer's phone, exact.
    Phone,
    /// The customer's email, exact (case-insensitive).
    Email,
}

/// List order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Latest message first (최근대화순▼), the default.
    #[default]
    LastMessageDesc,
    /// Oldest latest message first (최근대화순▲).
    LastMessageAsc,
    /// Newest room first (상담시간순▼).
    CreatedDesc,
    /// Oldest room first (상담시간순▲).
    CreatedAsc,
}

/// A room-list question.
#[derive(Debug, Clone)]
pub struct RoomQuery {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// Who is asking.
    pub scope: Scope,
    /// The tab.
    pub tab: Tab,
    /// For the closed tab: closed at or after this moment (today's local midnight by default).
    pub closed_from: Option<DateTime<Utc>>,
    /// For the closed tab: closed before this moment.
    pub closed_to: Option<DateTime<Utc>>,
    /// A search term and its field.
    pub search: Option<(SearchField, String)>,
    /// Only rooms whose customer has this grade.
    pub grade: Option<String>,
    /// Only flagged rooms.
    pub flagged: bool,
    /// Order.
    pub sort: Sort,
    /// At most this many rooms.
    pub limit: i64,
    /// Paging: rooms after this one in the chosen order.
    pub after: Option<RoomId>,
}

/// A message whose text matched a content search.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedMessage {
    /// The message's sequence number in its room.
    pub seq: i64,
    /// Its text.
    pub text: String,
}

/// One row of the list: the room, and for a content search the messages that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedRoom {
    /// The room.
    pub room: Room,
    /// Text of the last message.
    pub last_message_text: Option<String>,
    /// Matching messages, newest first, at most three.
    pub matches: Vec<MatchedMessage>,
}

/// The numbers on the status tabs; `hold` and `alarm` count rooms already counted in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
pub struct RoomCounts {
    /// With the AI agent.
    pub bot: i64,
    /// 대기.
    pub waiting: i64,
    /// 접수.
    pub received: i64,
    /// 문의.
    pub inquiry: i64,
    /// 응대.
    pub answered: i64,
    /// 종료, today.
    pub closed: i64,
    /// 보류.
    pub hold: i64,
    /// 알람.
    pub alarm: i64,
}

/// A room the sweeper found due, with what it needs to close it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueRoom {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The room.
    pub room_id: RoomId,
    /// The rule that closes it.
    pub rule: Rule,
    /// Its status before closing.
    pub status: RoomStatus,
    /// Its counselor.
    pub assignee_id: Option<AccountId>,
    /// Time of its last message.
    pub last_message_at: DateTime<Utc>,
    /// The version it was found at: the close happens only if nothing changed since.
    pub version: i64,
    /// For SMS rooms, the customer's number (the auto-close message is texted).
    pub sms_to: Option<String>,
}

/// An alarm that went off.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredAlarm {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The room.
    pub room_id: RoomId,
    /// The counselor the room belongs to.
    pub assignee_id: Option<AccountId>,
    /// When it was set to go off.
    pub at: DateTime<Utc>,
}
