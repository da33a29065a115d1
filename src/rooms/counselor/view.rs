//! The room list, one room with its transcript and history, and the numbers on the tabs, as a
//! counselor's console shows them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::{CounselorError, Counselors, NO_ROOM, Result, local_midnight, require};
use crate::accounts::{Account, Permission, Principal};
use crate::channels::ChannelKind;
use crate::handoff::TicketRef;
use crate::ids::{AccountId, MessageId, RoomId, WorkspaceId};
use crate::rooms::queue::{
    CloseType, ListedRoom, MatchedMessage, RoomCounts, RoomEventKind, RoomQuery, SearchField, Sort, Tab, WrapUp,
};
use crate::rooms::{Author, Customer, Message, Room, RoomStatus};
use crate::store::StoreError;

/// How many messages one room's transcript shows (the most recent).
pub const TRANSCRIPT_LIMIT: i64 = 200;
/// Longest search term, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Widest history search, in days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// An account as history and lists name it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Named {
    /// The account.
    pub id: AccountId,
    /// Its name, marked "(uncertified)" or "(deleted)" when it is.
    pub name: String,
}

/// The latest message of a room.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct LastMessage {
    /// Who wrote it.
    pub author: Author,
    /// Its text.
    pub text: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where a search term occurs in a text, in Unicode characters: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Range {
    /// First character of the occurrence.
    pub start: usize,
    /// One past its last character.
    pub end: usize,
}

/// A message that matched a content search, with what to highlight.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Match {
    /// The message's position in the room.
    pub seq: i64,
    /// Its text.
    pub text: String,
    /// The occurrences of the term.
    pub ranges: Vec<Range>,
}

/// A room as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RoomView {
    /// The room.
    pub id: RoomId,
    /// Where it stands.
    pub status: RoomStatus,
    /// How it was closed, once closed.
    pub close_type: Option<CloseType>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Whether the closed room is processed (wrapped up, or closed by a counselor or manager).
    pub processed: bool,
    /// 보류: never auto-closed.
    pub hold: bool,
    /// 알람: when the reminder goes off.
    pub alarm_at: Option<DateTime<Utc>>,
    /// Marked with a flag.
    pub flagged: bool,
    /// The counselor working it.
    pub assignee: Option<Named>,
    /// The customer.
    pub customer: Customer,
    /// The channel.
    pub channel: ChannelKind,
    /// Room tags.
    pub tags: Vec<String>,
    /// When the room was opened.
    pub created_at: DateTime<Utc>,
    /// The latest message.
    pub last_message: Option<LastMessage>,
    /// For a content search: the matching messages, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<Match>>,
}

/// One line of a room's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct TranscriptLine {
    /// The message.
    pub id: MessageId,
    /// Its position in the room.
    pub seq: i64,
    /// Who wrote it.
    pub author: Author,
    /// The counselor, for counselor messages.
    pub counselor: Option<Named>,
    /// The text.
    pub text: String,
    /// When the engine accepted it.
    pub created_at: DateTime<Utc>,
    /// For texts: `pending`, then Twilio's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_status: Option<String>,
    /// Why a text was not delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
}

/// One entry of a room's history.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HistoryEntry {
    /// What happened.
    pub kind: RoomEventKind,
    /// Who did it; `null` for the engine and the customer.
    pub actor: Option<Named>,
    /// The counselor it concerns (received, assigned or transferred to).
    pub target: Option<Named>,
    /// Details: `{"from": id}` for transfers, `{"close_type": …}`, `{"at": …}`, `{"rule": …}`.
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// One room with its transcript and history.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RoomDetail {
    /// The room as the list shows it.
    #[serde(flatten)]
    pub room: RoomView,
    /// The wrap-up, once done.
    pub wrap_up: Option<WrapUp>,
    /// The helpdesk ticket, when the conversation was handed to one.
    pub ticket: Option<TicketRef>,
    /// The last 200 messages, oldest first.
    pub messages: Vec<TranscriptLine>,
    /// What happened to the room, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// What the list is asked for.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// The tab.
    pub tab: Tab,
    /// A search term and its field.
    pub search: Option<(SearchField, String)>,
    /// Only this customer grade.
    pub grade: Option<String>,
    /// Only flagged rooms.
    pub flagged: bool,
    /// Order.
    pub sort: Sort,
    /// At most this many (1–200).
    pub limit: i64,
    /// Paging: rooms after this one.
    pub after: Option<RoomId>,
    /// Closed tab: closed on or after this local date (today when absent).
    pub from: Option<NaiveDate>,
    /// Closed tab: closed on or before this local date.
    pub to: Option<NaiveDate>,
}

