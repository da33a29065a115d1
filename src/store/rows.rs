//! Rows as both backends read them, and their conversion to domain types.
//!
//! The column lists are macros so each backend's SQL can `concat!` them: the two backends then
//! read exactly the same shape and share the decoding below.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::accounts::auth::TokenGrant;
use crate::accounts::{Account, Principal, Role};
use crate::agent::HandoffReason;
use crate::channels::{Channel, ChannelKind, ChannelSecrets, ChannelSettings, HandoffAction, SeenOrigin};
use crate::handoff::{Handoff, HandoffJob, HandoffState, HelpdeskCheck, HelpdeskIntegration, TicketDraft, TicketRef};
use crate::ids::{AccountId, CustomerId, HandoffId, MessageId, RoomId, WorkspaceId};
use crate::launch::{Actor, Checks, LaunchState, Transition};
use crate::rooms::queue::{CloseType, QueueState, RoomEventKind, RoomEventRecord, WrapUp};
use crate::rooms::{Author, Customer, Message, Room, RoomStatus};
use crate::sms::outbox::{Consent, QueuedSms};
use crate::workspaces::Workspace;

macro_rules! account_columns {
    () => {
        "id, workspace_id, login, name, role, manager_id, certified, counselling, deleted_at, created_at"
    };
}
macro_rules! room_columns {
    () => {
        "r.id, r.workspace_id, r.channel, r.status, r.assignee_id, r.tags, r.last_seq, \
         r.last_message_author, r.last_message_at, r.created_at, r.ticket_helpdesk, r.ticket_id, r.ticket_url, \
         r.close_type, r.closed_at, r.processed, r.wrap_up, r.hold, r.alarm_at, r.flagged, r.queued, r.version, \
         c.id AS customer_id, c.external_id, c.name AS customer_name, c.phone, c.email, c.tags AS customer_tags, \
         c.grade \
         FROM rooms r JOIN customers c ON c.id = r.customer_id"
    };
}
macro_rules! message_columns {
    () => {
        "id, room_id, seq, author, author_account_id, text, created_at, delivery_status, delivery_error"
    };
}
macro_rules! channel_columns {
    () => {
        "workspace_id, kind, widget_key, settings, secrets, checks, launch_state, activated_at, version, updated_at"
    };
}
macro_rules! handoff_columns {
    () => {
        "public_id, room_id, message_id, reason, detail, action, helpdesk, state, attempts, next_attempt_at, \
         last_error, ticket_id, ticket_url, created_at, delivered_at"
    };
}
macro_rules! helpdesk_columns {
    () => {
        "workspace_id, name, config, secrets, max_attempts, check_result, updated_at"
    };
}
pub(crate) use {account_columns, channel_columns, handoff_columns, helpdesk_columns, message_columns, room_columns};

#[derive(sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    id: WorkspaceId,
    name: String,
    seats: i64,
    time_zone: String,
    created_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace { id: r.id, name: r.name, seats: r.seats, time_zone: r.time_zone, created_at: r.created_at }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: AccountId,
    workspace_id: WorkspaceId,
    login: String,
    name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    manager_id: Option<AccountId>,
    certified: bool,
    counselling: bool,
    deleted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id,
            workspace_id: r.workspace_id,
            login: r.login,
            name: r.name,
            role: r.role,
            manager_id: r.manager_id,
            certified: r.certified,
            counselling: r.counselling,
            deleted_at: r.deleted_at,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LoginRow {
    #[sqlx(flatten)]
    pub account: AccountRow,
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PrincipalRow {
    account_id: AccountId,
    workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    role: Role,
}

impl From<PrincipalRow> for Principal {
    fn from(r: PrincipalRow) -> Self {
        Principal { account_id: r.account_id, workspace_id: r.workspace_id, role: r.role }
    }
}

/// A token row joined with its account.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    #[sqlx(flatten)]
    principal: PrincipalRow,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    source: String,
}

