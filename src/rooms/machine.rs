//! The room status machine (seed 001), pure: a status and an event give the next status.
//!
//! Flags (`hold`, `alarm`) are not statuses: they sit beside the status and are counted in
//! addition to it, so they do not appear here. Who may cause an event (roles, assignees) is the
//! queue's business, not the machine's.

use super::RoomStatus;

/// Something that happens to a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEvent {
    /// The agent handed the conversation to the counselor queue.
    HandedOff,
    /// A counselor got the room: taken from the waiting list, distributed, or transferred in.
    Assigned,
    /// The room left its counselor without reaching another (the counselor can no longer work it).
    Unassigned,
    /// A counselor replied.
    CounselorMessage,
    /// The customer wrote.
    CustomerMessage,
    /// The AI agent or the engine wrote (bot answers, handoff notices, auto-close messages).
    BotMessage,
    /// Someone closed the room (counselor, manager, customer or the auto-close sweeper).
    Close,
}

/// Why an event does not apply to a room in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The room is closed; only a customer message reopens it.
    #[error("the room is closed")]
    Closed,
    /// The room is still with the AI agent.
    #[error("the room is still with the AI agent")]
    WithBot,
    /// Nobody has the room yet: take it first.
    #[error("the room is waiting; receive it first")]
    NotReceived,
    /// The room is already in the counselor queue.
    #[error("the room is already in the counselor queue")]
    AlreadyQueued,
    /// The room has no counselor to take it from.
    #[error("the room has no counselor")]
    NotAssigned,
}

/// Where a closed room goes when its customer writes again: back to the queue when counselors
/// had it, to the agent otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reopen {
    /// Whether the room was ever handed to the counselor queue.
    pub queued: bool,
}

/// The status after `event`, or why the event does not apply.
pub fn next(status: RoomStatus, event: RoomEvent, reopen: Reopen) -> Result<RoomStatus, Refusal> {
    use RoomEvent::*;
    use RoomStatus::*;
    Ok(match (status, event) {
        (Bot, HandedOff) => Waiting,
        (Waiting | Received | Inquiry | Answered, HandedOff) => return Err(Refusal::AlreadyQueued),
        (Closed, HandedOff) => return Err(Refusal::Closed),

        (Waiting, Assigned) => Received,
        // A transfer keeps where the conversation stands; only the counselor changes.
        (Received | Inquiry | Answered, Assigned) => status,
        (Bot, Assigned) => return Err(Refusal::WithBot),
        (Closed, Assigned) => return Err(Refusal::Closed),

        (Received | Inquiry | Answered, Unassigned) => Waiting,
        (Waiting, Unassigned) => return Err(Refusal::NotAssigned),
        (Bot, Unassigned) => return Err(Refusal::WithBot),
        (Closed, Unassigned) => return Err(Refusal::Closed),

        (Received | Inquiry | Answered, CounselorMessage) => Answered,
        (Waiting, CounselorMessage) => return Err(Refusal::NotReceived),
        (Bot, CounselorMessage) => return Err(Refusal::WithBot),
        (Closed, CounselorMessage) => return Err(Refusal::Closed),

        // Until the counselor first replies, the room stays received however often the customer
        // writes; after that the last word decides.
        (Bot | Waiting | Received | Inquiry, CustomerMessage) => status,
        (Answered, CustomerMessage) => Inquiry,
        (Closed, CustomerMessage) => {
            if reopen.queued {
                Waiting
            } else {
                Bot
            }
        }

        // Bot and engine messages never move a room: the handoff notice keeps it waiting, an
        // auto-close message is written as the room closes.
        (Bot | Waiting | Received | Inquiry | Answered, BotMessage) => status,
        (Closed, BotMessage) => return Err(Refusal::Closed),

        (Bot | Waiting | Received | Inquiry | Answered, Close) => Closed,
        (Closed, Close) => return Err(Refusal::Closed),
    })
}

