//! The SMS channel's rooms, consent and outbox on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;

use super::PgStore;
use super::rooms::{bump, insert, notify};
use crate::ids::{CustomerId, MessageId, RoomId, WorkspaceId};
use crate::rooms::{Message, NewMessage, Room};
use crate::sms::outbox::{Consent, QueuedSms, SmsOutcome};
use crate::store::rows::{ConsentRow, FINAL_DELIVERY, QueuedSmsRow};
use crate::store::{NewConversation, SmsStore, StoreError, StoreResult};

#[async_trait]
impl SmsStore for PgStore {
    async fn sms_room(&self, ws: WorkspaceId, phone: &str, new: &NewConversation) -> StoreResult<Room> {
        let mut tx = self.pool.begin().await?;
        // Serialises first texts from one number across engine processes until commit.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("sms-room:{ws}:{phone}"))
            .execute(&mut *tx)
            .await?;
        let latest: Option<(RoomId, CustomerId, String)> = sqlx::query_as(
            "SELECT r.id, r.customer_id, r.status FROM rooms r JOIN customers c ON c.id = r.customer_id \
             WHERE r.workspace_id = $1 AND r.channel = 'sms' AND c.phone = $2 ORDER BY r.created_at DESC LIMIT 1",
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
                sqlx::query(
                    "INSERT INTO customers (id, workspace_id, phone, tags, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(new.customer_id)
                .bind(ws)
                .bind(phone)
                .bind(Json(Vec::<String>::new()))
                .bind(new.at)
                .execute(&mut *tx)
                .await?;
                new.customer_id
            }
        };
        sqlx::query(
            "INSERT INTO rooms (id, workspace_id, channel, customer_id, status, created_at) \
             VALUES ($1, $2, 'sms', $3, $4, $5)",
        )
        .bind(new.room_id)
        .bind(ws)
        .bind(customer)
        .bind(new.status.as_str())
        .bind(new.at)
        .execute(&mut *tx)
        .await?;
        let room = Self::room_in(&mut *tx, ws, new.room_id).await?;
        tx.commit().await?;
        Ok(room)
    }

    async fn consent(&self, ws: WorkspaceId, phone: &str) -> StoreResult<Option<Consent>> {
        let row = sqlx::query_as::<_, ConsentRow>(
            "SELECT opted_out, source, changed_at FROM sms_consent WHERE workspace_id = $1 AND phone = $2",
        )
        .bind(ws)
        .bind(phone)
        .fetch_optional(&self.pool)
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
            "INSERT INTO sms_consent (workspace_id, phone, opted_out, source, changed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace_id, phone) DO UPDATE SET opted_out = EXCLUDED.opted_out, \
             source = EXCLUDED.source, changed_at = EXCLUDED.changed_at",
        )
        .bind(ws)
        .bind(phone)
        .bind(opted_out)
        .bind(source)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enqueue_sms(&self, ws: WorkspaceId, room: RoomId, m: &NewMessage, to: &str) -> StoreResult<Message> {
        let mut tx = self.pool.begin().await?;
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
        // SKIP LOCKED: workers in several processes take disjoint rows.
        let rows = sqlx::query_as::<_, QueuedSmsRow>(
            "UPDATE sms_outbox SET lease_until = $1, attempts = attempts + 1, updated_at = $2 WHERE id IN ( \
               SELECT id FROM sms_outbox WHERE status = 'queued' AND next_attempt_at <= $2 \
               AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at LIMIT $3 \
               FOR UPDATE SKIP LOCKED) \
             RETURNING id, workspace_id, room_id, to_number, body, attempts",
        )
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(QueuedSms::from).collect())
    }

    async fn finish_sms(&self, id: MessageId, outcome: &SmsOutcome, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let (status, next, sid, error, delivery) = match outcome {
            SmsOutcome::Sent { twilio_sid, status } => ("sent", None, Some(twilio_sid), None, Some(status.as_str())),
            SmsOutcome::Retry { at, error } => ("queued", Some(*at), None, Some(error), None),
            SmsOutcome::Failed { status, error } => (*status, None, None, Some(error), Some(*status)),
        };
        sqlx::query(
            "UPDATE sms_outbox SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
             twilio_sid = COALESCE($3, twilio_sid), error_message = $4, lease_until = NULL, updated_at = $5 \
             WHERE id = $6",
        )
        .bind(status)
        .bind(next)
        .bind(sid)
        .bind(error)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE messages SET delivery_status = COALESCE($1, delivery_status), delivery_error = $2 WHERE id = $3",
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
        let id: Option<MessageId> = sqlx::query_scalar(
            "UPDATE messages SET delivery_status = $1, delivery_error = COALESCE($2, delivery_error) \
             WHERE id = (SELECT message_id FROM sms_outbox WHERE twilio_sid = $3 AND workspace_id = $4) \
             AND ($5 OR delivery_status IS NULL OR delivery_status <> ALL($6)) \
             RETURNING id",
        )
        .bind(status)
        .bind(error)
        .bind(twilio_sid)
        .bind(ws)
        .bind(FINAL_DELIVERY.contains(&status))
        .bind(&FINAL_DELIVERY[..])
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }
}

/// Appends an outgoing message and queues it for `to`, inside the caller's transaction; the room
/// is announced on commit.
pub(super) async fn queue(
    tx: &mut PgConnection,
    ws: WorkspaceId,
    room: RoomId,
    m: &NewMessage,
    to: &str,
) -> StoreResult<Message> {
    let seq = bump(tx, ws, room, m).await?.ok_or(StoreError::NotFound)?;
    insert(tx, ws, room, seq, m).await?;
    sqlx::query("UPDATE messages SET delivery_status = 'pending' WHERE id = $1").bind(m.id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO sms_outbox (id, workspace_id, room_id, message_id, to_number, body, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $1, $4, $5, 'queued', 0, $6, $6, $6)",
    )
    .bind(m.id)
    .bind(ws)
    .bind(room)
    .bind(to)
    .bind(&m.text)
    .bind(m.created_at)
    .execute(&mut *tx)
    .await?;
    notify(tx, ws, room, seq).await?;
    Ok(Message { delivery_status: Some("pending".into()), ..m.stored(room, seq) })
}
