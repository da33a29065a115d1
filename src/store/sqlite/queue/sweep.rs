//! Auto-close and alarms on SQLite, set-based: a batch of rooms is closed (or its alarms fired)
//! with a handful of statements over a JSON array of the rooms, in one writer transaction, so a
//! sweep of many rooms neither holds the writer long nor pays a round trip per room.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::super::ts;
use crate::ids::{AccountId, MessageId, RoomId, WorkspaceId};
use crate::rooms::autoclose::{AutoCloseSettings, DELAY_STATUSES, Rule};
use crate::rooms::queue::{DueRoom, FiredAlarm};
use crate::rooms::{Author, Message, RoomStatus};
use crate::store::StoreResult;

/// Rooms closed per writer transaction: appends wait at most for one batch.
const CLOSE_BATCH: usize = 500;

pub(super) async fn due_rooms(
    pool: &SqlitePool,
    ws: WorkspaceId,
    s: &AutoCloseSettings,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<DueRoom>> {
    // One index range per status, merged by time: (status, rule, window).
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
    let mut b = QueryBuilder::<Sqlite>::new("SELECT * FROM (");
    for (i, (status, from, cutoff)) in ranges.iter().enumerate() {
        if i > 0 {
            b.push(" UNION ALL ");
        }
        b.push(
            "SELECT * FROM (SELECT r.workspace_id, r.id, r.status, r.assignee_id, r.last_message_at, r.version, \
             CASE WHEN r.channel = 'sms' THEN c.phone END AS sms_to \
             FROM rooms r JOIN customers c ON c.id = r.customer_id WHERE r.workspace_id = ",
        )
        .push_bind(ws);
        b.push(format!(" AND r.status = '{}' AND r.hold = 0 AND r.last_message_at <= ", status.as_str()));
        b.push_bind(ts(*cutoff));
        match from {
            Some(from) => {
                b.push(" AND r.last_message_at >= ").push_bind(ts(*from));
                b.push(" AND r.last_message_author = 'customer'");
            }
            None if *status == RoomStatus::Bot => {
                b.push(" AND r.last_message_author IN ('bot', 'system')");
            }
            None => {}
        }
        b.push(" ORDER BY r.last_message_at, r.id LIMIT ").push_bind(limit).push(")");
    }
    b.push(") ORDER BY last_message_at, id LIMIT ").push_bind(limit);
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
    pool: &SqlitePool,
    rooms: &[DueRoom],
    message: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
    let mut closed = Vec::with_capacity(rooms.len());
    for batch in rooms.chunks(CLOSE_BATCH) {
        closed.extend(close_batch(pool, batch, message, at).await?);
    }
    Ok(closed)
}

async fn close_batch(
    pool: &SqlitePool,
    rooms: &[DueRoom],
    message: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
    let due: HashMap<RoomId, &DueRoom> = rooms.iter().map(|r| (r.room_id, r)).collect();
    let list: Vec<_> = rooms.iter().map(|r| json!({ "ws": r.workspace_id, "id": r.room_id, "v": r.version })).collect();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // Only rooms still at the version they were found at: a room another sweeper closed, or
    // that got a message since, is left alone.
    let bump = if message.is_some() {
        ", last_seq = last_seq + 1, last_message_author = 'system', last_message_at = ?2"
    } else {
        ""
    };
    let done: Vec<(RoomId, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE rooms SET status = 'closed', close_type = 'auto', closed_at = ?2, processed = 0, \
         version = version + 1{bump} \
         FROM (SELECT value ->> 'ws' AS ws, value ->> 'id' AS id, value ->> 'v' AS v FROM json_each(?1)) AS k \
         WHERE rooms.id = k.id AND rooms.workspace_id = k.ws AND rooms.version = k.v AND rooms.status <> 'closed' \
         RETURNING rooms.id, rooms.last_seq"
    )))
    .bind(serde_json::Value::Array(list).to_string())
    .bind(ts(at))
    .fetch_all(&mut *tx)
    .await?;
    let mut events = Vec::with_capacity(done.len());
    let mut messages = Vec::new();
    let mut closed = Vec::with_capacity(done.len());
    for (id, seq) in done {
        let Some(room) = due.get(&id) else { continue };
        let rule = match room.rule {
            Rule::CustomerSilence => "customer_silence",
            Rule::CounselorDelay => "counselor_delay",
        };
        events.push(json!({ "ws": room.workspace_id, "id": id, "rule": rule }));
        let written = message.map(|text| {
            let mid = MessageId::new();
            messages.push(json!({ "ws": room.workspace_id, "id": id, "mid": mid, "seq": seq, "to": room.sms_to }));
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
         SELECT value ->> 'ws', value ->> 'id', 'closed', \
         json_object('close_type', 'auto', 'rule', value ->> 'rule'), ? FROM json_each(?)",
    )
    .bind(ts(at))
    .bind(serde_json::Value::Array(events).to_string())
    .execute(&mut *tx)
    .await?;
    if let (Some(text), false) = (message, messages.is_empty()) {
        let messages = serde_json::Value::Array(messages).to_string();
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, room_id, seq, author, text, created_at, delivery_status) \
             SELECT value ->> 'mid', value ->> 'ws', value ->> 'id', value ->> 'seq', 'system', ?1, ?2, \
             CASE WHEN value ->> 'to' IS NULL THEN NULL ELSE 'pending' END FROM json_each(?3)",
        )
        .bind(text)
        .bind(ts(at))
        .bind(&messages)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sms_outbox (id, workspace_id, room_id, message_id, to_number, body, status, attempts, \
             next_attempt_at, created_at, updated_at) \
             SELECT value ->> 'mid', value ->> 'ws', value ->> 'id', value ->> 'mid', value ->> 'to', ?1, 'queued', 0, \
             ?2, ?2, ?2 FROM json_each(?3) WHERE value ->> 'to' IS NOT NULL",
        )
        .bind(text)
        .bind(ts(at))
        .bind(&messages)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(closed)
}

