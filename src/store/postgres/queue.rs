//! The counselor queue on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::PgStore;
use crate::ids::{AccountId, RoomId, WorkspaceId};
use crate::rooms::autoclose::AutoCloseSettings;
use crate::rooms::distribution::CounselorDay;
use crate::rooms::queue::{
    DueRoom, FiredAlarm, ListedRoom, QueueSettings, RoomCounts, RoomEventRecord, RoomQuery, RoomUpdate, Scope,
};
use crate::rooms::{Message, Room};
use crate::store::{QueueStore, StoreResult};

#[async_trait]
impl QueueStore for PgStore {
    async fn queue_settings(&self, _ws: WorkspaceId) -> StoreResult<QueueSettings> {
        todo!()
    }
    async fn save_queue_settings(
        &self,
        _ws: WorkspaceId,
        _settings: &QueueSettings,
        _time_zone: Option<&str>,
        _at: DateTime<Utc>,
    ) -> StoreResult<()> {
        todo!()
    }
    async fn counselor_days(
        &self,
        _ws: WorkspaceId,
        _account: Option<AccountId>,
        _from: NaiveDate,
        _to: NaiveDate,
    ) -> StoreResult<Vec<CounselorDay>> {
        todo!()
    }
    async fn save_counselor_day(&self, _ws: WorkspaceId, _day: &CounselorDay) -> StoreResult<()> {
        todo!()
    }
    async fn delete_counselor_day(&self, _ws: WorkspaceId, _account: AccountId, _date: NaiveDate) -> StoreResult<()> {
        todo!()
    }
    async fn update_room(&self, _u: &RoomUpdate) -> StoreResult<(Room, Option<Message>)> {
        todo!()
    }
    async fn distribute(&self, _ws: WorkspaceId, _room: RoomId, _now: DateTime<Utc>) -> StoreResult<Option<AccountId>> {
        todo!()
    }
    async fn room_events(&self, _ws: WorkspaceId, _room: RoomId) -> StoreResult<Vec<RoomEventRecord>> {
        todo!()
    }
    async fn list_rooms(&self, _q: &RoomQuery) -> StoreResult<Vec<ListedRoom>> {
        todo!()
    }
    async fn room_counts(
        &self,
        _ws: WorkspaceId,
        _scope: &Scope,
        _closed_from: DateTime<Utc>,
    ) -> StoreResult<RoomCounts> {
        todo!()
    }
    async fn loads(&self, _ws: WorkspaceId) -> StoreResult<Vec<(AccountId, i64)>> {
        todo!()
    }
    async fn auto_close_workspaces(&self) -> StoreResult<Vec<(WorkspaceId, AutoCloseSettings)>> {
        todo!()
    }
    async fn due_rooms(
        &self,
        _ws: WorkspaceId,
        _settings: &AutoCloseSettings,
        _now: DateTime<Utc>,
        _limit: i64,
    ) -> StoreResult<Vec<DueRoom>> {
        todo!()
    }
    async fn auto_close(
        &self,
        _rooms: &[DueRoom],
        _message: Option<&str>,
        _at: DateTime<Utc>,
    ) -> StoreResult<Vec<(RoomId, Option<Message>)>> {
        todo!()
    }
    async fn fire_alarms(&self, _now: DateTime<Utc>, _limit: i64) -> StoreResult<Vec<FiredAlarm>> {
        todo!()
    }
}
