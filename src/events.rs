//! Wake-ups for live streams.
//!
//! When a message is stored, the room's watchers are told its sequence number; each watcher then
//! reads what it has not delivered yet from the store. The hub carries no message content, so a
//! missed or merged wake-up costs nothing: the store stays the only source of truth. Signals from
//! other processes sharing a PostgreSQL database arrive through [`Hub::forward`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::ids::{RoomId, WorkspaceId};
use crate::store::RoomSignal;

/// How many console events a slow console may fall behind before it is told to reload.
const CONSOLE_BACKLOG: usize = 1024;

/// What counselor consoles are told about their workspace's rooms. Consoles read the room
/// again (and check they may see it) on each event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConsoleEvent {
    /// The room changed: status, counselor, flags; or a message arrived from another process.
    Room {
        /// The room.
        room_id: RoomId,
    },
    /// A message was stored in the room.
    Message {
        /// The room.
        room_id: RoomId,
        /// The message's sequence number.
        seq: i64,
    },
    /// An alarm set on the room went off.
    Alarm {
        /// The room.
        room_id: RoomId,
        /// When it was set to go off.
        at: DateTime<Utc>,
    },
}

impl ConsoleEvent {
    /// The room the event is about.
    pub fn room_id(&self) -> RoomId {
        match self {
            ConsoleEvent::Room { room_id }
            | ConsoleEvent::Message { room_id, .. }
            | ConsoleEvent::Alarm { room_id, .. } => *room_id,
        }
    }
}

/// Per-room wake-up channels, and per-workspace console events.
#[derive(Debug, Default)]
pub struct Hub {
    rooms: Mutex<HashMap<RoomId, watch::Sender<i64>>>,
    consoles: Mutex<HashMap<WorkspaceId, broadcast::Sender<ConsoleEvent>>>,
}

impl Hub {
    /// A new hub, shared by the server's handlers.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Tells the room's watchers that message `seq` exists.
    pub fn publish(&self, room: RoomId, seq: i64) {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = rooms.get(&room) {
            tx.send_if_modified(|latest| {
                let newer = seq > *latest;
                if newer {
                    *latest = seq;
                }
                newer
            });
        }
    }

    /// Starts watching a room; wake-ups published from now on are seen.
    pub fn subscribe(self: &Arc<Self>, room: RoomId) -> RoomWatch {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let rx = rooms.entry(room).or_insert_with(|| watch::channel(0).0).subscribe();
        RoomWatch { hub: Arc::clone(self), room, rx }
    }

    /// Publishes every signal from another process until the sender closes: the room's
    /// watchers wake, and the workspace's consoles hear that the room changed.
    pub fn forward(self: &Arc<Self>, mut signals: mpsc::Receiver<RoomSignal>) {
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(signal) = signals.recv().await {
                hub.publish(signal.room_id, signal.seq);
                hub.announce(signal.workspace_id, ConsoleEvent::Room { room_id: signal.room_id });
            }
        });
    }

    /// Tells the workspace's consoles about a room.
    pub fn announce(&self, ws: WorkspaceId, event: ConsoleEvent) {
        let mut consoles = self.consoles.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = consoles.get(&ws)
            && tx.send(event).is_err()
        {
            consoles.remove(&ws);
        }
    }

    /// Starts listening to a workspace's console events.
    pub fn console(&self, ws: WorkspaceId) -> broadcast::Receiver<ConsoleEvent> {
        let mut consoles = self.consoles.lock().unwrap_or_else(|p| p.into_inner());
        consoles.entry(ws).or_insert_with(|| broadcast::channel(CONSOLE_BACKLOG).0).subscribe()
    }

    /// How many rooms are watched now.
    pub fn watched_rooms(&self) -> usize {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// One watcher of one room; dropping it forgets the room when nobody else watches it.
#[derive(Debug)]
pub struct RoomWatch {
    hub: Arc<Hub>,
    room: RoomId,
    rx: watch::Receiver<i64>,
}

impl RoomWatch {
    /// Waits for the next wake-up.
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            // The sender lives in the hub for as long as a watcher does; wait forever rather
            // than spin if that ever changes.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for RoomWatch {
    fn drop(&mut self) {
        let mut rooms = self.hub.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(&self.room).is_some_and(|tx| tx.receiver_count() <= 1) {
            rooms.remove(&self.room);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn watchers_wake_on_publish_and_rooms_are_forgotten() {
        let hub = Hub::new();
        let room = RoomId::new();
        let mut watch = hub.subscribe(room);
        hub.publish(RoomId::new(), 1);
        hub.publish(room, 1);
        tokio::time::timeout(Duration::from_secs(1), watch.changed()).await.unwrap();
        assert_eq!(hub.watched_rooms(), 1);
        drop(watch);
        assert_eq!(hub.watched_rooms(), 0);
    }

    #[tokio::test]
    async fn consoles_hear_their_workspace_only() {
        let hub = Hub::new();
        let (ws, other) = (WorkspaceId::new(), WorkspaceId::new());
        let mut console = hub.console(ws);
        let room = RoomId::new();
        hub.announce(other, ConsoleEvent::Room { room_id: RoomId::new() });
        hub.announce(ws, ConsoleEvent::Message { room_id: room, seq: 3 });
        assert_eq!(console.recv().await.unwrap(), ConsoleEvent::Message { room_id: room, seq: 3 });
        assert!(console.try_recv().is_err());
    }

    #[tokio::test]
    async fn an_older_sequence_does_not_wake() {
        let hub = Hub::new();
        let room = RoomId::new();
        let mut watch = hub.subscribe(room);
        hub.publish(room, 5);
        watch.changed().await;
        hub.publish(room, 3);
        assert!(tokio::time::timeout(Duration::from_millis(50), watch.changed()).await.is_err());
    }
}
