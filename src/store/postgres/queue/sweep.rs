//! Auto-close and alarms on PostgreSQL, set-based: a batch of rooms is closed with a few
//! statements over `UNNEST`ed arrays, not a round trip per room. Two sweepers racing cannot close
//! a room twice: the close compares each room's version under its row lock, and the loser's
//! comparison fails once the winner committed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::super::ROOM_CHANNEL;
use crate::ids::{AccountId, MessageId, RoomId, WorkspaceId};
use crate::rooms::autoclose::{AutoCloseSettings, DELAY_STATUSES, Rule};
use crate::rooms::queue::{DueRoom, FiredAlarm};
use crate::rooms::{Author, Message, RoomStatus};
use crate::store::{RoomSignal, StoreResult};

/// Rooms closed per transaction.
const CLOSE_BATCH: usize = 2_500;
/// Transactions closing rooms at once: the work is the database's, and two connections keep two
/// of its cores busy instead of one.
const CLOSE_AT_ONCE: usize = 2;

pub(super) async fn due_rooms(
    pool: &PgPool,
    ws: WorkspaceId,
    s: &AutoCloseSettings,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<DueRoom>> {
    // One index range per status, merged by time: (status, window).
    let mut ranges: Vec<(RoomStatus, Option<DateTime<Utc>>, DateTime<Utc>)> = Vec::new();
    if let Some(cutoff) = s.silence_cutoff(now) {
        ranges.push((RoomStatus::Answered, None, cutoff));
        ranges.push((RoomStatus::Bot, None, cutoff));
    }
    if let (Some(cutoff), Some(from)) = (s.delay_cutoff(now), s.delay_covers_from()) {
        ranges.extend(DELAY_STATUSES.iter().map(|status| (*status, Some(from), cutoff)));
    }
    if ranges.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let mut b = QueryBuilder::<Postgres>::new("SELECT * FROM (");
    for (i, (status, from, cutoff)) in ranges.iter().enumerate() {
        if i > 0 {
            b.push(" UNION ALL ");
        }
        // The customer's number is read for SMS rooms only: most rooms are web chats.
        b.push(
            "(SELECT r.workspace_id, r.id, r.status, r.assignee_id, r.last_message_at, r.version, \
             CASE WHEN r.channel = 'sms' THEN (SELECT c.phone FROM customers c WHERE c.id = r.customer_id) END \
             AS sms_to FROM rooms r WHERE r.workspace_id = ",
        )
        .push_bind(ws);
        b.push(format!(" AND r.status = '{}' AND NOT r.hold AND r.last_message_at <= ", status.as_str()));
        b.push_bind(*cutoff);
        match from {
            Some(from) => {
                b.push(" AND r.last_message_at >= ").push_bind(*from);
                b.push(" AND r.last_message_author = 'customer'");
            }
            None if *status == RoomStatus::Bot => {
                b.push(" AND r.last_message_author IN ('bot', 'system')");
            }
            None => {}
        }
        b.push(" ORDER BY r.last_message_at, r.id LIMIT ").push_bind(limit).push(")");
    }
    b.push(") due ORDER BY last_message_at, id LIMIT ").push_bind(limit);
    type Row = (WorkspaceId, RoomId, String, Option<AccountId>, DateTime<Utc>, i64, Option<String>);
    let rows: Vec<Row> = b.build_query_as().fetch_all(pool).await?;
    rows.into_iter()
        .map(|(workspace_id, room_id, status, assignee_id, last_message_at, version, sms_to)| {
            let status = super::status(status)?;
            let rule = if DELAY_STATUSES.contains(&status) { Rule::CounselorDelay } else { Rule::CustomerSilence };
            Ok(DueRoom { workspace_id, room_id, rule, status, assignee_id, last_message_at, version, sms_to })
        })
        .collect()
}

pub(super) async fn auto_close(
    pool: &PgPool,
    rooms: &[DueRoom],
    message: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
    // Batches hold different rooms, so they never wait on each other; each commits on its own.
    let batches: Vec<_> = rooms.chunks(CLOSE_BATCH).map(|batch| close_batch(pool, batch, message, at)).collect();
    let done: Vec<_> = futures_util::stream::iter(batches).buffered(CLOSE_AT_ONCE).try_collect().await?;
    Ok(done.into_iter().flatten().collect())
}

async fn close_batch(
    pool: &PgPool,
    rooms: &[DueRoom],
    message: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
    let due: HashMap<RoomId, &DueRoom> = rooms.iter().map(|r| (r.room_id, r)).collect();
    // The update locks the rows in the order it is given them: id order, so two sweepers over
    // overlapping batches queue behind each other instead of deadlocking.
    let mut rooms: Vec<&DueRoom> = rooms.iter().collect();
    rooms.sort_unstable_by_key(|r| r.room_id.to_string());
    let ids: Vec<String> = rooms.iter().map(|r| r.room_id.to_string()).collect();
    let mut tx = pool.begin().await?;
    let bump = if message.is_some() {
        ", last_seq = r.last_seq + 1, last_message_author = 'system', last_message_at = $4"
    } else {
        ""
    };
    let done: Vec<(RoomId, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE rooms r SET status = 'closed', close_type = 'auto', closed_at = $4, processed = FALSE, \
         version = r.version + 1{bump} \
         FROM UNNEST($1::text[], $2::text[], $3::bigint[]) AS k(ws, id, v) \
         WHERE r.id = k.id AND r.workspace_id = k.ws AND r.version = k.v AND r.status <> 'closed' \
         RETURNING r.id, r.last_seq"
    )))
    .bind(rooms.iter().map(|r| r.workspace_id.to_string()).collect::<Vec<_>>())
    .bind(&ids)
    .bind(rooms.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind(at)
    .fetch_all(&mut *tx)
    .await?;
    let mut c = Columns::default();
    let mut closed = Vec::with_capacity(done.len());
    for (id, seq) in done {
        let Some(room) = due.get(&id) else { continue };
        c.ws.push(room.workspace_id.to_string());
        c.id.push(id.to_string());
        c.rule.push(match room.rule {
            Rule::CustomerSilence => "customer_silence",
            Rule::CounselorDelay => "counselor_delay",
        });
        c.signal.push(RoomSignal { workspace_id: room.workspace_id, room_id: id, seq }.encode());
        let written = message.map(|text| {
            let mid = MessageId::new();
            c.mid.push(mid.to_string());
            c.seq.push(seq);
            c.to.push(room.sms_to.clone());
            Message {
                id: mid,
                room_id: id,
                seq,
                author: Author::System,
                author_account_id: None,
                text: text.to_owned(),
                created_at: at,
                delivery_status: room.sms_to.as_ref().map(|_| "pending".to_owned()),
                delivery_error: None,
            }
        });
        closed.push((id, written));
    }
    sqlx::query(
        "INSERT INTO room_events (workspace_id, room_id, kind, detail, at) \
         SELECT ws, id, 'closed', jsonb_build_object('close_type', 'auto', 'rule', rule), $4 \
         FROM UNNEST($1::text[], $2::text[], $3::text[]) AS k(ws, id, rule)",
    )
    .bind(&c.ws)
    .bind(&c.id)
    .bind(&c.rule)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    if let (Some(text), false) = (message, c.mid.is_empty()) {
        // Every closed room got a message, so the room columns line up with the message ones.
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at, delivery_status) \
             SELECT mid, ws, id, seq, 'system', $6, $7, CASE WHEN dest IS NULL THEN NULL ELSE 'pending' END \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS k(mid, ws, id, seq, dest)",
        )
        .bind(&c.mid)
        .bind(&c.ws)
        .bind(&c.id)
        .bind(&c.seq)
        .bind(&c.to)
        .bind(text)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sms_outbox (id, workspace_id, room_id, message_id, to_number, body, status, attempts, \
             next_attempt_at, created_at, updated_at) \
             SELECT mid, ws, id, mid, dest, $5, 'queued', 0, $6, $6, $6 \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS k(mid, ws, id, dest) WHERE dest IS NOT NULL",
        )
        .bind(&c.mid)
        .bind(&c.ws)
        .bind(&c.id)
        .bind(&c.to)
        .bind(text)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("SELECT pg_notify($1, s) FROM UNNEST($2::text[]) AS s")
        .bind(ROOM_CHANNEL)
        .bind(&c.signal)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(closed)
}

