//! The counselor queue on SQLite: settings, counselors' days and room changes here; status moves
//! and distribution in [`assign`], the room list in [`list`], auto-close and alarms in [`sweep`].

mod assign;
mod list;
mod sweep;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

pub(super) use assign::{after_message, distribute_in, event, status};

use super::{SqliteStore, appender, sms, ts};
use crate::ids::{AccountId, CustomerId, RoomId, WorkspaceId};
use crate::rooms::autoclose::AutoCloseSettings;
use crate::rooms::distribution::{CounselorDay, DistributionSettings, Method, Span};
use crate::rooms::queue::{
    DueRoom, FiredAlarm, ListedRoom, QueueSettings, RoomCounts, RoomEventRecord, RoomQuery, RoomUpdate, Scope,
};
use crate::rooms::{Message, Room, RoomStatus};
use crate::store::rows::RoomEventRow;
use crate::store::{QueueStore, StoreError, StoreResult};

#[async_trait]
impl QueueStore for SqliteStore {
    async fn queue_settings(&self, ws: WorkspaceId) -> StoreResult<QueueSettings> {
        let row: Option<(Json<DistributionSettings>, Json<AutoCloseSettings>)> =
            sqlx::query_as("SELECT distribution, auto_close FROM queue_settings WHERE workspace_id = ?")
                .bind(ws)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(d, a)| QueueSettings { distribution: d.0, auto_close: a.0 }).unwrap_or_default())
    }

    async fn save_queue_settings(
        &self,
        ws: WorkspaceId,
        settings: &QueueSettings,
        time_zone: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let found = sqlx::query("UPDATE workspaces SET time_zone = COALESCE(?, time_zone) WHERE id = ?")
            .bind(time_zone)
            .bind(ws)
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO queue_settings (workspace_id, distribution, auto_close, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (workspace_id) DO UPDATE SET distribution = excluded.distribution, \
             auto_close = excluded.auto_close, updated_at = excluded.updated_at",
        )
        .bind(ws)
        .bind(Json(&settings.distribution))
        .bind(Json(&settings.auto_close))
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn counselor_days(
        &self,
        ws: WorkspaceId,
        account: Option<AccountId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<CounselorDay>> {
        let rows: Vec<(AccountId, NaiveDate, bool, Json<Vec<Span>>)> = sqlx::query_as(
            "SELECT account_id, day, available, breaks FROM counselor_days \
             WHERE workspace_id = ? AND (? IS NULL OR account_id = ?) AND day >= ? AND day <= ? \
             ORDER BY day, account_id",
        )
        .bind(ws)
        .bind(account)
        .bind(account)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(account_id, date, available, breaks)| CounselorDay { account_id, date, available, breaks: breaks.0 })
            .collect())
    }

    async fn save_counselor_day(&self, ws: WorkspaceId, day: &CounselorDay) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO counselor_days (workspace_id, account_id, day, available, breaks) \
             SELECT ?, id, ?, ?, ? FROM accounts WHERE workspace_id = ? AND id = ? \
             ON CONFLICT (account_id, day) DO UPDATE SET available = excluded.available, breaks = excluded.breaks",
        )
        .bind(ws)
        .bind(day.date)
        .bind(day.available)
        .bind(Json(&day.breaks))
        .bind(ws)
        .bind(day.account_id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn delete_counselor_day(&self, ws: WorkspaceId, account: AccountId, date: NaiveDate) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM counselor_days WHERE workspace_id = ? AND account_id = ? AND day = ?")
            .bind(ws)
            .bind(account)
            .bind(date)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn update_room(&self, u: &RoomUpdate) -> StoreResult<(Room, Option<Message>)> {
        let (ws, room, s) = (u.workspace_id, u.room_id, &u.state);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let customer: Option<CustomerId> = sqlx::query_scalar(
            "UPDATE rooms SET status = ?, assignee_id = ?, close_type = ?, closed_at = ?, processed = ?, wrap_up = ?, \
             hold = ?, alarm_at = ?, flagged = ?, queued = ?, tags = COALESCE(?, tags), version = version + 1 \
             WHERE workspace_id = ? AND id = ? AND version = ? RETURNING customer_id",
        )
        .bind(u.status.as_str())
        .bind(u.assignee_id)
        .bind(s.close_type.map(|t| t.as_str()))
        .bind(s.closed_at.map(ts))
        .bind(s.processed)
        .bind(s.wrap_up.as_ref().map(Json))
        .bind(s.hold)
        .bind(s.alarm_at.map(ts))
        .bind(s.flagged)
        .bind(s.queued)
        .bind(u.tags.as_ref().map(Json))
        .bind(ws)
        .bind(room)
        .bind(u.expected_version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(customer) = customer else {
            return Err(match Self::room_in(&mut *tx, ws, room).await {
                Ok(_) => StoreError::Conflict,
                Err(e) => e,
            });
        };
        if u.customer_grade.is_some() || u.customer_tags.is_some() {
            sqlx::query(
                "UPDATE customers SET grade = CASE WHEN ? THEN ? ELSE grade END, tags = COALESCE(?, tags) WHERE id = ?",
            )
            .bind(u.customer_grade.is_some())
            .bind(u.customer_grade.clone().flatten())
            .bind(u.customer_tags.as_ref().map(Json))
            .bind(customer)
            .execute(&mut *tx)
            .await?;
        }
        let message = match &u.message {
            Some(notice) => Some(match &notice.sms_to {
                Some(to) => sms::queue(&mut tx, ws, room, &notice.message, to).await?,
                None => {
                    let seq =
                        appender::insert(&mut tx, ws, room, &notice.message).await?.ok_or(StoreError::NotFound)?;
                    notice.message.stored(room, seq)
                }
            }),
            None => None,
        };
        if let Some(e) = &u.event {
            event(&mut tx, ws, room, e.kind, e.actor_id, e.target_id, e.detail.clone(), e.at).await?;
        }
        let written = Self::room_in(&mut *tx, ws, room).await?;
        tx.commit().await?;
        Ok((written, message))
    }

    async fn distribute(&self, ws: WorkspaceId, room: RoomId, now: DateTime<Utc>) -> StoreResult<Option<AccountId>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current: Option<String> = sqlx::query_scalar("SELECT status FROM rooms WHERE workspace_id = ? AND id = ?")
            .bind(ws)
            .bind(room)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(current) = current else { return Err(StoreError::NotFound) };
        if status(current)? != RoomStatus::Waiting {
            return Ok(None);
        }
        let assigned = distribute_in(&mut tx, ws, room, now).await?;
        tx.commit().await?;
        Ok(assigned)
    }

    async fn room_events(&self, ws: WorkspaceId, room: RoomId) -> StoreResult<Vec<RoomEventRecord>> {
        let rows: Vec<RoomEventRow> = sqlx::query_as(
            "SELECT kind, actor_id, target_id, detail, at FROM room_events \
             WHERE workspace_id = ? AND room_id = ? ORDER BY id",
        )
        .bind(ws)
        .bind(room)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(RoomEventRecord::try_from).collect::<Result<_, _>>()?)
    }

    async fn list_rooms(&self, q: &RoomQuery) -> StoreResult<Vec<ListedRoom>> {
        list::list_rooms(&self.reader, q).await
    }

    async fn room_counts(&self, ws: WorkspaceId, scope: &Scope, closed_from: DateTime<Utc>) -> StoreResult<RoomCounts> {
        list::room_counts(&self.reader, ws, scope, closed_from).await
    }

    async fn loads(&self, ws: WorkspaceId) -> StoreResult<Vec<(AccountId, i64)>> {
        Ok(sqlx::query_as(
            "SELECT assignee_id, COUNT(*) FROM rooms WHERE workspace_id = ? AND assignee_id IS NOT NULL \
             AND status IN ('received', 'inquiry', 'answered') GROUP BY assignee_id ORDER BY assignee_id",
        )
        .bind(ws)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn auto_close_workspaces(&self) -> StoreResult<Vec<(WorkspaceId, AutoCloseSettings)>> {
        let rows: Vec<(WorkspaceId, Json<AutoCloseSettings>)> =
            sqlx::query_as("SELECT workspace_id, auto_close FROM queue_settings ORDER BY workspace_id")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(ws, s)| (ws, s.0))
            .filter(|(_, s)| s.enabled || s.counselor_delay_days.is_some())
            .collect())
    }

    async fn auto_distribution_workspaces(&self) -> StoreResult<Vec<WorkspaceId>> {
        let rows: Vec<(WorkspaceId, Json<DistributionSettings>)> =
            sqlx::query_as("SELECT workspace_id, distribution FROM queue_settings ORDER BY workspace_id")
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().filter(|(_, s)| s.0.method == Method::Auto).map(|(ws, _)| ws).collect())
    }

    async fn due_rooms(
        &self,
        ws: WorkspaceId,
        settings: &AutoCloseSettings,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DueRoom>> {
        sweep::due_rooms(&self.reader, ws, settings, now, limit).await
    }

    async fn auto_close(
        &self,
        rooms: &[DueRoom],
        message: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
        sweep::auto_close(&self.writer, rooms, message, at).await
    }

    async fn fire_alarms(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<FiredAlarm>> {
        sweep::fire_alarms(&self.writer, now, limit).await
    }
}
