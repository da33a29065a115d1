//! The room list and its tab counts on PostgreSQL.
//!
//! A page is read in two steps: first the ids, each piece of the tab (a status, the closed
//! window, held or alarmed rooms) from the index that holds it in order, merged; then the rooms,
//! their last message and the search matches, for those ids only.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::ids::{RoomId, WorkspaceId};
use crate::rooms::Room;
use crate::rooms::queue::{ListedRoom, MatchedMessage, RoomCounts, RoomQuery, Scope, SearchField};
use crate::store::StoreResult;
use crate::store::queue_plan::{After, OPEN, Phase, Piece, Visible, like_escape, order, phases, pieces, visible};
use crate::store::rows::{RoomRow, room_columns};

pub(super) async fn list_rooms(pool: &PgPool, q: &RoomQuery) -> StoreResult<Vec<ListedRoom>> {
    let (column, desc) = order(q.sort);
    let after = match q.after {
        None => None,
        Some(id) => {
            let keys: Option<(Option<DateTime<Utc>>, DateTime<Utc>)> =
                sqlx::query_as("SELECT last_message_at, created_at FROM rooms WHERE workspace_id = $1 AND id = $2")
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
        let mut b = QueryBuilder::<Postgres>::new("");
        for (i, (piece, vis)) in pieces.iter().enumerate() {
            if i > 0 {
                b.push(" UNION ALL ");
            }
            b.push(format!("(SELECT r.id AS id, r.{column} AS k FROM rooms r WHERE "));
            push_where(&mut b, q.workspace_id, *piece, vis, q.closed_from, q.closed_to);
            push_filters(&mut b, q);
            match phase {
                Phase::Keyed => {
                    b.push(format!(" AND r.{column} IS NOT NULL"));
                    if let Some(After { key: Some(key), id }) = &after {
                        let cmp = if desc { "<" } else { ">" };
                        b.push(format!(" AND (r.{column}, r.id) {cmp} (")).push_bind(*key);
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
        let rows: Vec<(RoomId, Option<DateTime<Utc>>)> = b.build_query_as().fetch_all(pool).await?;
        ids.extend(rows.into_iter().map(|(id, _)| id));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    details(pool, q, &ids).await
}

/// The rooms behind a page's ids, in the page's order, with their last message and matches.
async fn details(pool: &PgPool, q: &RoomQuery, ids: &[RoomId]) -> StoreResult<Vec<ListedRoom>> {
    let mut b = QueryBuilder::<Postgres>::new(concat!("SELECT ", room_columns!(), " WHERE r.id = ANY("));
    push_ids(&mut b, ids);
    let rows: Vec<RoomRow> = b.build_query_as().fetch_all(pool).await?;
    let mut rooms: HashMap<RoomId, Room> =
        rows.into_iter().map(|r| Room::try_from(r).map(|r| (r.id, r))).collect::<Result<_, _>>()?;
    let mut b = QueryBuilder::<Postgres>::new(
        "SELECT m.room_id, m.text FROM rooms r JOIN messages m ON m.room_id = r.id AND m.seq = r.last_seq \
         WHERE r.id = ANY(",
    );
    push_ids(&mut b, ids);
    let last: HashMap<RoomId, String> = b.build_query_as().fetch_all(pool).await?.into_iter().collect();
    let mut matches: HashMap<RoomId, Vec<MatchedMessage>> = HashMap::new();
    if let Some((SearchField::Content, term)) = &q.search {
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT room_id, seq, text FROM (SELECT m.room_id, m.seq, m.text, \
             row_number() OVER (PARTITION BY m.room_id ORDER BY m.seq DESC) AS n FROM messages m WHERE m.room_id = ANY(",
        );
        push_ids(&mut b, ids);
        b.push(" AND m.author <> 'system' AND m.text ILIKE ").push_bind(pattern(term)).push(") matched");
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
    pool: &PgPool,
    ws: WorkspaceId,
    scope: &Scope,
    closed_from: DateTime<Utc>,
) -> StoreResult<RoomCounts> {
    let mut b = QueryBuilder::<Postgres>::new("SELECT ");
    let counted = OPEN.iter().map(|s| Piece::Status(*s)).chain([Piece::Closed, Piece::Hold, Piece::Alarm]);
    for (i, piece) in counted.enumerate() {
        if i > 0 {
            b.push(", ");
        }
        match visible(scope, piece) {
            Visible::None => {
                b.push("0::bigint");
            }
            vis => {
                b.push("(SELECT COUNT(*) FROM rooms r WHERE ");
                push_where(&mut b, ws, piece, &vis, Some(closed_from), None);
                b.push(")");
            }
        }
    }
    let (bot, waiting, received, inquiry, answered, closed, hold, alarm) = b.build_query_as().fetch_one(pool).await?;
    Ok(RoomCounts { bot, waiting, received, inquiry, answered, closed, hold, alarm })
}

/// The workspace, the piece and what the scope sees of it.
fn push_where(
    b: &mut QueryBuilder<Postgres>,
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
                b.push(" AND r.closed_at >= ").push_bind(from);
            }
            if let Some(to) = closed_to {
                b.push(" AND r.closed_at < ").push_bind(to);
            }
        }
        Piece::Hold => {
            b.push(" AND r.hold AND r.status <> 'closed'");
        }
        Piece::Alarm => {
            b.push(" AND r.alarm_at IS NOT NULL AND r.status <> 'closed'");
        }
    }
    match vis {
        Visible::All => {}
        Visible::None => {
            b.push(" AND FALSE");
        }
        Visible::Assigned(ids) => {
            b.push(" AND r.assignee_id = ANY(");
            push_ids(b, ids);
        }
        Visible::Mixed(ids, bot) => {
            b.push(" AND (r.status = 'waiting'");
            if *bot {
                b.push(" OR r.status = 'bot'");
            }
            if !ids.is_empty() {
                b.push(" OR r.assignee_id = ANY(");
                push_ids(b, ids);
            }
            b.push(")");
        }
    }
}

/// The search term, the grade and the flag.
fn push_filters(b: &mut QueryBuilder<Postgres>, q: &RoomQuery) {
    let ws = q.workspace_id;
    if let Some((field, term)) = &q.search {
        match field {
            SearchField::Content => {
                // Driven from the messages, so the trigram index (where there is one) finds them.
                // Engine notices are not searched (the index leaves them out).
                b.push(" AND r.id IN (SELECT m.room_id FROM messages m WHERE m.workspace_id = ").push_bind(ws);
                b.push(" AND m.author <> 'system' AND m.text ILIKE ").push_bind(pattern(term)).push(")");
            }
            SearchField::CustomerId => {
                b.push(" AND r.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = ").push_bind(ws);
                b.push(" AND (c.id = ").push_bind(term.clone()).push(" OR c.external_id = ").push_bind(term.clone());
                b.push("))");
            }
            SearchField::CustomerTag => {
                b.push(" AND r.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = ")
                    .push_bind(ws)
                    .push(" AND c.tags ? ")
                    .push_bind(term.clone())
                    .push(")");
            }
            SearchField::RoomTag => {
                b.push(" AND r.tags ? ").push_bind(term.clone());
            }
            SearchField::Name | SearchField::Phone | SearchField::Email => {
                let test = match field {
                    SearchField::Name => " AND c.name = ",
                    SearchField::Phone => " AND c.phone = ",
                    _ => " AND lower(c.email) = lower(",
                };
                b.push(" AND r.customer_id IN (SELECT c.id FROM customers c WHERE c.workspace_id = ").push_bind(ws);
                b.push(test).push_bind(term.clone());
                b.push(if *field == SearchField::Email { "))" } else { ")" });
            }
        }
    }
    if let Some(grade) = &q.grade {
        b.push(" AND EXISTS (SELECT 1 FROM customers c WHERE c.id = r.customer_id AND c.grade = ")
            .push_bind(grade.clone())
            .push(")");
    }
    if q.flagged {
        b.push(" AND r.flagged");
    }
}

/// `$n::text[])` for a list of ids.
fn push_ids<T: ToString>(b: &mut QueryBuilder<Postgres>, ids: &[T]) {
    b.push_bind(ids.iter().map(T::to_string).collect::<Vec<_>>()).push("::text[])");
}

/// A case-insensitive substring pattern for `ILIKE`.
fn pattern(term: &str) -> String {
    format!("%{}%", like_escape(term))
}
