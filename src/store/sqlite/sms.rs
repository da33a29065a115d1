//! The SMS channel's rooms, consent and outbox on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sqlx::types::Json;

use super::{SqliteStore, appender, ts};
use crate::ids::{CustomerId, MessageId, RoomId, WorkspaceId};
use crate::rooms::{Message, NewMessage, Room};
use crate::sms::outbox::{Consent, QueuedSms, SmsOutcome};
use crate::store::rows::{ConsentRow, FINAL_DELIVERY, QueuedSmsRow};
use crate::store::{NewConversation, SmsStore, StoreError, StoreResult};

#[async_trait]
impl SmsStore for SqliteStore {
    async fn sms_room(&self, ws: WorkspaceId, phone: &str, new: &NewConversation) -> StoreResult<Room> {
        // One writer transaction: two first texts from a number cannot both open a room.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let latest: Option<(RoomId, CustomerId, String)> = sqlx::query_as(
            "SELECT r.id, r.customer_id, r.status FROM rooms r JOIN customers c ON c.id = r.customer_id \
             WHERE r.workspace_id = ? AND r.channel = 'sms' AND c.phone = ? ORDER BY r.created_at DESC LIMIT 1",
        )
        .bind(ws)
        .bind(phone)
        .fetch_optional(&mut *tx)
        .await?;
        let customer = match latest {
            Some((room, _, status)) if status != "closed" => {
                let room = Self::room_in(&mut *tx, ws, room).await?;
                tx.commit().await?;
                return Ok(room);
            }
            Some((_, customer, _)) => customer,
            None => {
                sqlx::query("INSERT INTO customers (id, workspace_id, phone, tags, created_at) VALUES (?, ?, ?, ?, ?)")
                    .bind(new.customer_id)
                    .bind(ws)
                    .bind(phone)
                    .bind(Json(Vec::<String>::new()))
                    .bind(ts(new.at))
                    .execute(&mut *tx)
                    .await?;
                new.customer_id
            }
        };
        sqlx::query(
            "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, created_at) VALUES (?, ?, 'sms', ?, ?, ?)",
        )
        .bind(new.room_id)
        .bind(ws)
        .bind(customer)
        .bind(new.status.as_str())
        .bind(ts(new.at))
        .execute(&mut *tx)
        .await?;
        let room = Self::room_in(&mut *tx, ws, new.room_id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn consent(&self, ws: WorkspaceId, phone: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query_as::<_, ConsentRow>(
            "SELECT opted_out, source, changed_at FROM sms_consent WHERE workspace_id = ? AND phone = ?",
        )
        .bind(ws)
        .bind(phone)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Consent::from))
    }

    async fn set_consent(
        &self,
        ws: WorkspaceId,
        phone: &str,
        opted_out: bool,
        source: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sms_consent (workspace_id, phone, opted_out, source, changed_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (workspace_id, phone) DO UPDATE SET opted_out = excluded.opted_out, \
             source = excluded.source, changed_at = excluded.changed_at",
        )
        .bind(ws)
        .bind(phone)
        .bind(opted_out)
        .bind(source)
        .bind(ts(at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn enqueue_sms(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage, to: &str) -> StoreResult<Message> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let message = queue(&mut tx, ws, room, m, to).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn claim_sms(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<QueuedSms>> {
        let rows = sqlx::query_as::<_, QueuedSmsRow>(
            "UPDATE sms_outbox SET lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id IN ( \
               SELECT id FROM sms_outbox WHERE status = 'queued' AND next_attempt_at <= ? \
               AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at LIMIT ?) \
             RETURNING id, workspace_id, room_id, to_number, body, attempts",
        )
        .bind(ts(lease_until))
        .bind(ts(now))
        .bind(ts(now))
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        Ok(rows.into_iter().map(QueuedSms::from).collect())
    }

    async fn finish_sms(&self, id: MessageId, outcome: &SmsOutcome, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (status, next, sid, error, delivery) = match outcome {
            SmsOutcome::Sent { twilio_sid, status } => ("sent", None, Some(twilio_sid), None, Some(status.as_str())),
            SmsOutcome::Retry { at, error } => ("queued", Some(*at), None, Some(error), None),
            SmsOutcome::Failed { status, error } => (*status, None, None, Some(error), Some(*status)),
        };
        sqlx::query(
            "UPDATE sms_outbox SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), \
             twilio_sid = COALESCE(?, twilio_sid), error_message = ?, lease_until = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(status)
        .bind(next.map(ts))
        .bind(sid)
        .bind(error)
        .bind(ts(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET delivery_status = COALESCE(?, delivery_status), delivery_error = ? WHERE id = ?",
        )
        .bind(delivery)
        .bind(error)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sms_delivery(
        &self,
        ws: WorkspaceId,
        twilio_sid: &str,
        status: &str,
        error: Option<&str>,
    ) -> StoreResult<Option<MessageId>> {
        let final_status = FINAL_DELIVERY.contains(&status);
        let id: Option<MessageId> = sqlx::query_scalar(
            "UPDATE messages SET delivery_status = ?, delivery_error = COALESCE(?, delivery_error) \
             WHERE id = (SELECT message_id FROM sms_outbox WHERE twilio_sid = ? AND workspace_id = ?) \
             AND (? OR delivery_status IS NULL OR delivery_status NOT IN \
                  ('delivered', 'undelivered', 'failed', 'read', 'canceled')) \
             RETURNING id",
        )
        .bind(status)
        .bind(error)
        .bind(twilio_sid)
        .bind(ws)
        .bind(final_status)
        .fetch_optional(&self.writer)
        .await?;
        Ok(id)
    }
}

/// Appends an outgoing message and queues it for `to`, inside the caller's write transaction.
pub(super) async fn queue(
    tx: &mut SqliteConnection,
    ws: WorkspaceId,
    room: RoomId,
    m: &NewMessage,
    to: &str,
) -> StoreResult<Message> {
    let seq = appender::insert(tx, ws, room, m).await?.ok_or(StoreError::NotFound)?;
    sqlx::query("UPDATE messages SET delivery_status = 'pending' WHERE id = ?").bind(m.id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO sms_outbox (id, workspace_id, room_id, message_id, to_number, body, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
    )
    .bind(m.id)
    .bind(ws)
    .bind(room)
    .bind(m.id)
    .bind(to)
    .bind(&m.text)
    .bind(ts(m.created_at))
    .bind(ts(m.created_at))
    .bind(ts(m.created_at))
    .execute(&mut *tx)
    .await?;
    Ok(Message { delivery_status: Some("pending".into()), ..m.stored(room, seq) })
}