/// The closed rooms as columns, for `UNNEST`.
#[derive(Default)]
struct Columns {
    ws: Vec<String>,
    id: Vec<String>,
    rule: Vec<&'static str>,
    signal: Vec<String>,
    mid: Vec<String>,
    seq: Vec<i64>,
    to: Vec<Option<String>>,
}

pub(super) async fn fire_alarms(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<FiredAlarm>> {
    let mut tx = pool.begin().await?;
    // SKIP LOCKED: sweepers in other processes take other rooms; the comparison with the time
    // read fires an alarm only while it is still set to that time.
    type Fired = (WorkspaceId, RoomId, Option<AccountId>, DateTime<Utc>, i64);
    let fired: Vec<Fired> = sqlx::query_as(
        "WITH due AS (SELECT id, alarm_at FROM rooms WHERE alarm_at IS NOT NULL AND alarm_at <= $1 \
           ORDER BY alarm_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
         UPDATE rooms r SET alarm_at = NULL, version = r.version + 1 FROM due \
         WHERE r.id = due.id AND r.alarm_at = due.alarm_at \
         RETURNING r.workspace_id, r.id, r.assignee_id, due.alarm_at, r.last_seq",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if fired.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query(
        "INSERT INTO room_events (workspace_id, room_id, kind, detail, at) \
         SELECT ws, id, 'alarm_fired', jsonb_build_object('alarm_at', alarm_at), $4 \
         FROM UNNEST($1::text[], $2::text[], $3::timestamptz[]) AS k(ws, id, alarm_at)",
    )
    .bind(fired.iter().map(|f| f.0.to_string()).collect::<Vec<_>>())
    .bind(fired.iter().map(|f| f.1.to_string()).collect::<Vec<_>>())
    .bind(fired.iter().map(|f| f.3).collect::<Vec<_>>())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let signals: Vec<String> = fired
        .iter()
        .map(|(ws, room, _, _, seq)| RoomSignal { workspace_id: *ws, room_id: *room, seq: *seq }.encode())
        .collect();
    sqlx::query("SELECT pg_notify($1, s) FROM UNNEST($2::text[]) AS s")
        .bind(ROOM_CHANNEL)
        .bind(&signals)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(fired
        .into_iter()
        .map(|(workspace_id, room_id, assignee_id, at, _)| FiredAlarm { workspace_id, room_id, assignee_id, at })
        .collect())
}
