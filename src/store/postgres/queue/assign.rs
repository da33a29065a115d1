//! Status moves inside a transaction: what a message does to its room, and distribution.
//! Distribution locks the workspace's `queue_settings` row, so concurrent hand-offs in any process
//! decide one after the other and each sees the loads the previous one left.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::ids::{AccountId, RoomId, WorkspaceId};
use crate::rooms::distribution::{self, Candidate, CounselorDay, Decision, DistributionSettings, Method, Span};
use crate::rooms::queue::RoomEventKind;
use crate::rooms::{Author, RoomStatus};
use crate::store::queue_plan::{moved_by, time_zone};

/// Moves a room that just received a message by `author`, from `status`, by the status machine.
/// A customer writing to a closed room reopens it: back to the queue (and through distribution)
/// when counselors had it, to the agent otherwise.
pub(in crate::store::postgres) async fn after_message(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    author: Author,
    (status, queued): (RoomStatus, bool),
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let Some(next) = moved_by(author, status, queued) else { return Ok(()) };
    if status != RoomStatus::Closed {
        sqlx::query("UPDATE rooms SET status = $1 WHERE id = $2")
            .bind(next.as_str())
            .bind(room)
            .execute(&mut *tx)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "UPDATE rooms SET status = $1, close_type = NULL, closed_at = NULL, processed = FALSE, wrap_up = NULL, \
         assignee_id = NULL, hold = FALSE WHERE id = $2",
    )
    .bind(next.as_str())
    .bind(room)
    .execute(&mut *tx)
    .await?;
    event(tx, ws, room, RoomEventKind::Reopened, None, None, json!({ "status": next.as_str() }), at).await?;
    if next == RoomStatus::Waiting {
        distribute_in(tx, ws, room, at).await?;
    }
    Ok(())
}

/// Reads a stored status.
pub(in crate::store::postgres) fn status(text: String) -> Result<RoomStatus, sqlx::Error> {
    RoomStatus::try_from(text).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Appends an entry to a room's history.
#[allow(clippy::too_many_arguments)]
pub(in crate::store::postgres) async fn event(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    kind: RoomEventKind,
    actor: Option<AccountId>,
    target: Option<AccountId>,
    detail: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO room_events (workspace_id, room_id, kind, actor_id, target_id, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ws)
    .bind(room)
    .bind(kind.as_str())
    .bind(actor)
    .bind(target)
    .bind(Json(detail))
    .bind(at)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// A counselor who may get rooms: id, rooms in progress, and today's plan if one was set.
type CandidateRow = (AccountId, i64, Option<bool>, Option<Json<Vec<Span>>>);

/// Distributes a waiting room by the workspace's settings: gives it to the available counselor
/// with the fewest rooms in progress, or leaves it waiting. The counselor it went to, if any.
pub(in crate::store::postgres) async fn distribute_in(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    now: DateTime<Utc>,
) -> Result<Option<AccountId>, sqlx::Error> {
    let Some((zone, settings)): Option<(String, Option<Json<DistributionSettings>>)> = sqlx::query_as(
        "SELECT w.time_zone, q.distribution FROM workspaces w \
         LEFT JOIN queue_settings q ON q.workspace_id = w.id WHERE w.id = $1",
    )
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    // Manual distribution decides nothing, so it takes no lock; the others decide under the
    // settings row's lock, with the settings as they are once it is held.
    if settings.as_ref().map(|s| &s.0).cloned().unwrap_or_default().method == Method::Manual {
        return Ok(None);
    }
    if settings.is_none() {
        sqlx::query(
            "INSERT INTO queue_settings (workspace_id, distribution, auto_close, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(ws)
        .bind(Json(DistributionSettings::default()))
        .bind(Json(crate::rooms::autoclose::AutoCloseSettings::default()))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let Json(settings): Json<DistributionSettings> =
        sqlx::query_scalar("SELECT distribution FROM queue_settings WHERE workspace_id = $1 FOR UPDATE")
            .bind(ws)
            .fetch_one(&mut *tx)
            .await?;
    if settings.method == Method::Manual {
        return Ok(None);
    }
    let tz = time_zone(&zone);
    let today = now.with_timezone(&tz).date_naive();
    let rows: Vec<CandidateRow> = sqlx::query_as(
        "SELECT a.id, (SELECT COUNT(*) FROM rooms r WHERE r.assignee_id = a.id \
           AND r.status IN ('received', 'inquiry', 'answered')), d.available, d.breaks \
         FROM accounts a LEFT JOIN counselor_days d ON d.account_id = a.id AND d.day = $1 \
         WHERE a.workspace_id = $2 AND a.certified AND a.deleted_at IS NULL AND a.counselling",
    )
    .bind(today)
    .bind(ws)
    .fetch_all(&mut *tx)
    .await?;
    let candidates: Vec<Candidate> = rows
        .into_iter()
        .map(|(account_id, load, available, breaks)| Candidate {
            account_id,
            load,
            today: available.map(|available| CounselorDay {
                account_id,
                date: today,
                available,
                breaks: breaks.map(|b| b.0).unwrap_or_default(),
            }),
        })
        .collect();
    let Decision::Assign(counselor) = distribution::decide(&settings, tz, now, &candidates) else { return Ok(None) };
    let moved = sqlx::query(
        "UPDATE rooms SET status = 'received', assignee_id = $1, version = version + 1 \
         WHERE workspace_id = $2 AND id = $3 AND status = 'waiting'",
    )
    .bind(counselor)
    .bind(ws)
    .bind(room)
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(None);
    }
    event(tx, ws, room, RoomEventKind::Assigned, None, Some(counselor), json!({}), now).await?;
    Ok(Some(counselor))
}
