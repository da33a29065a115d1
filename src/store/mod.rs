//! Persistence: one storage trait per aggregate and two hand-written backends.
//!
//! [`connect`] picks the backend once, from the database URL: embedded SQLite (the default, a file
//! in the data directory) or PostgreSQL (several engine processes sharing one database). Each
//! backend owns its SQL and its migrations, applied at start-up. The rest of the engine sees only
//! `Arc<dyn Store>`.

mod outage;
pub mod postgres;
mod queue_plan;
mod records;
mod rows;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::accounts::Account;
use crate::accounts::auth::TokenGrant;
use crate::agent::ConversationState;
use crate::channels::{Channel, ChannelKind, SeenOrigin};
use crate::handoff::{Handoff, HandoffJob, HandoffState, HelpdeskIntegration, JobOutcome, NewHandoff};
use crate::ids::{AccountId, HandoffId, MessageId, RoomId, WorkspaceId};
use crate::launch::Transition;
use crate::rooms::autoclose::AutoCloseSettings;
use crate::rooms::distribution::CounselorDay;
use crate::rooms::queue::{
    DueRoom, FiredAlarm, ListedRoom, QueueSettings, RoomCounts, RoomEventRecord, RoomQuery, RoomUpdate, Scope,
};
use crate::rooms::{Appended, Message, NewMessage, Room};
use crate::sms::outbox::{Consent, QueuedSms, SmsOutcome};
use crate::workspaces::Workspace;
pub use records::{AccountChanges, AccountRecord, ChannelUpdate, NewConversation, Provisioning};

/// What can go wrong in the store, in terms the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist in this workspace.
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; names the value.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// Certifying would exceed the workspace's seats.
    #[error("all {seats} seats are certified")]
    SeatLimit {
        /// The workspace's seat count.
        seats: i64,
    },
    /// The record changed since it was read; read it again and retry.
    #[error("changed concurrently")]
    Conflict,
    /// The account still holds open rooms and cannot be uncertified or deleted.
    #[error("the account holds {0} open rooms")]
    HoldsOpenRooms(i64),
    /// The database cannot serve the call for now: the disk is full, the file or server is
    /// read-only, the server is gone or out of connections. Names the cause; retrying later, once
    /// an operator acted or the server is back, may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The database failed otherwise (a bug, or data it cannot decode).
    #[error(transparent)]
    Database(sqlx::Error),
    /// Migrations could not be applied.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match outage::reason(&e) {
            Some(reason) => StoreError::Unavailable(reason),
            None => StoreError::Database(e),
        }
    }
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Workspaces and their provisioning.
#[async_trait]
pub trait WorkspaceStore {
    /// Creates a workspace with its admin, the admin's token and its channels, atomically. With
    /// `only_if_empty`, does nothing and returns `false` when any workspace exists already.
    async fn provision(&self, p: &Provisioning, only_if_empty: bool) -> StoreResult<bool>;
    /// One workspace.
    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    /// The admin of the oldest workspace, if any; the account `SANGDAM_ADMIN_TOKEN` belongs to.
    async fn first_admin(&self) -> StoreResult<Option<Account>>;
}