impl From<TokenRow> for TokenGrant {
    fn from(r: TokenRow) -> Self {
        TokenGrant {
            principal: r.principal.into(),
            created_at: r.created_at,
            last_used_at: r.last_used_at.unwrap_or(r.created_at),
            from_env: r.source == "env",
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    kind: ChannelKind,
    widget_key: Option<String>,
    settings: Json<ChannelSettings>,
    secrets: Json<ChannelSecrets>,
    checks: Json<Checks>,
    #[sqlx(try_from = "String")]
    launch_state: LaunchState,
    activated_at: Option<DateTime<Utc>>,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl From<ChannelRow> for Channel {
    fn from(r: ChannelRow) -> Self {
        Channel {
            workspace_id: r.workspace_id,
            kind: r.kind,
            widget_key: r.widget_key,
            settings: r.settings.0,
            secrets: r.secrets.0,
            checks: r.checks.0,
            state: r.launch_state,
            activated_at: r.activated_at,
            version: r.version,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TransitionRow {
    #[sqlx(try_from = "String")]
    from_state: LaunchState,
    #[sqlx(try_from = "String")]
    to_state: LaunchState,
    at: DateTime<Utc>,
    actor_id: Option<AccountId>,
    actor_name: Option<String>,
    reason: String,
}

impl From<TransitionRow> for Transition {
    fn from(r: TransitionRow) -> Self {
        Transition {
            from: r.from_state,
            to: r.to_state,
            at: r.at,
            actor: r.actor_id.map(|id| Actor { id, name: r.actor_name.unwrap_or_default() }),
            reason: r.reason,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OriginRow {
    origin: String,
    first_seen_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl From<OriginRow> for SeenOrigin {
    fn from(r: OriginRow) -> Self {
        SeenOrigin { origin: r.origin, first_seen_at: r.first_seen_at, last_seen_at: r.last_seen_at }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RoomRow {
    id: RoomId,
    workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    channel: ChannelKind,
    #[sqlx(try_from = "String")]
    status: RoomStatus,
    assignee_id: Option<AccountId>,
    tags: Json<Vec<String>>,
    last_seq: i64,
    last_message_author: Option<String>,
    last_message_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    ticket_helpdesk: Option<String>,
    ticket_id: Option<String>,
    ticket_url: Option<String>,
    customer_id: CustomerId,
    external_id: Option<String>,
    customer_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    customer_tags: Json<Vec<String>>,
    grade: Option<String>,
    close_type: Option<String>,
    closed_at: Option<DateTime<Utc>>,
    processed: bool,
    wrap_up: Option<Json<WrapUp>>,
    hold: bool,
    alarm_at: Option<DateTime<Utc>>,
    flagged: bool,
    queued: bool,
    version: i64,
}

impl TryFrom<RoomRow> for Room {
    type Error = sqlx::Error;
    fn try_from(r: RoomRow) -> Result<Self, Self::Error> {
        let last_message_author =
            r.last_message_author.map(Author::try_from).transpose().map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok(Room {
            id: r.id,
            workspace_id: r.workspace_id,
            channel: r.channel,
            customer: Customer {
                id: r.customer_id,
                external_id: r.external_id,
                name: r.customer_name,
                phone: r.phone,
                email: r.email,
                tags: r.customer_tags.0,
                grade: r.grade,
            },
            status: r.status,
            assignee_id: r.assignee_id,
            tags: r.tags.0,
            last_message_author,
            last_message_at: r.last_message_at,
            last_seq: r.last_seq,
            ticket: ticket_ref(r.ticket_helpdesk, r.ticket_id, r.ticket_url),
            created_at: r.created_at,
            queue: QueueState {
                close_type: r
                    .close_type
                    .map(CloseType::try_from)
                    .transpose()
                    .map_err(|e| sqlx::Error::Decode(e.into()))?,
                closed_at: r.closed_at,
                processed: r.processed,
                wrap_up: r.wrap_up.map(|w| w.0),
                hold: r.hold,
                alarm_at: r.alarm_at,
                flagged: r.flagged,
                queued: r.queued,
                version: r.version,
            },
        })
    }
}

/// An entry of a room's history.
#[derive(sqlx::FromRow)]
pub(crate) struct RoomEventRow {
    kind: String,
    actor_id: Option<AccountId>,
    target_id: Option<AccountId>,
    detail: Json<serde_json::Value>,
    at: DateTime<Utc>,
}

impl TryFrom<RoomEventRow> for RoomEventRecord {
    type Error = sqlx::Error;
    fn try_from(r: RoomEventRow) -> Result<Self, Self::Error> {
        Ok(RoomEventRecord {
            kind: RoomEventKind::try_from(r.kind).map_err(|e| sqlx::Error::Decode(e.into()))?,
            actor_id: r.actor_id,
            target_id: r.target_id,
            detail: r.detail.0,
            at: r.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: MessageId,
    room_id: RoomId,
    seq: i64,
    #[sqlx(try_from = "String")]
    author: Author,
    author_account_id: Option<AccountId>,
    text: String,
    created_at: DateTime<Utc>,
    delivery_status: Option<String>,
    delivery_error: Option<String>,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Message {
            id: r.id,
            room_id: r.room_id,
            seq: r.seq,
            author: r.author,
            author_account_id: r.author_account_id,
            text: r.text,
            created_at: r.created_at,
            delivery_status: r.delivery_status,
            delivery_error: r.delivery_error,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct QueuedSmsRow {
    id: MessageId,
    workspace_id: WorkspaceId,
    room_id: RoomId,
    to_number: String,
    body: String,
    attempts: i64,
}

impl From<QueuedSmsRow> for QueuedSms {
    fn from(r: QueuedSmsRow) -> Self {
        QueuedSms {
            message_id: r.id,
            workspace_id: r.workspace_id,
            room_id: r.room_id,
            to: r.to_number,
            body: r.body,
            attempts: r.attempts,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConsentRow {
    opted_out: bool,
    source: String,
    changed_at: DateTime<Utc>,
}

impl From<ConsentRow> for Consent {
    fn from(r: ConsentRow) -> Self {
        Consent { opted_out: r.opted_out, source: r.source, changed_at: r.changed_at }
    }
}

/// Twilio statuses after which a message's delivery does not change any more.
pub(crate) const FINAL_DELIVERY: [&str; 5] = ["delivered", "undelivered", "failed", "read", "canceled"];

/// The stored form of a handoff action.
pub(crate) fn action_str(action: HandoffAction) -> &'static str {
    match action {
        HandoffAction::Helpdesk => "helpdesk",
        HandoffAction::Queue => "queue",
        HandoffAction::Static => "static",
    }
}

fn parse_action(value: &str) -> Result<HandoffAction, sqlx::Error> {
    [HandoffAction::Helpdesk, HandoffAction::Queue, HandoffAction::Static]
        .into_iter()
        .find(|a| action_str(*a) == value)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown handoff action {value:?}").into()))
}

/// A ticket is known once the helpdesk gave its id.
fn ticket_ref(helpdesk: Option<String>, id: Option<String>, url: Option<String>) -> Option<TicketRef> {
    id.map(|id| TicketRef { helpdesk: helpdesk.unwrap_or_default(), id, url })
}

#[derive(sqlx::FromRow)]
pub(crate) struct HandoffRow {
    public_id: HandoffId,
    room_id: RoomId,
    message_id: MessageId,
    #[sqlx(try_from = "String")]
    reason: HandoffReason,
    detail: String,
    action: String,
    helpdesk: Option<String>,
    #[sqlx(try_from = "String")]
    state: HandoffState,
    attempts: i64,
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    ticket_id: Option<String>,
    ticket_url: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl TryFrom<HandoffRow> for Handoff {
    type Error = sqlx::Error;
    fn try_from(r: HandoffRow) -> Result<Self, Self::Error> {
        Ok(Handoff {
            id: r.public_id,
            room_id: r.room_id,
            message_id: r.message_id,
            reason: r.reason,
            detail: r.detail,
            action: parse_action(&r.action)?,
            ticket: ticket_ref(r.helpdesk.clone(), r.ticket_id, r.ticket_url),
            helpdesk: r.helpdesk,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HandoffJobRow {
    public_id: HandoffId,
    workspace_id: WorkspaceId,
    room_id: RoomId,
    helpdesk: String,
    ticket: Json<TicketDraft>,
    attempts: i64,
    notify: bool,
    uncertain: bool,
    created_at: DateTime<Utc>,
}

impl From<HandoffJobRow> for HandoffJob {
    fn from(r: HandoffJobRow) -> Self {
        HandoffJob {
            id: r.public_id,
            workspace_id: r.workspace_id,
            room_id: r.room_id,
            helpdesk: r.helpdesk,
            draft: r.ticket.0,
            attempts: r.attempts,
            notify: r.notify,
            uncertain: r.uncertain,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HelpdeskRow {
    workspace_id: WorkspaceId,
    name: String,
    config: Json<BTreeMap<String, String>>,
    secrets: Json<BTreeMap<String, String>>,
    max_attempts: i64,
    check_result: Option<Json<HelpdeskCheck>>,
    updated_at: DateTime<Utc>,
}

impl From<HelpdeskRow> for HelpdeskIntegration {
    fn from(r: HelpdeskRow) -> Self {
        HelpdeskIntegration {
            workspace_id: r.workspace_id,
            name: r.name,
            config: r.config.0,
            secrets: r.secrets.0,
            max_attempts: r.max_attempts,
            check: r.check_result.map(|c| c.0),
            updated_at: r.updated_at,
        }
    }
}
