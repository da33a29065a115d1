//! What counselors do to a room: receive it, reply, close, hold, set an alarm, transfer it, wrap
//! it up, tag and flag it; and the customer's own close from the widget.

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::{Actor, CounselorError, Counselors, Result, entry, reopen, require, unchanged};
use crate::accounts::{Account, Permission, Principal, Role};
use crate::channels::ChannelKind;
use crate::ids::{AccountId, MessageId, RoomId, WorkspaceId};
use crate::rooms::inbound::valid_text;
use crate::rooms::machine::{RoomEvent, next};
use crate::rooms::queue::{CloseType, RoomEventKind, WrapUp};
use crate::rooms::{Author, Message, NewMessage, Room, RoomStatus};
use crate::sms::segments;
use crate::store::{Notice, StoreError};

/// How far ahead an alarm may be set.
pub const MAX_ALARM_DAYS: i64 = 366;
/// Longest wrap-up category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;
/// Longest wrap-up note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

pub(super) fn conflict(code: &'static str, message: impl Into<String>) -> CounselorError {
    CounselorError::Conflict { code, message: message.into() }
}

fn open_only(room: &Room) -> Result<()> {
    if room.status.is_open() { Ok(()) } else { Err(conflict("room_closed", "the room is closed")) }
}

impl Counselors<'_> {
    /// Takes a waiting room (상담 접수); 409 when it is no longer waiting, e.g. another counselor
    /// received it first (even though the caller can no longer see it).
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn receive(&self, caller: &Principal, id: RoomId) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let now = self.clock.now();
        let me = caller.account_id;
        let scope = self.scope(caller).await?;
        let (room, _) = self
            .write(caller.workspace_id, id, |room| {
                match room.status {
                    RoomStatus::Waiting => {}
                    // Someone else's room by now: the caller saw it waiting, so say what happened
                    // rather than pretend it does not exist.
                    status if status.in_progress() => {
                        return Err(conflict("not_waiting", "the room is no longer waiting: a counselor received it"));
                    }
                    _ if !scope.sees(room) => return Err(super::NO_ROOM),
                    RoomStatus::Bot => return Err(conflict("not_waiting", "the room is still with the AI agent")),
                    _ => return Err(conflict("not_waiting", "the room is closed")),
                }
                let mut u = unchanged(room);
                u.status = next(room.status, RoomEvent::Assigned, reopen(room))?;
                u.assignee_id = Some(me);
                u.event = Some(entry(RoomEventKind::Received, Some(me), Some(me), json!({}), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }

    /// Sends a counselor's reply to the customer: stored and streamed on webchat, texted on SMS.
    /// Only the room's counselor, their manager or the admin may reply, once the room is received.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn reply(
        &self,
        caller: &Principal,
        id: RoomId,
        text: &str,
        client_message_id: Option<String>,
    ) -> Result<Message> {
        require(caller, Permission::WorkRooms)?;
        let mut text = valid_text(text).map_err(|e| CounselorError::Invalid(e.to_string()))?;
        if let Some(c) = &client_message_id
            && !((1..=100).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_graphic()))
        {
            return Err(CounselorError::Invalid(
                "client_message_id: give 1 to 100 printable ASCII characters, unique per message".into(),
            ));
        }
        let ws = caller.workspace_id;
        // A text is shortened to the SMS channel's segment cap, as every text the engine sends.
        let channel = match self.store.room(ws, id).await {
            Err(StoreError::NotFound) => return Err(super::NO_ROOM),
            other => other?.channel,
        };
        if channel == ChannelKind::Sms {
            let channel = self.store.channel(ws, ChannelKind::Sms).await?;
            text = segments::fit(&text, usize::try_from(channel.settings.max_segments()).unwrap_or(1));
        }
        let message = NewMessage {
            id: MessageId::new(),
            author: Author::Counselor,
            author_account_id: Some(caller.account_id),
            text,
            client_message_id,
            created_at: self.clock.now(),
        };
        let written = self
            .act(caller, id, |room, _| {
                // Unassigned rooms are refused here: waiting ones must be received first.
                let status = next(room.status, RoomEvent::CounselorMessage, reopen(room))?;
                let sms_to = match room.channel {
                    ChannelKind::Webchat => None,
                    ChannelKind::Sms => Some(
                        room.customer
                            .phone
                            .clone()
                            .ok_or_else(|| conflict("no_phone", "the SMS room has no phone number to text"))?,
                    ),
                };
                let mut u = unchanged(room);
                u.status = status;
                u.message = Some(Notice { message: message.clone(), sms_to });
                Ok(Some(u))
            })
            .await;
        let stored = match written {
            // The same client_message_id again: the first reply stands.
            Err(CounselorError::Store(StoreError::Database(sqlx::Error::Database(e)))) if e.is_unique_violation() => {
                return Err(conflict("duplicate_message", "a reply with this client_message_id was already sent"));
            }
            other => other?.1,
        };
        stored.ok_or(CounselorError::Internal("the store wrote the reply but returned no message"))
    }

    /// Closes a room: close type `counselor` for the room's counselor, `manager` when a manager or
    /// the admin closes another's (or an unassigned) room; both count as processed.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn close(&self, caller: &Principal, id: RoomId) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let now = self.clock.now();
        let me = caller.account_id;
        let (room, _) = self
            .act(caller, id, |room, actor| {
                let close_type = match actor.working()? {
                    Actor::Assignee => CloseType::Counselor,
                    _ => CloseType::Manager,
                };
                Ok(Some(closing(room, close_type, Some(me), now)?))
            })
            .await?;
        Ok(room)
    }

    /// The customer closes their conversation from the widget (close type `customer`); closing a
    /// closed conversation changes nothing.
    #[tracing::instrument(skip_all, fields(workspace = %ws, room = %id))]
    pub async fn customer_close(&self, ws: WorkspaceId, id: RoomId) -> Result<Room> {
        let now = self.clock.now();
        let (room, _) = self
            .write(ws, id, |room| {
                if room.status == RoomStatus::Closed {
                    return Ok(None);
                }
                Ok(Some(closing(room, CloseType::Customer, None, now)?))
            })
            .await?;
        Ok(room)
    }

    /// Holds a room (보류: never auto-closed), or releases it.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn hold(&self, caller: &Principal, id: RoomId, hold: bool) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let now = self.clock.now();
        let me = caller.account_id;
        let (room, _) = self
            .act(caller, id, |room, actor| {
                actor.working()?;
                open_only(room)?;
                if room.queue.hold == hold {
                    return Ok(None);
                }
                let mut u = unchanged(room);
                u.state.hold = hold;
                let kind = if hold { RoomEventKind::Held } else { RoomEventKind::Unheld };
                u.event = Some(entry(kind, Some(me), None, json!({}), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }

    /// Sets the room's alarm (알람) to go off at `at`, in the future; `None` clears it.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn alarm(&self, caller: &Principal, id: RoomId, at: Option<DateTime<Utc>>) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let now = self.clock.now();
        if let Some(at) = at {
            if at <= now {
                return Err(CounselorError::Invalid(format!(
                    "at: the alarm must be in the future (it is {} now)",
                    now.to_rfc3339()
                )));
            }
            if at > now + Duration::days(MAX_ALARM_DAYS) {
                return Err(CounselorError::Invalid(format!("at: at most {MAX_ALARM_DAYS} days ahead")));
            }
        }
        let at = at.map(crate::clock::truncate);
        let me = caller.account_id;
        let (room, _) = self
            .act(caller, id, |room, actor| {
                actor.working()?;
                open_only(room)?;
                let mut u = unchanged(room);
                u.state.alarm_at = at;
                u.event = Some(entry(RoomEventKind::AlarmSet, Some(me), None, json!({ "at": at }), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }

    /// Moves a room to another counselor (seed 002): an agent only within their group (to their
    /// manager or an agent of the same manager); a manager their group's rooms to anyone; the
    /// admin anything. A waiting room given by a manager or the admin is assigned.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id, to = %to))]
    pub async fn transfer(&self, caller: &Principal, id: RoomId, to: AccountId) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        let ws = caller.workspace_id;
        let now = self.clock.now();
        let me = caller.account_id;
        let target = match self.store.account(ws, to).await {
            Err(StoreError::NotFound) => {
                return Err(CounselorError::Invalid("to: no account with that id in this workspace".into()));
            }
            other => other?,
        };
        if target.deleted_at.is_some() {
            return Err(CounselorError::Invalid(format!("to: {} is deleted", target.display_name())));
        }
        if !target.certified {
            return Err(CounselorError::Invalid(format!("to: {} is not certified", target.name)));
        }
        let own_manager = match caller.role {
            Role::Agent => self.store.account(ws, me).await?.manager_id,
            _ => None,
        };
        let (room, _) = self
            .act(caller, id, |room, actor| {
                actor.working()?;
                if room.assignee_id == Some(to) {
                    return Err(conflict("same_counselor", format!("the room is already with {}", target.name)));
                }
                if caller.role == Role::Agent && !same_group(own_manager, &target) {
                    return Err(CounselorError::Forbidden(
                        "across groups only the group's manager may transfer: give the room to your manager, \
                         who can pass it on"
                            .into(),
                    ));
                }
                let mut u = unchanged(room);
                u.status = next(room.status, RoomEvent::Assigned, reopen(room))?;
                u.assignee_id = Some(to);
                let kind =
                    if room.assignee_id.is_some() { RoomEventKind::Transferred } else { RoomEventKind::Assigned };
                u.event = Some(entry(kind, Some(me), Some(to), json!({ "from": room.assignee_id }), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }

    /// The counselors `caller` may give a room to, by name: for an agent their manager and the
    /// other agents of that manager (seed 002: transfers within the group are approved at once);
    /// for a manager or the admin every certified account but themselves.
    pub async fn transfer_targets(&self, caller: &Principal) -> Result<Vec<TransferTarget>> {
        require(caller, Permission::WorkRooms)?;
        let accounts = self.store.accounts(caller.workspace_id).await?;
        let own_manager = match caller.role {
            Role::Agent => accounts.iter().find(|a| a.id == caller.account_id).and_then(|a| a.manager_id),
            _ => None,
        };
        let mut targets: Vec<TransferTarget> = accounts
            .into_iter()
            .filter(|a| a.id != caller.account_id && a.certified && a.deleted_at.is_none())
            .filter(|a| caller.role != Role::Agent || same_group(own_manager, a))
            .map(|a| TransferTarget { id: a.id, name: a.name, role: a.role, counselling: a.counselling })
            .collect();
        targets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(targets)
    }

    /// Wraps up a closed room (종료 이력 처리): its category and note; it then counts as processed.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, room = %id))]
    pub async fn wrap_up(&self, caller: &Principal, id: RoomId, category: &str, note: &str) -> Result<Room> {
        require(caller, Permission::WorkRooms)?;
        if category.chars().count() > MAX_CATEGORY_CHARS || !crate::text::is_line(category) {
            return Err(CounselorError::Invalid("category: give 1 to 100 printable characters".into()));
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(CounselorError::Invalid("note: at most 2000 characters".into()));
        }
        let (category, note) = (category.trim(), note.trim());
        let now = self.clock.now();
        let me = caller.account_id;
        let (room, _) = self
            .act(caller, id, |room, actor| {
                actor.working()?;
                if room.status != RoomStatus::Closed {
                    return Err(conflict("not_closed", "only a closed room can be wrapped up; close it first"));
                }
                let mut u = unchanged(room);
                u.state.processed = true;
                u.state.wrap_up =
                    Some(WrapUp { category: category.to_owned(), note: note.to_owned(), by: me, at: now });
                u.event = Some(entry(RoomEventKind::WrappedUp, Some(me), None, json!({ "category": category }), now));
                Ok(Some(u))
            })
            .await?;
        Ok(room)
    }
}

/// Someone a room can be given to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TransferTarget {
    /// The account.
    pub id: AccountId,
    /// Its name.
    pub name: String,
    /// Its role, so the console can tell managers from agents.
    pub role: Role,
    /// Whether it takes part in distribution ("상담 안함" counselors can still be given rooms).
    pub counselling: bool,
}

/// The change that closes `room`.
fn closing(
    room: &Room,
    close_type: CloseType,
    by: Option<AccountId>,
    now: DateTime<Utc>,
) -> Result<crate::rooms::queue::RoomUpdate> {
    let mut u = unchanged(room);
    u.status = next(room.status, RoomEvent::Close, reopen(room))?;
    u.state.close_type = Some(close_type);
    u.state.closed_at = Some(now);
    u.state.processed = close_type.processed();
    // Hold and alarm concern open rooms; a reopened room starts without them.
    u.state.hold = false;
    u.state.alarm_at = None;
    u.event = Some(entry(RoomEventKind::Closed, by, None, json!({ "close_type": close_type }), now));
    Ok(u)
}

/// Whether an agent whose manager is `own_manager` may give a room to `target` without their
/// manager: to the manager, or to an agent of the same manager.
fn same_group(own_manager: Option<AccountId>, target: &Account) -> bool {
    let Some(manager) = own_manager else { return false };
    target.id == manager || (target.role == Role::Agent && target.manager_id == Some(manager))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::WorkspaceId;

    fn account(role: Role, manager: Option<AccountId>) -> Account {
        Account {
            id: AccountId::new(),
            workspace_id: WorkspaceId::new(),
            login: "x.y".into(),
            name: "X".into(),
            role,
            manager_id: manager,
            certified: true,
            counselling: true,
            deleted_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn agents_transfer_within_their_group_only() {
        let manager = account(Role::Manager, None);
        let other_manager = account(Role::Manager, None);
        let colleague = account(Role::Agent, Some(manager.id));
        let stranger = account(Role::Agent, Some(other_manager.id));
        assert!(same_group(Some(manager.id), &manager));
        assert!(same_group(Some(manager.id), &colleague));
        assert!(!same_group(Some(manager.id), &stranger));
        assert!(!same_group(Some(manager.id), &other_manager));
        assert!(!same_group(None, &colleague));
    }
}