/// Accounts, their certification and their API tokens.
#[async_trait]
pub trait AccountStore {
    /// Inserts an account; [`StoreError::Taken`] when its workspace has the login (in any case).
    async fn insert_account(&self, account: &AccountRecord) -> StoreResult<()>;
    /// One account of a workspace.
    async fn account(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account>;
    /// Every account of a workspace, oldest first.
    async fn accounts(&self, ws: WorkspaceId) -> StoreResult<Vec<Account>>;
    /// The accounts not deleted whose lowercase login is `login_normalised`, with their password
    /// hashes: in `ws` when given, else in every workspace.
    async fn accounts_by_login(
        &self,
        login_normalised: &str,
        ws: Option<WorkspaceId>,
    ) -> StoreResult<Vec<(Account, String)>>;
    /// An account's password hash.
    async fn password_hash(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<String>;
    /// Applies changes to an account (and revokes its tokens when asked), atomically.
    async fn update_account(&self, ws: WorkspaceId, id: AccountId, c: &AccountChanges) -> StoreResult<Account>;
    /// Certifies an account unless that would exceed the seats; race-free across processes.
    async fn certify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account>;
    /// Uncertifies an account unless it holds open rooms; its tokens stop working.
    async fn uncertify(&self, ws: WorkspaceId, id: AccountId) -> StoreResult<Account>;
    /// Marks an account deleted unless it holds open rooms; its tokens are removed.
    async fn delete_account(&self, ws: WorkspaceId, id: AccountId, at: DateTime<Utc>) -> StoreResult<Account>;
    /// Stores a login token's hash for an account.
    async fn insert_token(&self, token_hash: &str, account: &Account, at: DateTime<Utc>) -> StoreResult<()>;
    /// A token and the caller behind it, if the token exists and its account may log in.
    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>>;
    /// Records a token's last use.
    async fn touch_token(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Forgets an account's login tokens last used before `idle_before` or issued before
    /// `issued_before`.
    async fn prune_tokens(
        &self,
        account: AccountId,
        idle_before: DateTime<Utc>,
        issued_before: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Forgets a token.
    async fn delete_token(&self, token_hash: &str) -> StoreResult<()>;
    /// Takes `token_hash` as the `SANGDAM_ADMIN_TOKEN` token of `admin`, unless that token was
    /// seen before (then nothing changes and the answer is `false`): it is remembered for good,
    /// the earlier environment tokens are revoked and it is stored as a token that does not
    /// expire.
    async fn adopt_env_token(&self, token_hash: &str, admin: &Account, at: DateTime<Utc>) -> StoreResult<bool>;
}

/// Channels, their settings and where the widget was loaded.
#[async_trait]
pub trait ChannelStore {
    /// One channel of a workspace.
    async fn channel(&self, ws: WorkspaceId, kind: ChannelKind) -> StoreResult<Channel>;
    /// The webchat channel a widget key belongs to.
    async fn channel_by_widget_key(&self, key: &str) -> StoreResult<Option<Channel>>;
    /// Where a channel's launch stands, without its settings: the state and `activated_at`.
    async fn launch_state(
        &self,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> StoreResult<(crate::launch::LaunchState, Option<DateTime<Utc>>)>;
    /// The SMS channel whose number is `number`.
    async fn channel_by_sms_number(&self, number: &str) -> StoreResult<Option<Channel>>;
    /// Saves a channel's settings, checks and launch state, with the transition if there is one,
    /// atomically; [`StoreError::Conflict`] when the channel's version is no longer
    /// `expected_version`, [`StoreError::Taken`] when the SMS number belongs to another workspace.
    async fn save_channel(&self, u: &ChannelUpdate<'_>) -> StoreResult<Channel>;
    /// A channel's launch transitions, newest first, at most `limit`.
    async fn launch_history(&self, ws: WorkspaceId, kind: ChannelKind, limit: i64) -> StoreResult<Vec<Transition>>;
    /// Records that the widget was loaded on a page of `origin`; true the first time.
    async fn record_widget_origin(&self, ws: WorkspaceId, origin: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The origins the widget was loaded from, most recent first.
    async fn widget_origins(&self, ws: WorkspaceId) -> StoreResult<Vec<SeenOrigin>>;
}

/// Signing keys shared by the engine's processes, and the widget load tokens already used.
#[async_trait]
pub trait WidgetLoadStore {
    /// The signing key for `purpose`: the stored one, or `candidate`, stored now, when there is
    /// none yet. Every process asking gets the same key.
    async fn signing_key(&self, purpose: &str, candidate: &str, at: DateTime<Utc>) -> StoreResult<String>;
    /// Marks a widget load token's nonce used; true the first time. Nonces past their expiry are
    /// forgotten (their tokens are refused on expiry anyway).
    async fn use_widget_load(&self, nonce: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool>;
}

/// What the agent keeps per conversation.
#[async_trait]
pub trait AgentStore {
    /// The agent's memory of a conversation, if it has any.
    async fn agent_state(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<ConversationState>>;
    /// Replaces the agent's memory of a conversation.
    async fn save_agent_state(&self, ws: WorkspaceId, room: RoomId, state: &ConversationState) -> StoreResult<()>;
    /// Rooms still with the bot whose last message, newer than `since`, is the customer's and
    /// no handoff was decided: what a crash may have left unanswered.
    async fn unanswered(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(WorkspaceId, RoomId)>>;
}

/// Handoffs, their ticket outbox, and the workspaces' helpdesk integrations.
#[async_trait]
pub trait HandoffStore {
    /// Records a handoff decision, atomically with: its ticket job (action `helpdesk`), the room
    /// moving to `waiting` (actions `queue` and `static`, while the room is still with the bot),
    /// and the `notices` to the customer (the handoff message: a bot message on webchat, a queued
    /// text on SMS). Returns the stored notices.
    async fn record_handoff(&self, h: &NewHandoff, notices: &[Notice]) -> StoreResult<Vec<Message>>;
    /// The latest handoff of a conversation.
    async fn handoff_of(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<Handoff>>;
    /// One handoff of a workspace.
    async fn handoff(&self, ws: WorkspaceId, id: HandoffId) -> StoreResult<Handoff>;
    /// A workspace's handoffs, newest first, optionally in one state; at most `limit`, older than
    /// `before` when given (paging).
    async fn handoffs(
        &self,
        ws: WorkspaceId,
        state: Option<HandoffState>,
        before: Option<HandoffId>,
        limit: i64,
    ) -> StoreResult<Vec<Handoff>>;
    /// Claims up to `limit` pending ticket jobs due at `now` whose lease is free, reserving them
    /// until `lease_until` and counting the attempt; two workers never claim one job at once.
    async fn claim_handoffs(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<HandoffJob>>;
    /// Records an attempt's outcome on a pending job and releases its lease, atomically with the
    /// `notices` to the customer (the handoff message that waited for the ticket); a delivered
    /// ticket is also recorded on the room. Does nothing, and writes no notice, when the job is no
    /// longer pending. Returns the stored notices.
    async fn finish_handoff(
        &self,
        id: HandoffId,
        outcome: &JobOutcome,
        at: DateTime<Utc>,
        notices: &[Notice],
    ) -> StoreResult<Vec<Message>>;
    /// Puts a dead letter back in the outbox, due at `at`, with its attempts reset;
    /// [`StoreError::Conflict`] when it is not dead.
    async fn retry_handoff(&self, ws: WorkspaceId, id: HandoffId, at: DateTime<Utc>) -> StoreResult<Handoff>;
    /// Pending ticket jobs across workspaces (the outbox depth).
    async fn pending_handoffs(&self) -> StoreResult<i64>;
    /// A workspace's helpdesk integrations, by name.
    async fn helpdesks(&self, ws: WorkspaceId) -> StoreResult<Vec<HelpdeskIntegration>>;
    /// One helpdesk integration.
    async fn helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<HelpdeskIntegration>;
    /// Creates or replaces a helpdesk integration.
    async fn save_helpdesk(&self, h: &HelpdeskIntegration) -> StoreResult<()>;
    /// Removes a helpdesk integration; [`StoreError::NotFound`] when there is none.
    async fn delete_helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<()>;
}

/// A message to the customer written with a handoff decision.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The message.
    pub message: NewMessage,
    /// On SMS, the number to text it to (it is queued in the SMS outbox).
    pub sms_to: Option<String>,
}

/// The SMS channel: customers' rooms by number, consent, and the outbox.
#[async_trait]
pub trait SmsStore {
    /// The open SMS room of the customer texting from `phone`, or a new one with `new`'s ids;
    /// race-free, so two first texts from one number open one room.
    async fn sms_room(&self, ws: WorkspaceId, phone: &str, new: &NewConversation) -> StoreResult<Room>;
    /// Whether `phone` opted out, if it ever said.
    async fn consent(&self, ws: WorkspaceId, phone: &str) -> StoreResult<Option<Consent>>;
    /// Records an opt-out or opt-in.
    async fn set_consent(
        &self,
        ws: WorkspaceId,
        phone: &str,
        opted_out: bool,
        source: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Appends an outgoing message and queues it for `to`, atomically.
    async fn enqueue_sms(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage, to: &str) -> StoreResult<Message>;
    /// Claims up to `limit` queued texts due at `now`, reserving them until `lease_until`.
    async fn claim_sms(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<QueuedSms>>;
    /// Records an attempt's outcome on the outbox row and its message.
    async fn finish_sms(&self, id: MessageId, outcome: &SmsOutcome, at: DateTime<Utc>) -> StoreResult<()>;
    /// Records a delivery report for the text Twilio knows as `twilio_sid`; a report never moves
    /// a message back from a final status. Returns the message when it belongs to `ws`.
    async fn sms_delivery(
        &self,
        ws: WorkspaceId,
        twilio_sid: &str,
        status: &str,
        error: Option<&str>,
    ) -> StoreResult<Option<MessageId>>;
}

/// Rooms (conversations) and their messages.
#[async_trait]
pub trait RoomStore {
    /// Opens a room for a customer (found by external id, or new).
    async fn open_conversation(&self, c: &NewConversation) -> StoreResult<Room>;
    /// The room a customer conversation token belongs to.
    async fn room_by_token(&self, token_hash: &str) -> StoreResult<Option<(WorkspaceId, RoomId)>>;
    /// One room of a workspace.
    async fn room(&self, ws: WorkspaceId, id: RoomId) -> StoreResult<Room>;
    /// Appends a message and updates the room's last message, atomically; a repeated
    /// `client_message_id` returns the stored message and changes nothing.
    async fn append_message(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage) -> StoreResult<Appended>;
    /// Messages of a room with a sequence number above `after_seq`, in order, at most `limit`.
    async fn messages_after(
        &self,
        ws: WorkspaceId,
        room: RoomId,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>>;
    /// The last `limit` messages of a room, in order.
    async fn recent_messages(&self, ws: WorkspaceId, room: RoomId, limit: i64) -> StoreResult<Vec<Message>>;
}

/// The counselor queue: settings, counselors' days, room changes, the room list, auto-close and
/// alarms.
///
/// Status changes that follow from messages happen inside the message writes themselves: an
/// append moves the room by [`crate::rooms::machine::next`] (a customer message reopens a closed
/// room, and a reopened or newly queued room goes through distribution in the same transaction,
/// under the workspace's `queue_settings` row lock), and [`HandoffStore::record_handoff`] queues
/// and distributes a room handed off with `queue`/`static`. Every change bumps the room's version.
#[async_trait]
pub trait QueueStore {
    /// A workspace's queue settings; the defaults when never saved.
    async fn queue_settings(&self, ws: WorkspaceId) -> StoreResult<QueueSettings>;
    /// Saves a workspace's queue settings and, when given, its time zone.
    async fn save_queue_settings(
        &self,
        ws: WorkspaceId,
        settings: &QueueSettings,
        time_zone: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Counselors' plans for local dates `from..=to`, of one counselor or all.
    async fn counselor_days(
        &self,
        ws: WorkspaceId,
        account: Option<AccountId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<CounselorDay>>;
    /// Creates or replaces a counselor's plan for a date.
    async fn save_counselor_day(&self, ws: WorkspaceId, day: &CounselorDay) -> StoreResult<()>;
    /// Removes a counselor's plan for a date; [`StoreError::NotFound`] when there is none.
    async fn delete_counselor_day(&self, ws: WorkspaceId, account: AccountId, date: NaiveDate) -> StoreResult<()>;
    /// Writes a queue change to a room, atomically with its message (queued by SMS when
    /// `sms_to` is set) and its history entry; [`StoreError::Conflict`] when the room's version
    /// is no longer the expected one. Returns the room as written and the stored message.
    async fn update_room(&self, u: &RoomUpdate) -> StoreResult<(Room, Option<Message>)>;
    /// Runs distribution for a waiting room now; the counselor it was given to, if any.
    async fn distribute(&self, ws: WorkspaceId, room: RoomId, now: DateTime<Utc>) -> StoreResult<Option<AccountId>>;
    /// A room's history, oldest first.
    async fn room_events(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Vec<RoomEventRecord>>;
    /// The room list: one tab, scoped to the caller, searched, filtered, sorted and paged.
    async fn list_rooms(&self, q: &RoomQuery) -> StoreResult<Vec<ListedRoom>>;
    /// The numbers on the tabs for a caller; closed rooms count from `closed_from`.
    async fn room_counts(&self, ws: WorkspaceId, scope: &Scope, closed_from: DateTime<Utc>) -> StoreResult<RoomCounts>;
    /// Rooms in progress per counselor of a workspace.
    async fn loads(&self, ws: WorkspaceId) -> StoreResult<Vec<(AccountId, i64)>>;
    /// Workspaces with an auto-close rule switched on, with their settings.
    async fn auto_close_workspaces(&self) -> StoreResult<Vec<(WorkspaceId, AutoCloseSettings)>>;
    /// Workspaces distributing with `auto`: their waiting rooms are given out as counselors
    /// become available.
    async fn auto_distribution_workspaces(&self) -> StoreResult<Vec<WorkspaceId>>;
    /// Rooms of a workspace due to auto-close at `now` under `settings` (the SQL form of
    /// [`crate::rooms::autoclose::due`]), oldest last message first, at most `limit`.
    async fn due_rooms(
        &self,
        ws: WorkspaceId,
        settings: &AutoCloseSettings,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DueRoom>>;
    /// Closes due rooms whose version has not changed since they were found: status `closed`,
    /// close type `auto`, a history entry naming the rule, and `message` (texted on SMS) when
    /// given. A room another sweeper closed, or that changed, is skipped. Returns the rooms this
    /// call closed, with the message written to each.
    async fn auto_close(
        &self,
        rooms: &[DueRoom],
        message: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<(RoomId, Option<Message>)>>;
    /// Alarms due at `now`: clears each one still set to its time, with a history entry, and
    /// returns those this call fired (each alarm fires once across processes).
    async fn fire_alarms(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<FiredAlarm>>;
}

/// The whole store.
#[async_trait]
pub trait Store:
    WorkspaceStore
    + AccountStore
    + ChannelStore
    + WidgetLoadStore
    + RoomStore
    + SmsStore
    + AgentStore
    + HandoffStore
    + QueueStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Checks the database answers and can take writes, within [`HEALTH_TIMEOUT`];
    /// [`StoreError::Unavailable`] names what is wrong.
    async fn health(&self) -> StoreResult<()>;
    /// Waits for the store to be closed cleanly.
    async fn close(&self);
    /// Messages appended by other processes sharing this database, where the backend can tell;
    /// `None` when only this process writes (embedded SQLite).
    async fn room_signals(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<RoomSignal>>> {
        Ok(None)
    }
}

/// How long a health check may take: a database that does not answer by then is reported
/// unavailable rather than keeping the caller (a load balancer, say) waiting.
pub const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs a backend's health check within [`HEALTH_TIMEOUT`].
pub(crate) async fn bounded_health(check: impl std::future::Future<Output = StoreResult<()>>) -> StoreResult<()> {
    tokio::time::timeout(HEALTH_TIMEOUT, check).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!("the database did not answer within {} s", HEALTH_TIMEOUT.as_secs())))
    })
}

/// Notice that a room received a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSignal {
    /// The room's workspace.
    pub workspace_id: WorkspaceId,
    /// The room.
    pub room_id: RoomId,
    /// Sequence number of the new message.
    pub seq: i64,
}

impl RoomSignal {
    /// The text form carried by database notifications: `workspace:room:seq`.
    pub fn encode(&self) -> String {
        format!("{}:{}:{}", self.workspace_id, self.room_id, self.seq)
    }

    /// Reads [`RoomSignal::encode`]'s form.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let signal = RoomSignal {
            workspace_id: parts.next()?.parse().ok()?,
            room_id: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(signal)
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL URL.
    Postgres(crate::secret::Secret),
}

impl Location {
    /// Reads a database URL: `postgres://…`/`postgresql://…`, or `sqlite://PATH`/`sqlite:PATH`.
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Location::Postgres(crate::secret::Secret::new(url)))
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err("the sqlite URL names no file".into());
            }
            if path.starts_with(":memory:") || path.contains("mode=memory") {
                return Err(
                    "an in-memory SQLite database cannot be shared by the engine's connections; name a file".into()
                );
            }
            Ok(Location::Sqlite(path.into()))
        } else {
            Err("the database URL must start with postgres://, postgresql:// or sqlite:".into())
        }
    }
}

/// Opens the store, applying migrations.
pub async fn connect(location: &Location) -> StoreResult<Arc<dyn Store>> {
    Ok(match location {
        Location::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(path).await?),
        Location::Postgres(url) => Arc::new(postgres::PgStore::open(url.expose()).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_backend() {
        assert!(matches!(Location::parse("postgres://u@h/db"), Ok(Location::Postgres(_))));
        assert!(matches!(Location::parse("postgresql://u@h/db"), Ok(Location::Postgres(_))));
        assert_eq!(Location::parse("sqlite://data/x.db"), Ok(Location::Sqlite("data/x.db".into())));
        assert_eq!(Location::parse("sqlite:x.db?mode=rwc"), Ok(Location::Sqlite("x.db".into())));
        assert!(Location::parse("mysql://h/db").is_err());
        assert!(Location::parse("sqlite:").is_err());
        assert!(Location::parse("sqlite::memory:").is_err());
    }

    #[test]
    fn room_signals_round_trip() {
        let signal = RoomSignal { workspace_id: WorkspaceId::new(), room_id: RoomId::new(), seq: 42 };
        assert_eq!(RoomSignal::parse(&signal.encode()), Some(signal));
        assert_eq!(RoomSignal::parse("a:b:c"), None);
        assert_eq!(RoomSignal::parse(&format!("{}:extra", signal.encode())), None);
    }
}
