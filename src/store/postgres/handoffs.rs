//! Handoffs, the ticket outbox and helpdesk integrations on PostgreSQL.
//!
//! A handoff is written in one transaction with its ticket job and the customer's notices, under
//! the room's row lock, so a decision is never half-recorded. Workers in several processes claim
//! jobs with `FOR UPDATE SKIP LOCKED`, so they take disjoint rows without waiting on each other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::rooms::{bump, insert, notify};
use super::{PgStore, queue, sms};
use crate::channels::HandoffAction;
use crate::handoff::{Handoff, HandoffJob, HandoffState, HelpdeskIntegration, JobOutcome, NewHandoff};
use crate::ids::{HandoffId, RoomId, WorkspaceId};
use crate::rooms::Message;
use crate::rooms::queue::RoomEventKind;
use crate::store::rows::{HandoffJobRow, HandoffRow, HelpdeskRow, action_str, handoff_columns, helpdesk_columns};
use crate::store::{HandoffStore, Notice, StoreError, StoreResult};

#[async_trait]
impl HandoffStore for PgStore {
    async fn record_handoff(&self, h: &NewHandoff, notices: &[Notice]) -> StoreResult<Vec<Message>> {
        let mut tx = self.pool.begin().await?;
        // Locks the room: its status and message numbering change together with the decision.
        let room: Option<RoomId> =
            sqlx::query_scalar("SELECT id FROM rooms WHERE workspace_id = $1 AND id = $2 FOR UPDATE")
                .bind(h.workspace_id)
                .bind(h.room_id)
                .fetch_optional(&mut *tx)
                .await?;
        if room.is_none() {
            return Err(StoreError::NotFound);
        }
        let (state, due) = match &h.ticket {
            Some(_) => (HandoffState::Pending, Some(h.at)),
            None => (HandoffState::Queued, None),
        };
        sqlx::query(
            "INSERT INTO handoffs (public_id, workspace_id, room_id, message_id, reason, detail, trace, action, \
             helpdesk, state, next_attempt_at, ticket, created_at, notify) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(h.id)
        .bind(h.workspace_id)
        .bind(h.room_id)
        .bind(h.message_id)
        .bind(h.reason.as_str())
        .bind(&h.detail)
        .bind(Json(&h.trace))
        .bind(action_str(h.action))
        .bind(h.ticket.as_ref().map(|(helpdesk, _)| helpdesk))
        .bind(state.as_str())
        .bind(due)
        .bind(h.ticket.as_ref().map(|(_, draft)| Json(draft)))
        .bind(h.at)
        .bind(h.notify)
        .execute(&mut *tx)
        .await?;
        if matches!(h.action, HandoffAction::Queue | HandoffAction::Static) {
            let queued: Option<i64> = sqlx::query_scalar(
                "UPDATE rooms SET status = 'waiting', queued = TRUE, version = version + 1 \
                 WHERE workspace_id = $1 AND id = $2 AND status = 'bot' RETURNING last_seq",
            )
            .bind(h.workspace_id)
            .bind(h.room_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(seq) = queued {
                let detail = serde_json::json!({ "reason": h.reason.as_str() });
                queue::event(&mut tx, h.workspace_id, h.room_id, RoomEventKind::Queued, None, None, detail, h.at)
                    .await?;
                queue::distribute_in(&mut tx, h.workspace_id, h.room_id, h.at).await?;
                notify(&mut tx, h.workspace_id, h.room_id, seq).await?;
            }
        }
        let stored = write_notices(&mut tx, h.workspace_id, h.room_id, notices).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn handoff_of(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Option<Handoff>> {
        let row = sqlx::query_as::<_, HandoffRow>(concat!(
            "SELECT ",
            handoff_columns!(),
            " FROM handoffs WHERE workspace_id = $1 AND room_id = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(ws)
        .bind(room)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Handoff::try_from).transpose()?)
    }

    async fn handoff(&self, ws: WorkspaceId, id: HandoffId) -> StoreResult<Handoff> {
        let row = sqlx::query_as::<_, HandoffRow>(concat!(
            "SELECT ",
            handoff_columns!(),
            " FROM handoffs WHERE workspace_id = $1 AND public_id = $2"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Handoff::try_from(row)?)
    }

    async fn handoffs(
        &self,
        ws: WorkspaceId,
        state: Option<HandoffState>,
        before: Option<HandoffId>,
        limit: i64,
    ) -> StoreResult<Vec<Handoff>> {
        // Pages by the insertion order; an unknown `before` compares with NULL and yields nothing.
        let rows = sqlx::query_as::<_, HandoffRow>(concat!(
            "SELECT ",
            handoff_columns!(),
            " FROM handoffs WHERE workspace_id = $1 AND ($2::text IS NULL OR state = $2) \
             AND ($3::text IS NULL OR id < (SELECT p.id FROM handoffs p WHERE p.workspace_id = $1 AND p.public_id = $3)) \
             ORDER BY id DESC LIMIT $4"
        ))
        .bind(ws)
        .bind(state.map(HandoffState::as_str))
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Handoff::try_from).collect::<Result<_, _>>()?)
    }

    async fn claim_handoffs(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<HandoffJob>> {
        // SKIP LOCKED: a row another worker is claiming is passed over, not waited for; once that
        // claim commits, its lease keeps the row out of every later claim.
        let rows = sqlx::query_as::<_, HandoffJobRow>(
            "UPDATE handoffs SET lease_until = $1, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM handoffs WHERE state = 'pending' AND next_attempt_at <= $2 \
               AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at LIMIT $3 \
               FOR UPDATE SKIP LOCKED) \
             RETURNING public_id, workspace_id, room_id, helpdesk, ticket, attempts, notify, uncertain, created_at",
        )
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(HandoffJob::from).collect())
    }

    async fn finish_handoff(
        &self,
        id: HandoffId,
        outcome: &JobOutcome,
        at: DateTime<Utc>,
        notices: &[Notice],
    ) -> StoreResult<Vec<Message>> {
        let mut tx = self.pool.begin().await?;
        const RETURNING: &str = " RETURNING workspace_id, room_id, helpdesk";
        let done: Option<(WorkspaceId, RoomId, Option<String>)> =
            match outcome {
                JobOutcome::Delivered { ticket_id, ticket_url } => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE handoffs SET state = 'delivered', ticket_id = $1, ticket_url = $2, delivered_at = $3, \
                     next_attempt_at = NULL, lease_until = NULL, last_error = NULL \
                     WHERE public_id = $4 AND state = 'pending'{RETURNING}"
                    )))
                    .bind(ticket_id)
                    .bind(ticket_url)
                    .bind(at)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                // Once an attempt may have created the ticket, every later one must look for it first:
                // a definite failure afterwards does not undo that.
                JobOutcome::Retry { at: due, error, uncertain } => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE handoffs SET next_attempt_at = $1, last_error = $2, uncertain = uncertain OR $3, \
                     lease_until = NULL WHERE public_id = $4 AND state = 'pending'{RETURNING}"
                    )))
                    .bind(due)
                    .bind(error)
                    .bind(uncertain)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                JobOutcome::Dead { error } => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE handoffs SET state = 'dead', last_error = $1, next_attempt_at = NULL, lease_until = NULL \
                     WHERE public_id = $2 AND state = 'pending'{RETURNING}"
                )))
                .bind(error)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?,
            };
        // A job no longer pending was finished by another worker: nothing more is written.
        let Some((ws, room, helpdesk)) = done else { return Ok(Vec::new()) };
        if let JobOutcome::Delivered { ticket_id, ticket_url } = outcome {
            sqlx::query(
                "UPDATE rooms SET ticket_helpdesk = $1, ticket_id = $2, ticket_url = $3 \
                 WHERE workspace_id = $4 AND id = $5",
            )
            .bind(helpdesk)
            .bind(ticket_id)
            .bind(ticket_url)
            .bind(ws)
            .bind(room)
            .execute(&mut *tx)
            .await?;
        }
        let stored = write_notices(&mut tx, ws, room, notices).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn retry_handoff(&self, ws: WorkspaceId, id: HandoffId, at: DateTime<Utc>) -> StoreResult<Handoff> {
        // `uncertain` stays: a dead letter whose attempts may have created the ticket looks first.
        let row = sqlx::query_as::<_, HandoffRow>(concat!(
            "UPDATE handoffs SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL \
             WHERE workspace_id = $2 AND public_id = $3 AND state = 'dead' RETURNING ",
            handoff_columns!()
        ))
        .bind(at)
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Handoff::try_from(row)?),
            None => Err(match self.handoff(ws, id).await {
                Ok(_) => StoreError::Conflict,
                Err(e) => e,
            }),
        }
    }

    async fn pending_handoffs(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM handoffs WHERE state = 'pending'").fetch_one(&self.pool).await?)
    }

    async fn helpdesks(&self, ws: WorkspaceId) -> StoreResult<Vec<HelpdeskIntegration>> {
        let rows = sqlx::query_as::<_, HelpdeskRow>(concat!(
            "SELECT ",
            helpdesk_columns!(),
            " FROM helpdesks WHERE workspace_id = $1 ORDER BY name"
        ))
        .bind(ws)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(HelpdeskIntegration::from).collect())
    }

    async fn helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<HelpdeskIntegration> {
        let row = sqlx::query_as::<_, HelpdeskRow>(concat!(
            "SELECT ",
            helpdesk_columns!(),
            " FROM helpdesks WHERE workspace_id = $1 AND name = $2"
        ))
        .bind(ws)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    async fn save_helpdesk(&self, h: &HelpdeskIntegration) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO helpdesks (workspace_id, name, config, secrets, max_attempts, check_result, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, name) DO UPDATE SET \
             config = EXCLUDED.config, secrets = EXCLUDED.secrets, max_attempts = EXCLUDED.max_attempts, \
             check_result = EXCLUDED.check_result, updated_at = EXCLUDED.updated_at",
        )
        .bind(h.workspace_id)
        .bind(&h.name)
        .bind(Json(&h.config))
        .bind(Json(&h.secrets))
        .bind(h.max_attempts)
        .bind(h.check.as_ref().map(Json))
        .bind(h.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM helpdesks WHERE workspace_id = $1 AND name = $2")
            .bind(ws)
            .bind(name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

/// Writes the customer's notices in the transaction: a message (announced to other processes on
/// commit), or a message and its SMS outbox row.
async fn write_notices(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ws: WorkspaceId,
    room: RoomId,
    notices: &[Notice],
) -> StoreResult<Vec<Message>> {
    let mut stored = Vec::with_capacity(notices.len());
    for notice in notices {
        let m = &notice.message;
        stored.push(match &notice.sms_to {
            Some(to) => sms::queue(tx, ws, room, m, to).await?,
            None => {
                let seq = bump(tx, ws, room, m).await?.ok_or(StoreError::NotFound)?;
                insert(tx, ws, room, seq, m).await?;
                notify(tx, ws, room, seq).await?;
                m.stored(room, seq)
            }
        });
    }
    Ok(stored)
}
