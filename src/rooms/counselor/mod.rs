//! The counselors' side of the queue (seeds 001, 002): who sees which room, what counselors do to
//! rooms, the room list, and the queue's settings.
//!
//! Every action reads the room, checks that the caller may see and work it, asks the status
//! machine for the next status, and writes the change together with the version it read. A change
//! that lost a race to another writer is computed again from a fresh read, so two counselors
//! receiving one room end with exactly one of them holding it. After each write the workspace's
//! consoles hear about the room, and a message also wakes the customer's live stream (webchat) or
//! the SMS outbox.

pub mod actions;
pub mod edit;
pub mod settings;
pub mod view;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::machine::{Refusal, Reopen};
use super::queue::{RoomEventKind, RoomEventRecord, RoomUpdate, Scope};
use super::{Message, Room, RoomStatus};
use crate::accounts::{Permission, Principal, Role};
use crate::channels::ChannelKind;
use crate::clock::Clock;
use crate::events::{ConsoleEvent, Hub};
use crate::ids::{AccountId, RoomId, WorkspaceId};
use crate::sms::outbox::Outbox;
use crate::store::{Store, StoreError};

/// How often a change is computed again after losing a race before the caller is told to retry.
const ATTEMPTS: usize = 5;

/// The counselor operations over the engine's parts.
pub struct Counselors<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// Consoles and customers' live streams hear of changes through it.
    pub hub: &'a Hub,
    /// The time.
    pub clock: &'a dyn Clock,
    /// Woken when a counselor's reply is queued as a text.
    pub outbox: &'a Outbox,
}

/// Why a counselor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CounselorError {
    /// The record does not exist in the caller's workspace, or the caller may not see it.
    #[error("{0}")]
    NotFound(&'static str),
    /// The caller may see the room but not do this; says which rule forbids it.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request body is invalid; says which and why.
    #[error("{0}")]
    Invalid(String),
    /// A query parameter is invalid; says which and why.
    #[error("{0}")]
    BadQuery(String),
    /// The room is not in a state that allows this.
    #[error("{message}")]
    Conflict {
        /// Stable code, e.g. `not_waiting`, `room_closed`.
        code: &'static str,
        /// What is in the way.
        message: String,
    },
    /// The store broke its contract (never the caller's fault).
    #[error("{0}")]
    Internal(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CounselorError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CounselorError::NotFound("no such record in this workspace"),
            other => CounselorError::Store(other),
        }
    }
}

/// Fails with [`CounselorError::Forbidden`] unless the caller's role grants `permission`.
pub fn require(caller: &Principal, permission: Permission) -> Result<()> {
    caller.require(permission).map_err(|e| CounselorError::Forbidden(e.to_string()))
}

impl From<Refusal> for CounselorError {
    fn from(r: Refusal) -> Self {
        let code = match r {
            Refusal::Closed => "room_closed",
            Refusal::WithBot => "with_bot",
            Refusal::NotReceived => "not_received",
            Refusal::AlreadyQueued => "already_queued",
            Refusal::NotAssigned => "not_assigned",
        };
        CounselorError::Conflict { code, message: r.to_string() }
    }
}

/// Result of counselor operations.
pub type Result<T> = std::result::Result<T, CounselorError>;

/// The 404 for a room the caller may not see: the same answer as for one that does not exist.
pub(crate) const NO_ROOM: CounselorError = CounselorError::NotFound("no such room in this workspace");

/// How the caller stands to a room they can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The room's counselor.
    Assignee,
    /// The admin, or the manager of the room's counselor; for unassigned rooms, any manager.
    Supervisor,
    /// An agent looking at a room nobody has received yet.
    Bystander,
}

impl Actor {
    /// How `caller` stands to `room`, which they can see.
    pub fn of(caller: &Principal, room: &Room) -> Actor {
        match room.assignee_id {
            Some(id) if id == caller.account_id => Actor::Assignee,
            // Visibility lets only the admin and the counselor's manager see someone else's room.
            Some(_) => Actor::Supervisor,
            None if caller.role == Role::Agent => Actor::Bystander,
            None => Actor::Supervisor,
        }
    }

    /// Refuses bystanders: an agent works a room only after receiving it.
    pub fn working(self) -> Result<Actor> {
        match self {
            Actor::Bystander => Err(CounselorError::Conflict {
                code: "not_received",
                message: "the room is waiting; receive it first".into(),
            }),
            other => Ok(other),
        }
    }
}

impl Scope {
    /// Whether a caller with this scope may see `room` (seed 002): everything for the admin; the
    /// waiting list and the rooms of the scope's counselors for the others, plus rooms with the
    /// AI agent for managers.
    pub fn sees(&self, room: &Room) -> bool {
        match self {
            Scope::All => true,
            Scope::Counselors { ids, bot } => {
                room.status == RoomStatus::Waiting
                    || (*bot && room.status == RoomStatus::Bot)
                    || room.assignee_id.is_some_and(|a| ids.contains(&a))
            }
        }
    }
}