pub(super) async fn fire_alarms(pool: &SqlitePool, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<FiredAlarm>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let due: Vec<(WorkspaceId, RoomId, Option<AccountId>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT workspace_id, id, assignee_id, alarm_at FROM rooms \
         WHERE alarm_at IS NOT NULL AND alarm_at <= ? ORDER BY alarm_at, id LIMIT ?",
    )
    .bind(ts(now))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<_> = due.iter().map(|(ws, id, _, at)| json!({ "ws": ws, "id": id, "at": ts(*at) })).collect();
    let list = serde_json::Value::Array(list).to_string();
    // The writer transaction already excludes other sweepers; the comparison with the time read
    // keeps the rule visible: an alarm fires only while it is still set to that time.
    let fired: Vec<RoomId> = sqlx::query_scalar(
        "UPDATE rooms SET alarm_at = NULL, version = version + 1 \
         FROM (SELECT value ->> 'id' AS id, value ->> 'at' AS at FROM json_each(?)) AS k \
         WHERE rooms.id = k.id AND rooms.alarm_at = k.at RETURNING rooms.id",
    )
    .bind(&list)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO room_events (workspace_id, room_id, kind, detail, at) \
         SELECT value ->> 'ws', value ->> 'id', 'alarm_fired', json_object('alarm_at', value ->> 'at'), ? \
         FROM json_each(?) WHERE value ->> 'id' IN (SELECT value FROM json_each(?))",
    )
    .bind(ts(now))
    .bind(&list)
    .bind(serde_json::to_string(&fired).unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let fired: HashSet<RoomId> = fired.into_iter().collect();
    Ok(due
        .into_iter()
        .filter(|(_, id, _, _)| fired.contains(id))
        .map(|(workspace_id, room_id, assignee_id, at)| FiredAlarm { workspace_id, room_id, assignee_id, at })
        .collect())
}
