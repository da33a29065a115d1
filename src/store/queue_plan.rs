//! What both backends' counselor-queue SQL shares: how a message moves a room, and how a
//! room-list question is cut into pieces each of which an index answers in order.

use chrono::{DateTime, Utc};

use crate::ids::{AccountId, RoomId};
use crate::rooms::machine::{self, Reopen, RoomEvent};
use crate::rooms::queue::{Scope, Sort, Tab};
use crate::rooms::{Author, RoomStatus};

/// The statuses of an open room.
pub(crate) const OPEN: [RoomStatus; 5] =
    [RoomStatus::Bot, RoomStatus::Waiting, RoomStatus::Received, RoomStatus::Inquiry, RoomStatus::Answered];

/// The status a message by `author` moves a room in `status` to, when it changes. A refusal
/// (a bot message on a closed room, a counselor message on a waiting one) leaves the status
/// alone: the message is stored all the same.
pub(crate) fn moved_by(author: Author, status: RoomStatus, queued: bool) -> Option<RoomStatus> {
    let event = match author {
        Author::Customer => RoomEvent::CustomerMessage,
        Author::Counselor => RoomEvent::CounselorMessage,
        Author::Bot | Author::System => RoomEvent::BotMessage,
    };
    machine::next(status, event, Reopen { queued }).ok().filter(|next| *next != status)
}

/// One part of a tab the list reads with one index range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Piece {
    /// Rooms in one status.
    Status(RoomStatus),
    /// Closed rooms, by when they closed.
    Closed,
    /// Held open rooms.
    Hold,
    /// Open rooms with an alarm.
    Alarm,
}

/// The pieces of a tab.
pub(crate) fn pieces(tab: Tab) -> Vec<Piece> {
    use RoomStatus::*;
    match tab {
        Tab::Bot => vec![Piece::Status(Bot)],
        Tab::Waiting => vec![Piece::Status(Waiting)],
        Tab::Received => vec![Piece::Status(Received)],
        Tab::Inquiry => vec![Piece::Status(Inquiry)],
        Tab::Answered => vec![Piece::Status(Answered)],
        Tab::InProgress => vec![Piece::Status(Inquiry), Piece::Status(Answered)],
        Tab::Closed => vec![Piece::Closed],
        Tab::Hold => vec![Piece::Hold],
        Tab::Alarm => vec![Piece::Alarm],
    }
}

/// Who of a scope sees rooms of one piece.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Visible<'a> {
    /// Every room of the piece.
    All,
    /// Nothing.
    None,
    /// Rooms assigned to these counselors.
    Assigned(&'a [AccountId]),
    /// Waiting rooms, rooms of these counselors and, with `bot`, rooms with the agent.
    Mixed(&'a [AccountId], bool),
}

/// What a scope sees of a piece: in one status the rule is static, so the query can name the
/// index that answers it (the assignee's for a counselor's own rooms).
pub(crate) fn visible(scope: &Scope, piece: Piece) -> Visible<'_> {
    let Scope::Counselors { ids, bot } = scope else { return Visible::All };
    let assigned = if ids.is_empty() { Visible::None } else { Visible::Assigned(ids) };
    match piece {
        Piece::Status(RoomStatus::Waiting) => Visible::All,
        Piece::Status(RoomStatus::Bot) if *bot => Visible::All,
        Piece::Status(_) => assigned,
        Piece::Closed | Piece::Hold | Piece::Alarm => Visible::Mixed(ids, *bot),
    }
}

/// The sort key's column and direction.
pub(crate) fn order(sort: Sort) -> (&'static str, bool) {
    match sort {
        Sort::LastMessageDesc => ("last_message_at", true),
        Sort::LastMessageAsc => ("last_message_at", false),
        Sort::CreatedDesc => ("created_at", true),
        Sort::CreatedAsc => ("created_at", false),
    }
}

/// Where a page starts: the sort key and id of the room the previous page ended with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct After {
    /// The sort key (`None`: a room without messages, sorted by last message).
    pub key: Option<DateTime<Utc>>,
    /// The room.
    pub id: RoomId,
}

/// Rooms without messages come last in both directions of the last-message sorts, so a list
/// reads in two phases: rooms with a key, then rooms without one, by id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Phase {
    /// Rooms with a sort key, after `after` when it has one.
    Keyed,
    /// Rooms without messages (last-message sorts only).
    Unkeyed,
}

/// The phases a page reads, given where it starts.
pub(crate) fn phases(sort: Sort, after: Option<&After>) -> Vec<Phase> {
    match (sort, after) {
        (Sort::CreatedAsc | Sort::CreatedDesc, _) => vec![Phase::Keyed],
        (_, Some(After { key: None, .. })) => vec![Phase::Unkeyed],
        _ => vec![Phase::Keyed, Phase::Unkeyed],
    }
}

/// A workspace's time zone; UTC (with a warning) if the stored name is unknown.
pub(crate) fn time_zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or_else(|_| {
        tracing::warn!(time_zone = name, "unknown workspace time zone; distributing by UTC");
        chrono_tz::Tz::UTC
    })
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_move_rooms_by_the_machine() {
        use RoomStatus::*;
        assert_eq!(moved_by(Author::Counselor, Received, true), Some(Answered));
        assert_eq!(moved_by(Author::Customer, Answered, true), Some(Inquiry));
        assert_eq!(moved_by(Author::Customer, Closed, true), Some(Waiting));
        assert_eq!(moved_by(Author::Customer, Closed, false), Some(Bot));
        assert_eq!(moved_by(Author::System, Closed, true), None, "refused: unchanged");
        assert_eq!(moved_by(Author::Bot, Waiting, true), None);
    }

    #[test]
    fn scopes_see_pieces() {
        let me = [AccountId::new()];
        let agent = Scope::Counselors { ids: me.to_vec(), bot: false };
        assert_eq!(visible(&agent, Piece::Status(RoomStatus::Waiting)), Visible::All);
        assert_eq!(visible(&agent, Piece::Status(RoomStatus::Bot)), Visible::Assigned(&me[..]));
        assert_eq!(visible(&Scope::All, Piece::Status(RoomStatus::Bot)), Visible::All);
        let nobody = Scope::Counselors { ids: vec![], bot: false };
        assert_eq!(visible(&nobody, Piece::Status(RoomStatus::Answered)), Visible::None);
        assert_eq!(like_escape(r"50%_\"), r"50\%\_\\");
    }
}