/// Account names by id, for lists and history.
struct Names(HashMap<AccountId, Account>);

impl Names {
    async fn of(counselors: &Counselors<'_>, ws: WorkspaceId) -> Result<Names> {
        Ok(Names(counselors.store.accounts(ws).await?.into_iter().map(|a| (a.id, a)).collect()))
    }

    fn named(&self, id: Option<AccountId>) -> Option<Named> {
        let id = id?;
        let name = self.0.get(&id).map_or_else(|| id.to_string(), Account::display_name);
        Some(Named { id, name })
    }
}

impl Counselors<'_> {
    /// One tab of the room list, scoped to what the caller may see.
    pub async fn list(&self, caller: &Principal, filter: ListFilter) -> Result<Vec<RoomView>> {
        require(caller, Permission::WorkRooms)?;
        let ws = caller.workspace_id;
        if !(1..=200).contains(&filter.limit) {
            return Err(CounselorError::BadQuery("limit: give 1 to 200".into()));
        }
        let search = match filter.search {
            Some((field, term)) => {
                if term.chars().count() > MAX_QUERY_CHARS {
                    return Err(CounselorError::BadQuery(format!("q: at most {MAX_QUERY_CHARS} characters")));
                }
                let term = term.trim().to_owned();
                (!term.is_empty()).then_some((field, term))
            }
            None => None,
        };
        let (closed_from, closed_to) = self.closed_range(ws, filter.tab, filter.from, filter.to).await?;
        let query = RoomQuery {
            workspace_id: ws,
            scope: self.scope(caller).await?,
            tab: filter.tab,
            closed_from,
            closed_to,
            search: search.clone(),
            grade: filter.grade.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
            flagged: filter.flagged,
            sort: filter.sort,
            limit: filter.limit,
            after: filter.after,
        };
        let listed = self.store.list_rooms(&query).await?;
        let names = Names::of(self, ws).await?;
        let term = search.and_then(|(field, term)| (field == SearchField::Content).then_some(term));
        Ok(listed.into_iter().map(|l| list_view(l, term.as_deref(), &names)).collect())
    }

    /// The closed tab's window: the given local dates, or from today's local midnight.
    async fn closed_range(
        &self,
        ws: WorkspaceId,
        tab: Tab,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
        if tab != Tab::Closed {
            if from.is_some() || to.is_some() {
                return Err(CounselorError::BadQuery("from and to search the closed tab only (status=closed)".into()));
            }
            return Ok((None, None));
        }
        let tz = self.zone(ws).await?;
        let today = self.clock.now().with_timezone(&tz).date_naive();
        let from = from.unwrap_or(today);
        if let Some(to) = to {
            if to < from {
                return Err(CounselorError::BadQuery(format!("to ({to}) is before from ({from})")));
            }
            if (to - from).num_days() >= MAX_RANGE_DAYS {
                return Err(CounselorError::BadQuery(format!("from..to: at most {MAX_RANGE_DAYS} days")));
            }
        }
        let end = to.map(|to| local_midnight(tz, to + Duration::days(1)));
        Ok((Some(local_midnight(tz, from)), end))
    }

    /// One room with its transcript and history, if the caller may see it.
    pub async fn detail(&self, caller: &Principal, id: RoomId) -> Result<RoomDetail> {
        require(caller, Permission::WorkRooms)?;
        let ws = caller.workspace_id;
        let room = match self.store.room(ws, id).await {
            Err(StoreError::NotFound) => return Err(NO_ROOM),
            other => other?,
        };
        if !self.scope(caller).await?.sees(&room) {
            return Err(NO_ROOM);
        }
        let messages = self.store.recent_messages(ws, id, TRANSCRIPT_LIMIT).await?;
        let events = self.store.room_events(ws, id).await?;
        let names = Names::of(self, ws).await?;
        let last_text = messages.last().filter(|m| m.seq == room.last_seq).map(|m| m.text.clone());
        let history = events
            .into_iter()
            .map(|e| HistoryEntry {
                kind: e.kind,
                actor: names.named(e.actor_id),
                target: names.named(e.target_id),
                detail: e.detail,
                at: e.at,
            })
            .collect();
        let messages = messages.into_iter().map(|m| transcript_line(m, &names)).collect();
        let (wrap_up, ticket) = (room.queue.wrap_up.clone(), room.ticket.clone());
        Ok(RoomDetail { room: view(room, last_text, None, &names), wrap_up, ticket, messages, history })
    }

    /// The numbers on the tabs for the caller; closed counts today's closes (workspace time).
    pub async fn counts(&self, caller: &Principal) -> Result<RoomCounts> {
        require(caller, Permission::WorkRooms)?;
        let ws = caller.workspace_id;
        let scope = self.scope(caller).await?;
        Ok(self.store.room_counts(ws, &scope, self.today_from(ws).await?).await?)
    }
}

