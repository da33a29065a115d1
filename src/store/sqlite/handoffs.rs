//! Handoffs, the ticket outbox and helpdesk integrations on SQLite.
//!
//! A handoff is written in one writer transaction with its ticket job and the customer's notices,
//! so a decision is never half-recorded. The single writer connection also makes claiming race
//! free: one `UPDATE … RETURNING` picks and leases the due jobs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{SqliteStore, appender, queue, sms, ts};
use crate::channels::HandoffAction;
use crate::handoff::{Handoff, HandoffJob, HandoffState, HelpdeskIntegration, JobOutcome, NewHandoff};
use crate::ids::{HandoffId, RoomId, WorkspaceId};
use crate::rooms::Message;
use crate::rooms::queue::RoomEventKind;
use crate::store::rows::{HandoffJobRow, HandoffRow, HelpdeskRow, action_str, handoff_columns, helpdesk_columns};
use crate::store::{HandoffStore, Notice, StoreError, StoreResult};

#[async_trait]
impl HandoffStore for SqliteStore {
    async fn record_handoff(&self, h: &NewHandoff, notices: &[Notice]) -> StoreResult<Vec<Message>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let room: Option<RoomId> = sqlx::query_scalar("SELECT id FROM rooms WHERE workspace_id = ? AND id = ?")
            .bind(h.workspace_id)
            .bind(h.room_id)
            .fetch_optional(&mut *tx)
            .await?;
        if room.is_none() {
            return Err(StoreError::NotFound);
        }
        let (state, due) = match &h.ticket {
            Some(_) => (HandoffState::Pending, Some(ts(h.at))),
            None => (HandoffState::Queued, None),
        };
        sqlx::query(
            "INSERT INTO handoffs (public_id, workspace_id, room_id, message_id, reason, detail, trace, action, \
             helpdesk, state, next_attempt_at, ticket, created_at, notify) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .bind(ts(h.at))
        .bind(h.notify)
        .execute(&mut *tx)
        .await?;
        if matches!(h.action, HandoffAction::Queue | HandoffAction::Static) {
            let queued = sqlx::query(
                "UPDATE rooms SET status = 'waiting', queued = 1, version = version + 1 \
                 WHERE workspace_id = ? AND id = ? AND status = 'bot'",
            )
            .bind(h.workspace_id)
            .bind(h.room_id)
            .execute(&mut *tx)
            .await?;
            if queued.rows_affected() > 0 {
                let detail = serde_json::json!({ "reason": h.reason.as_str() });
                queue::event(&mut tx, h.workspace_id, h.room_id, RoomEventKind::Queued, None, None, detail, h.at)
                    .await?;
                queue::distribute_in(&mut tx, h.workspace_id, h.room_id, h.at).await?;
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
            " FROM handoffs WHERE workspace_id = ? AND room_id = ? ORDER BY id DESC LIMIT 1"
        ))
        .bind(ws)
        .bind(room)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Handoff::try_from).transpose()?)
    }

    async fn handoff(&self, ws: WorkspaceId, id: HandoffId) -> StoreResult<Handoff> {
        let row = sqlx::query_as::<_, HandoffRow>(concat!(
            "SELECT ",
            handoff_columns!(),
            " FROM handoffs WHERE workspace_id = ? AND public_id = ?"
        ))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.reader)
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
            " FROM handoffs WHERE workspace_id = ? AND (? IS NULL OR state = ?) \
             AND (? IS NULL OR id < (SELECT p.id FROM handoffs p WHERE p.workspace_id = ? AND p.public_id = ?)) \
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(ws)
        .bind(state.map(HandoffState::as_str))
        .bind(state.map(HandoffState::as_str))
        .bind(before)
        .bind(ws)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Handoff::try_from).collect::<Result<_, _>>()?)
    }

    async fn claim_handoffs(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<HandoffJob>> {
        let rows = sqlx::query_as::<_, HandoffJobRow>(
            "UPDATE handoffs SET lease_until = ?, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM handoffs WHERE state = 'pending' AND next_attempt_at <= ? \
               AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at LIMIT ?) \
             RETURNING public_id, workspace_id, room_id, helpdesk, ticket, attempts, notify, uncertain, created_at",
        )
        .bind(ts(lease_until))
        .bind(ts(now))
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&self.writer)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        const RETURNING: &str = " RETURNING workspace_id, room_id, helpdesk";
        let done: Option<(WorkspaceId, RoomId, Option<String>)> =
            match outcome {
                JobOutcome::Delivered { ticket_id, ticket_url } => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE handoffs SET state = 'delivered', ticket_id = ?, ticket_url = ?, delivered_at = ?, \
                     next_attempt_at = NULL, lease_until = NULL, last_error = NULL \
                     WHERE public_id = ? AND state = 'pending'{RETURNING}"
                    )))
                    .bind(ticket_id)
                    .bind(ticket_url)
                    .bind(ts(at))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                // Once an attempt may have created the ticket, every later one must look for it first:
                // a definite failure afterwards does not undo that.
                JobOutcome::Retry { at: due, error, uncertain } => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE handoffs SET next_attempt_at = ?, last_error = ?, uncertain = uncertain OR ?, \
                     lease_until = NULL WHERE public_id = ? AND state = 'pending'{RETURNING}"
                    )))
                    .bind(ts(*due))
                    .bind(error)
                    .bind(uncertain)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                JobOutcome::Dead { error } => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE handoffs SET state = 'dead', last_error = ?, next_attempt_at = NULL, lease_until = NULL \
                     WHERE public_id = ? AND state = 'pending'{RETURNING}"
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
                "UPDATE rooms SET ticket_helpdesk = ?, ticket_id = ?, ticket_url = ? \
                 WHERE workspace_id = ? AND id = ?",
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
            "UPDATE handoffs SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL \
             WHERE workspace_id = ? AND public_id = ? AND state = 'dead' RETURNING ",
            handoff_columns!()
        ))
        .bind(ts(at))
        .bind(ws)
        .bind(id)
        .fetch_optional(&self.writer)
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
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM handoffs WHERE state = 'pending'").fetch_one(&self.reader).await?)
    }

    async fn helpdesks(&self, ws: WorkspaceId) -> StoreResult<Vec<HelpdeskIntegration>> {
        let rows = sqlx::query_as::<_, HelpdeskRow>(concat!(
            "SELECT ",
            helpdesk_columns!(),
            " FROM helpdesks WHERE workspace_id = ? ORDER BY name"
        ))
        .bind(ws)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(HelpdeskIntegration::from).collect())
    }

    async fn helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<HelpdeskIntegration> {
        let row = sqlx::query_as::<_, HelpdeskRow>(concat!(
            "SELECT ",
            helpdesk_columns!(),
            " FROM helpdesks WHERE workspace_id = ? AND name = ?"
        ))
        .bind(ws)
        .bind(name)
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    async fn save_helpdesk(&self, h: &HelpdeskIntegration) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO helpdesks (workspace_id, name, config, secrets, max_attempts, check_result, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name) DO UPDATE SET \
             config = excluded.config, secrets = excluded.secrets, max_attempts = excluded.max_attempts, \
             check_result = excluded.check_result, updated_at = excluded.updated_at",
        )
        .bind(h.workspace_id)
        .bind(&h.name)
        .bind(Json(&h.config))
        .bind(Json(&h.secrets))
        .bind(h.max_attempts)
        .bind(h.check.as_ref().map(Json))
        .bind(ts(h.updated_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn delete_helpdesk(&self, ws: WorkspaceId, name: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM helpdesks WHERE workspace_id = ? AND name = ?")
            .bind(ws)
            .bind(name)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

/// Writes the customer's notices in the transaction: a message, or a message and its SMS outbox row.
async fn write_notices(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
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
                let seq = appender::insert(tx, ws, room, m).await?.ok_or(StoreError::NotFound)?;
                m.stored(room, seq)
            }
        });
    }
    Ok(stored)
}