impl RoomStatus {
    /// Whether a counselor is working the room (접수, 문의, 응대): the load distribution balances.
    pub fn in_progress(self) -> bool {
        matches!(self, RoomStatus::Received | RoomStatus::Inquiry | RoomStatus::Answered)
    }

    /// Whether the room is open (anything but closed).
    pub fn is_open(self) -> bool {
        self != RoomStatus::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoomEvent::*;
    use RoomStatus::*;

    const STATUSES: [RoomStatus; 6] = [Bot, Waiting, Received, Inquiry, Answered, Closed];
    const EVENTS: [RoomEvent; 7] =
        [HandedOff, Assigned, Unassigned, CounselorMessage, CustomerMessage, BotMessage, Close];
    const QUEUED: Reopen = Reopen { queued: true };

    /// Every status × event, written out: the table is the specification.
    #[test]
    fn every_status_and_event() {
        let expected: [[Result<RoomStatus, Refusal>; 7]; 6] = [
            // HandedOff, Assigned, Unassigned, CounselorMessage, CustomerMessage, BotMessage, Closed
            [
                Ok(Waiting),
                Err(Refusal::WithBot),
                Err(Refusal::WithBot),
                Err(Refusal::WithBot),
                Ok(Bot),
                Ok(Bot),
                Ok(Closed),
            ],
            [
                Err(Refusal::AlreadyQueued),
                Ok(Received),
                Err(Refusal::NotAssigned),
                Err(Refusal::NotReceived),
                Ok(Waiting),
                Ok(Waiting),
                Ok(Closed),
            ],
            [
                Err(Refusal::AlreadyQueued),
                Ok(Received),
                Ok(Waiting),
                Ok(Answered),
                Ok(Received),
                Ok(Received),
                Ok(Closed),
            ],
            [Err(Refusal::AlreadyQueued), Ok(Inquiry), Ok(Waiting), Ok(Answered), Ok(Inquiry), Ok(Inquiry), Ok(Closed)],
            [
                Err(Refusal::AlreadyQueued),
                Ok(Answered),
                Ok(Waiting),
                Ok(Answered),
                Ok(Inquiry),
                Ok(Answered),
                Ok(Closed),
            ],
            [
                Err(Refusal::Closed),
                Err(Refusal::Closed),
                Err(Refusal::Closed),
                Err(Refusal::Closed),
                Ok(Waiting),
                Err(Refusal::Closed),
                Err(Refusal::Closed),
            ],
        ];
        for (status, row) in STATUSES.iter().zip(expected) {
            for (event, want) in EVENTS.iter().zip(row) {
                assert_eq!(next(*status, *event, QUEUED), want, "{status:?} × {event:?}");
            }
        }
    }

    #[test]
    fn a_closed_room_the_counselors_never_had_reopens_with_the_agent() {
        assert_eq!(next(Closed, CustomerMessage, Reopen { queued: false }), Ok(Bot));
        assert_eq!(next(Closed, CustomerMessage, Reopen { queued: true }), Ok(Waiting));
    }

    /// Seed 001's walk: received, answered after the first reply, inquiry when the customer
    /// writes again, answered again after the next reply.
    #[test]
    fn the_seeds_walk_through_a_conversation() {
        let mut status = Bot;
        for (event, want) in [
            (HandedOff, Waiting),
            (Assigned, Received),
            (CustomerMessage, Received),
            (CounselorMessage, Answered),
            (CustomerMessage, Inquiry),
            (CounselorMessage, Answered),
            (Close, Closed),
            (CustomerMessage, Waiting),
        ] {
            status = next(status, event, QUEUED).unwrap();
            assert_eq!(status, want, "after {event:?}");
        }
    }

    #[test]
    fn in_progress_is_received_inquiry_and_answered() {
        let in_progress: Vec<_> = STATUSES.into_iter().filter(|s| s.in_progress()).collect();
        assert_eq!(in_progress, [Received, Inquiry, Answered]);
        assert!(!Closed.is_open() && Waiting.is_open());
    }
}