/// A room change before it is written: the room as read, with nothing changed yet.
pub(crate) fn unchanged(room: &Room) -> RoomUpdate {
    RoomUpdate {
        workspace_id: room.workspace_id,
        room_id: room.id,
        expected_version: room.queue.version,
        status: room.status,
        assignee_id: room.assignee_id,
        state: room.queue.clone(),
        tags: None,
        customer_grade: None,
        customer_tags: None,
        message: None,
        event: None,
    }
}

/// A history entry.
pub(crate) fn entry(
    kind: RoomEventKind,
    actor: Option<AccountId>,
    target: Option<AccountId>,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> RoomEventRecord {
    RoomEventRecord { kind, actor_id: actor, target_id: target, detail, at }
}

/// Where the room would go if its customer wrote after it closed.
pub(crate) fn reopen(room: &Room) -> Reopen {
    Reopen { queued: room.queue.queued }
}

/// A workspace's time zone; UTC, with a warning, if the stored name is not one.
pub fn time_zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| {
        tracing::warn!(time_zone = name, "unknown workspace time zone; using UTC");
        Tz::UTC
    })
}

/// The instant local `date` begins in `tz`.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // Where a time-zone change skips midnight, the day begins at the first instant that exists.
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

impl Counselors<'_> {
    /// Which rooms `caller` may see: everything for the admin; the waiting list, their own rooms,
    /// their agents' rooms and the agent's rooms for a manager; the waiting list and their own
    /// rooms for an agent.
    pub async fn scope(&self, caller: &Principal) -> Result<Scope> {
        Ok(match caller.role {
            Role::Admin => Scope::All,
            Role::Manager => {
                let mut ids = vec![caller.account_id];
                ids.extend(
                    self.store
                        .accounts(caller.workspace_id)
                        .await?
                        .into_iter()
                        .filter(|a| a.manager_id == Some(caller.account_id) && a.role == Role::Agent)
                        .map(|a| a.id),
                );
                Scope::Counselors { ids, bot: true }
            }
            Role::Agent => Scope::Counselors { ids: vec![caller.account_id], bot: false },
        })
    }

    /// The workspace's time zone.
    pub async fn zone(&self, ws: WorkspaceId) -> Result<Tz> {
        Ok(time_zone(&self.store.workspace(ws).await?.time_zone))
    }

    /// Today's local midnight in the workspace: where the closed tab begins.
    pub async fn today_from(&self, ws: WorkspaceId) -> Result<DateTime<Utc>> {
        let tz = self.zone(ws).await?;
        Ok(local_midnight(tz, self.clock.now().with_timezone(&tz).date_naive()))
    }

    /// Runs a counselor's change: the room must be visible to `caller`; `plan` computes the
    /// update from the room as read and how the caller stands to it (`None`: nothing to change).
    pub(crate) async fn act<F>(&self, caller: &Principal, room: RoomId, mut plan: F) -> Result<(Room, Option<Message>)>
    where
        F: FnMut(&Room, Actor) -> Result<Option<RoomUpdate>> + Send,
    {
        let scope = self.scope(caller).await?;
        self.write(caller.workspace_id, room, |r| {
            if !scope.sees(r) {
                return Err(NO_ROOM);
            }
            plan(r, Actor::of(caller, r))
        })
        .await
    }

    /// Reads the room, computes the change and writes it while the room's version is still the
    /// one read; computes again from a fresh read when another writer came first.
    pub(crate) async fn write<F>(&self, ws: WorkspaceId, id: RoomId, mut plan: F) -> Result<(Room, Option<Message>)>
    where
        F: FnMut(&Room) -> Result<Option<RoomUpdate>> + Send,
    {
        for _ in 0..ATTEMPTS {
            let room = match self.store.room(ws, id).await {
                Err(StoreError::NotFound) => return Err(NO_ROOM),
                other => other?,
            };
            let Some(update) = plan(&room)? else { return Ok((room, None)) };
            match self.store.update_room(&update).await {
                Ok((room, message)) => {
                    self.announce(&room, message.as_ref());
                    return Ok((room, message));
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CounselorError::Conflict {
            code: "busy",
            message: "the room kept changing while this was being written; try again".into(),
        })
    }

    /// Tells consoles about the room, and the customer about a message.
    fn announce(&self, room: &Room, message: Option<&Message>) {
        self.hub.announce(room.workspace_id, ConsoleEvent::Room { room_id: room.id });
        if let Some(m) = message {
            self.hub.publish(room.id, m.seq);
            self.hub.announce(room.workspace_id, ConsoleEvent::Message { room_id: room.id, seq: m.seq });
            if room.channel == ChannelKind::Sms {
                self.outbox.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_is_local() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let seoul = local_midnight(chrono_tz::Asia::Seoul, date);
        assert_eq!(seoul.to_rfc3339(), "2026-11-22T15:00:00+00:00");
        assert_eq!(local_midnight(Tz::UTC, date).to_rfc3339(), "2026-11-23T00:00:00+00:00");
        // Santiago skipped midnight on 2022-09-11: the day began at 01:00 local.
        let skipped = local_midnight(chrono_tz::America::Santiago, NaiveDate::from_ymd_opt(2022, 9, 11).unwrap());
        assert_eq!(skipped.to_rfc3339(), "2022-09-11T04:00:00+00:00");
        assert_eq!(time_zone("Mars/Base"), Tz::UTC);
    }
}
