//! The room list and its tab counts on SQLite.
//!
//! A page is read in two steps: first the ids, each piece of the tab (a status, the closed
//! window, held or alarmed rooms) from the index that holds it in order, merged; then the rooms,
//! their last message and the search matches, for those ids only.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::super::ts;
use crate::ids::{RoomId, WorkspaceId};
use crate::rooms::Room;
use crate::rooms::queue::{ListedRoom, MatchedMessage, RoomCounts, RoomQuery, Scope, SearchField};
use crate::store::StoreResult;
use crate::store::queue_plan::{After, OPEN, Phase, Piece, Visible, order, phases, pieces, visible};
use crate::store::rows::{RoomRow, room_columns};

pub(super) async fn list_rooms(pool: &SqlitePool, q: &RoomQuery) -> StoreResult<Vec<ListedRoom>> {
    let (column, desc) = order(q.sort);
    let after = match q.after {
        None => None,
        Some(id) => {
            let keys: Option<(Option<DateTime<Utc>>, DateTime<Utc>)> =
                sqlx::query_as("SELECT last_message_at, created_at FROM rooms WHERE workspace_id = ? AND id = ?")
                    .bind(q.workspace_id)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            // An unknown room to page after: there is nothing after it.
            let Some((last, created)) = keys else { return Ok(Vec::new()) };
            Some(After { key: if column == "created_at" { Some(created) } else { last }, id })
        }
    };
    let pieces: Vec<(Piece, Visible<'_>)> =
        pieces(q.tab).into_iter().map(|p| (p, visible(&q.scope, p))).filter(|(_, v)| *v != Visible::None).collect();
    let narrowed = rooms_by_index(pool, q).await?;
    if narrowed.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let mut ids: Vec<RoomId> = Vec::new();
    for phase in phases(q.sort, after.as_ref()) {
        let want = q.limit - ids.len() as i64;
        if want <= 0 || pieces.is_empty() {
            break;
        }
        let dir = if desc { "DESC" } else { "ASC" };
        let by = match phase {
            Phase::Keyed => format!("k {dir}, id {dir}"),
            Phase::Unkeyed => format!("id {dir}"),
        };
        let mut b = QueryBuilder::<Sqlite>::new("");
        for (i, (piece, vis)) in pieces.iter().enumerate() {
            if i > 0 {
                b.push(" UNION ALL ");
            }
            b.push(format!("SELECT * FROM (SELECT r.id AS id, r.{column} AS k {} WHERE ", from_rooms(vis)));
            push_where(&mut b, q.workspace_id, *piece, vis, q.closed_from, q.closed_to);
            push_filters(&mut b, q, narrowed.as_deref());
            match phase {
                Phase::Keyed => {
                    b.push(format!(" AND r.{column} IS NOT NULL"));
                    if let Some(After { key: Some(key), id }) = &after {
                        let cmp = if desc { "<" } else { ">" };
                        b.push(format!(" AND (r.{column}, r.id) {cmp} (")).push_bind(ts(*key));
                        b.push(", ").push_bind(*id).push(")");
                    }
                }
                Phase::Unkeyed => {
                    b.push(" AND r.last_message_at IS NULL");
                    if let Some(After { key: None, id }) = &after {
                        b.push(if desc { " AND r.id < " } else { " AND r.id > " }).push_bind(*id);
                    }
                }
            }
            b.push(format!(" ORDER BY {by} LIMIT ")).push_bind(want).push(")");
        }
        if pieces.len() > 1 {
            b.push(format!(" ORDER BY {by} LIMIT ")).push_bind(want);
        }
        let rows: Vec<(RoomId, Option<String>)> = b.build_query_as().fetch_all(pool).await?;
        ids.extend(rows.into_iter().map(|(id, _)| id));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    details(pool, q, &ids).await
}

/// The rooms behind a page's ids, in the page's order, with their last message and matches.
async fn details(pool: &SqlitePool, q: &RoomQuery, ids: &[RoomId]) -> StoreResult<Vec<ListedRoom>> {
    let mut b = QueryBuilder::<Sqlite>::new(concat!("SELECT ", room_columns!(), " WHERE r.id IN ("));
    push_ids(&mut b, ids);
    let rows: Vec<RoomRow> = b.build_query_as().fetch_all(pool).await?;
    let mut rooms: HashMap<RoomId, Room> =
        rows.into_iter().map(|r| Room::try_from(r).map(|r| (r.id, r))).collect::<Result<_, _>>()?;
    let mut b = QueryBuilder::<Sqlite>::new(
        "SELECT m.room_id, m.text FROM rooms r JOIN messages m ON m.room_id = r.id AND m.seq = r.last_seq \
         WHERE r.id IN (",
    );
    push_ids(&mut b, ids);
    let last: HashMap<RoomId, String> = b.build_query_as().fetch_all(pool).await?.into_iter().collect();
    let mut matches: HashMap<RoomId, Vec<MatchedMessage>> = HashMap::new();
    if let Some((SearchField::Content, term)) = &q.search {
        let mut b = QueryBuilder::<Sqlite>::new(
            "SELECT room_id, seq, text FROM (SELECT m.room_id, m.seq, m.text, \
             row_number() OVER (PARTITION BY m.room_id ORDER BY m.seq DESC) AS n FROM messages m WHERE m.room_id IN (",
        );
        push_ids(&mut b, ids);
        b.push(" AND m.author <> 'system' AND instr(lower(m.text), ")
            .push_bind(term.to_ascii_lowercase())
            .push(") > 0)");
        b.push(" WHERE n <= 3 ORDER BY room_id, seq DESC");
        let rows: Vec<(RoomId, i64, String)> = b.build_query_as().fetch_all(pool).await?;
        for (room, seq, text) in rows {
            matches.entry(room).or_default().push(MatchedMessage { seq, text });
        }
    }
    Ok(ids
        .iter()
        .filter_map(|id| {
            let room = rooms.remove(id)?;
            Some(ListedRoom {
                last_message_text: last.get(id).cloned(),
                matches: matches.remove(id).unwrap_or_default(),
                room,
            })
        })
        .collect())
}

pub(super) async fn room_counts(
    pool: &SqlitePool,
    ws: WorkspaceId,
    scope: &Scope,
    closed_from: DateTime<Utc>,
) -> StoreResult<RoomCounts> {
    let mut b = QueryBuilder::<Sqlite>::new("SELECT ");
    let counted = OPEN.iter().map(|s| Piece::Status(*s)).chain([Piece::Closed, Piece::Hold, Piece::Alarm]);
    for (i, piece) in counted.enumerate() {
        if i > 0 {
            b.push(", ");
        }
        match visible(scope, piece) {
            Visible::None => {
                b.push("0");
            }
            vis => {
                b.push(format!("(SELECT COUNT(*) {} WHERE ", from_rooms(&vis)));
                push_where(&mut b, ws, piece, &vis, Some(closed_from), None);
                b.push(")");
            }
        }
    }
    let (bot, waiting, received, inquiry, answered, closed, hold, alarm) = b.build_query_as().fetch_one(pool).await?;
    Ok(RoomCounts { bot, waiting, received, inquiry, answered, closed, hold, alarm })
}

/// The rooms table, pinned to the assignee index when the rooms are a counselor's own: left to
/// itself the planner prefers reading the whole status in order and filtering, which is slow for
/// a counselor with few rooms in a big status.
fn from_rooms(vis: &Visible<'_>) -> &'static str {
    match vis {
        Visible::Assigned(_) => "FROM rooms r INDEXED BY rooms_by_assignee",
        _ => "FROM rooms r",
    }
}

/// The workspace, the piece and what the scope sees of it.
fn push_where(
    b: &mut QueryBuilder<Sqlite>,
    ws: WorkspaceId,
    piece: Piece,
    vis: &Visible<'_>,
    closed_from: Option<DateTime<Utc>>,
    closed_to: Option<DateTime<Utc>>,
) {
    b.push("r.workspace_id = ").push_bind(ws);
    // Literal statuses, so the planner can match the partial indexes.
    match piece {
        Piece::Status(s) => {
            b.push(format!(" AND r.status = '{}'", s.as_str()));
        }
        Piece::Closed => {
            b.push(" AND r.status = 'closed'");
            if let Some(from) = closed_from {
                b.push(" AND r.closed_at >= ").push_bind(ts(from));
            }
            if let Some(to) = closed_to {
                b.push(" AND r.closed_at < ").push_bind(ts(to));
            }
        }
        Piece::Hold => {
            b.push(" AND r.hold = 1 AND r.status <> 'closed'");
        }
        Piece::Alarm => {
            b.push(" AND r.alarm_at IS NOT NULL AND r.status <> 'closed'");
        }
    }
    match vis {
        Visible::All => {}
        Visible::None => {
            b.push(" AND 0");
        }
        Visible::Assigned(ids) => {
            b.push(" AND r.assignee_id IN (");
            push_ids(b, ids);
        }
        Visible::Mixed(ids, bot) => {
            b.push(" AND (r.status = 'waiting'");
            if *bot {
                b.push(" OR r.status = 'bot'");
            }
            if !ids.is_empty() {
                b.push(" OR r.assignee_id IN (");
                push_ids(b, ids);
            }
            b.push(")");
        }
    }
}

/// Most messages the trigram index may name for a term before scanning is the better plan: a
/// common term fills a page from the first rooms a scan reads.
const INDEX_BUDGET: usize = 2_000;

/// For a content search of three characters or more held by few messages: every room of the
/// workspace with a message the trigram index matches (a superset; the scan's exact test still
/// applies). `None` when the index cannot narrow the search.
async fn rooms_by_index(pool: &SqlitePool, q: &RoomQuery) -> StoreResult<Option<Vec<RoomId>>> {
    let Some((SearchField::Content, term)) = &q.search else { return Ok(None) };
    if term.chars().count() < 3 {
        return Ok(None);
    }
    let phrase = format!("\"{}\"", term.replace('"', "\"\""));
    let rows: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM messages_search WHERE messages_search MATCH ? LIMIT ?")
        .bind(phrase)
        .bind(INDEX_BUDGET as i64 + 1)
        .fetch_all(pool)
        .await?;
    if rows.len() > INDEX_BUDGET {
        return Ok(None);
    }
    let rooms = sqlx::query_scalar(
        "SELECT DISTINCT room_id FROM messages WHERE rowid IN (SELECT value FROM json_each(?)) AND workspace_id = ?",
    )
    .bind(serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into()))
    .bind(q.workspace_id)
    .fetch_all(pool)
    .await?;
    Ok(Some(rooms))
}

/// The search term, the grade and the flag; `narrowed` holds the only rooms a content search
/// can match, when the trigram index could tell.
fn push_filters(b: &mut QueryBuilder<Sqlite>, q: &RoomQuery, narrowed: Option<&[RoomId]>) {
    let ws = q.workspace_id;
    if let Some((field, term)) = &q.search {
        match field {
            SearchField::Content => {
                if let Some(rooms) = narrowed {
                    let list: Vec<String> = rooms.iter().map(ToString::to_string).collect();
                    b.push(" AND r.id IN (SELECT value FROM json_each(")
                        .push_bind(serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()))
                        .push("))");
                }
                // Engine notices are not searched (the trigram table leaves them out).
                b.push(
                    " AND EXISTS (SELECT 1 FROM messages m WHERE m.room_id = r.id AND m.author <> 'system' \
                        AND instr(lower(m.text), ",
                )
                .push_bind(term.to_ascii_lowercase())
                .push(") > 0)");
            }
            SearchField::CustomerId => {
                b.push(" AND r.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = ").push_bind(ws);
                b.push(" AND (c.id = ").push_bind(term.clone()).push(" OR c.external_id = ").push_bind(term.clone());
                b.push("))");
            }
            SearchField::CustomerTag => {
                b.push(
                    " AND r.customer_id IN (SELECT c.id FROM customers c, json_each(c.tags) t WHERE c.workspace_id = ",
                )
                .push_bind(ws)
                .push(" AND t.value = ")
                .push_bind(term.clone())
                .push(")");
            }
            SearchField::RoomTag => {
                b.push(" AND EXISTS (SELECT 1 FROM json_each(r.tags) t WHERE t.value = ")
                    .push_bind(term.clone())
                    .push(")");
            }
            SearchField::Name | SearchField::Phone | SearchField::Email => {
                let test = match field {
                    SearchField::Name => " AND c.name = ",
                    SearchField::Phone => " AND c.phone = ",
                    _ => " AND c.email COLLATE NOCASE = ",
                };
                b.push(" AND r.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = ").push_bind(ws);
                b.push(test).push_bind(term.clone()).push(")");
            }
        }
    }
    if let Some(grade) = &q.grade {
        b.push(" AND EXISTS (SELECT 1 FROM customers c WHERE c.id = r.customer_id AND c.grade = ")
            .push_bind(grade.clone())
            .push(")");
    }
    if q.flagged {
        b.push(" AND r.flagged = 1");
    }
}

/// `?, ?, …)` for a list of ids.
fn push_ids<T>(b: &mut QueryBuilder<Sqlite>, ids: &[T])
where
    T: Copy + for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
{
    let mut list = b.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    b.push(")");
}