fn list_view(listed: ListedRoom, term: Option<&str>, names: &Names) -> RoomView {
    let matches = term.map(|term| {
        listed
            .matches
            .into_iter()
            .map(|MatchedMessage { seq, text }| Match { ranges: ranges(&text, term), seq, text })
            .collect()
    });
    view(listed.room, listed.last_message_text, matches, names)
}

fn view(room: Room, last_text: Option<String>, matches: Option<Vec<Match>>, names: &Names) -> RoomView {
    let last_message = match (room.last_message_author, room.last_message_at) {
        (Some(author), Some(at)) => Some(LastMessage { author, text: last_text.unwrap_or_default(), at }),
        _ => None,
    };
    RoomView {
        id: room.id,
        status: room.status,
        close_type: room.queue.close_type,
        closed_at: room.queue.closed_at,
        processed: room.queue.processed,
        hold: room.queue.hold,
        alarm_at: room.queue.alarm_at,
        flagged: room.queue.flagged,
        assignee: names.named(room.assignee_id),
        customer: room.customer,
        channel: room.channel,
        tags: room.tags,
        created_at: room.created_at,
        last_message,
        matches,
    }
}

fn transcript_line(m: Message, names: &Names) -> TranscriptLine {
    TranscriptLine {
        id: m.id,
        seq: m.seq,
        author: m.author,
        counselor: names.named(m.author_account_id),
        text: m.text,
        created_at: m.created_at,
        delivery_status: m.delivery_status,
        delivery_error: m.delivery_error,
    }
}

/// Where `term` occurs in `text`, ignoring case, as non-overlapping character ranges.
pub fn ranges(text: &str, term: &str) -> Vec<Range> {
    // Fold one character at a time so offsets stay those of the original text, even where a
    // character's lowercase form is longer than one character.
    fn fold(c: char) -> char {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => c,
        }
    }
    let hay: Vec<char> = text.chars().map(fold).collect();
    let needle: Vec<char> = term.chars().map(fold).collect();
    let mut found = Vec::new();
    if needle.is_empty() {
        return found;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == needle[..] {
            found.push(Range { start: i, end: i + needle.len() });
            i += needle.len();
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str, term: &str) -> Vec<(usize, usize)> {
        ranges(text, term).into_iter().map(|r| (r.start, r.end)).collect()
    }

    #[test]
    fn ranges_count_characters_and_ignore_case() {
        assert_eq!(spans("배송 언제 와요? 배송비는요?", "배송"), [(0, 2), (10, 12)]);
        assert_eq!(spans("Order 1001 — ORDER again", "order"), [(0, 5), (13, 18)]);
        assert_eq!(spans("aaaa", "aa"), [(0, 2), (2, 4)]);
        assert_eq!(spans("İstanbul istanbul", "istanbul"), [(9, 17)]);
        assert!(spans("nothing here", "배송").is_empty());
        assert!(spans("text", "").is_empty());
    }
}
