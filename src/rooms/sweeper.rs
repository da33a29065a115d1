//! The sweeper: auto-closes rooms that are due (seed 000), fires alarms and, under `auto`
//! distribution, gives waiting rooms to counselors who became available; on every engine
//! process at once.
//!
//! Running everywhere is safe because every write is a claim: a room closes only if its version
//! is the one the sweep read, and an alarm clears only if it still holds the time that fell due,
//! so two processes sweeping the same rooms close each once and fire each alarm once. The clock
//! is injected; `sangdam rooms sweep --as-of` runs one pass at any instant.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::autoclose::Rule;
use super::queue::{DueRoom, RoomQuery, Scope, Sort, Tab};
use super::{RoomStatus, autoclose::AutoCloseSettings};
use crate::clock::Clock;
use crate::events::{ConsoleEvent, Hub};
use crate::ids::{RoomId, WorkspaceId};
use crate::sms::outbox::Outbox;
use crate::store::{Store, StoreResult};

/// Rooms read and closed per batch.
const BATCH: i64 = 10_000;

/// Alarms fired per batch.
const ALARM_BATCH: i64 = 500;

/// One room a sweep closed, or would close in a dry run: one JSON line of `rooms sweep`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweptRoom {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The room.
    pub room_id: RoomId,
    /// The rule that closed it.
    pub rule: Rule,
    /// Its status before.
    pub status: RoomStatus,
    /// Its last message's time.
    pub last_message_at: DateTime<Utc>,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
}

impl SweptRoom {
    fn of(room: &DueRoom, dry_run: bool) -> Self {
        SweptRoom {
            workspace_id: room.workspace_id,
            room_id: room.room_id,
            rule: room.rule,
            status: room.status,
            last_message_at: room.last_message_at,
            dry_run,
        }
    }
}

/// Where a sweep's effects go: live streams and the SMS outbox in a running engine, nowhere
/// from the command line (texts it queued go out when an engine runs).
#[derive(Clone, Default)]
pub struct Effects {
    /// Wakes customers' streams and tells consoles.
    pub hub: Option<Arc<Hub>>,
    /// Sends the auto-close texts.
    pub outbox: Option<Outbox>,
}

/// Auto-closes what is due at `now` across workspaces, calling `each` for every room closed (or,
/// with `dry_run`, every room that would close); returns how many.
pub async fn auto_close(
    store: &dyn Store,
    effects: &Effects,
    now: DateTime<Utc>,
    dry_run: bool,
    mut each: impl FnMut(&SweptRoom),
) -> StoreResult<usize> {
    let mut total = 0;
    for (ws, settings) in store.auto_close_workspaces().await? {
        total += if dry_run {
            let due = store.due_rooms(ws, &settings, now, i64::MAX).await?;
            due.iter().for_each(|room| each(&SweptRoom::of(room, true)));
            due.len()
        } else {
            close_workspace(store, effects, ws, &settings, now, &mut each).await?
        };
    }
    Ok(total)
}

async fn close_workspace(
    store: &dyn Store,
    effects: &Effects,
    ws: WorkspaceId,
    settings: &AutoCloseSettings,
    now: DateTime<Utc>,
    each: &mut impl FnMut(&SweptRoom),
) -> StoreResult<usize> {
    let message = settings.message.as_deref();
    let mut total = 0;
    loop {
        let due = store.due_rooms(ws, settings, now, BATCH).await?;
        if due.is_empty() {
            return Ok(total);
        }
        let closed = store.auto_close(&due, message, now).await?;
        let by_id: HashMap<RoomId, &DueRoom> = due.iter().map(|r| (r.room_id, r)).collect();
        let mut texted = false;
        for (room_id, written) in &closed {
            if let Some(room) = by_id.get(room_id) {
                each(&SweptRoom::of(room, false));
                texted |= room.sms_to.is_some() && written.is_some();
            }
            if let Some(hub) = &effects.hub {
                if let Some(m) = written {
                    hub.publish(*room_id, m.seq);
                }
                hub.announce(ws, ConsoleEvent::Room { room_id: *room_id });
            }
        }
        if texted && let Some(outbox) = &effects.outbox {
            outbox.wake();
        }
        total += closed.len();
        metrics::counter!("sangdam_rooms_auto_closed_total").increment(closed.len() as u64);
        // Every room of a full batch changed under the sweep (another process got there first):
        // what is left is for the next pass, not for a tight loop here.
        if closed.is_empty() || (due.len() as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Fires the alarms due at `now`; returns how many this process fired.
pub async fn fire_alarms(store: &dyn Store, effects: &Effects, now: DateTime<Utc>) -> StoreResult<usize> {
    let mut total = 0;
    loop {
        let fired = store.fire_alarms(now, ALARM_BATCH).await?;
        if let Some(hub) = &effects.hub {
            for alarm in &fired {
                hub.announce(alarm.workspace_id, ConsoleEvent::Alarm { room_id: alarm.room_id, at: alarm.at });
            }
        }
        total += fired.len();
        if (fired.len() as i64) < ALARM_BATCH {
            return Ok(total);
        }
    }
}

/// Rooms given out per workspace and pass.
const DISTRIBUTE_BATCH: i64 = 200;

/// Gives waiting rooms of `auto` workspaces, oldest first, to counselors who became available
/// (back from a break, switched to counselling, a new day); stops at the first room nobody can
/// take. Returns how many were assigned. Distribution itself runs under the workspace's lock, so
/// engines doing this at once never assign a room twice.
pub async fn distribute_waiting(store: &dyn Store, effects: &Effects, now: DateTime<Utc>) -> StoreResult<usize> {
    let mut total = 0;
    for ws in store.auto_distribution_workspaces().await? {
        let waiting = store
            .list_rooms(&RoomQuery {
                workspace_id: ws,
                scope: Scope::All,
                tab: Tab::Waiting,
                closed_from: None,
                closed_to: None,
                search: None,
                grade: None,
                flagged: false,
                sort: Sort::CreatedAsc,
                limit: DISTRIBUTE_BATCH,
                after: None,
            })
            .await?;
        for listed in waiting {
            if store.distribute(ws, listed.room.id, now).await?.is_none() {
                break;
            }
            total += 1;
            if let Some(hub) = &effects.hub {
                hub.announce(ws, ConsoleEvent::Room { room_id: listed.room.id });
            }
        }
    }
    Ok(total)
}

/// Sweeps `every` interval until shutdown: alarms first (they are small and timely), then
/// waiting rooms of `auto` workspaces, then auto-close.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    effects: Effects,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let now = clock.now();
        if let Err(e) = fire_alarms(store.as_ref(), &effects, now).await {
            tracing::warn!(error = %e, "alarms could not be fired");
        }
        if let Err(e) = distribute_waiting(store.as_ref(), &effects, now).await {
            tracing::warn!(error = %e, "waiting rooms could not be distributed");
        }
        match auto_close(store.as_ref(), &effects, now, false, |_| {}).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "auto-closed rooms"),
            Err(e) => tracing::warn!(error = %e, "the auto-close sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
