//! Handoffs, the ticket outbox and helpdesk integrations on sqlite. (Being written.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SqliteStore;
use crate::handoff::{Handoff, HandoffJob, HandoffState, HelpdeskIntegration, JobOutcome, NewHandoff};
use crate::ids::{HandoffId, RoomId, WorkspaceId};
use crate::rooms::Message;
use crate::store::{HandoffStore, Notice, StoreResult};

#[async_trait]
impl HandoffStore for SqliteStore {
    async fn record_handoff(&self, _h: &NewHandoff, _notices: &[Notice]) -> StoreResult<Vec<Message>> {
        todo!()
    }
    async fn handoff_of(&self, _ws: WorkspaceId, _room: RoomId) -> StoreResult<Option<Handoff>> {
        todo!()
    }
    async fn handoff(&self, _ws: WorkspaceId, _id: HandoffId) -> StoreResult<Handoff> {
        todo!()
    }
    async fn handoffs(
        &self,
        _ws: WorkspaceId,
        _state: Option<HandoffState>,
        _before: Option<HandoffId>,
        _limit: i64,
    ) -> StoreResult<Vec<Handoff>> {
        todo!()
    }
    async fn claim_handoffs(
        &self,
        _now: DateTime<Utc>,
        _lease_until: DateTime<Utc>,
        _limit: i64,
    ) -> StoreResult<Vec<HandoffJob>> {
        todo!()
    }
    async fn finish_handoff(
        &self,
        _id: HandoffId,
        _outcome: &JobOutcome,
        _at: DateTime<Utc>,
        _notices: &[Notice],
    ) -> StoreResult<Vec<Message>> {
        todo!()
    }
    async fn retry_handoff(&self, _ws: WorkspaceId, _id: HandoffId, _at: DateTime<Utc>) -> StoreResult<Handoff> {
        todo!()
    }
    async fn pending_handoffs(&self) -> StoreResult<i64> {
        todo!()
    }
    async fn helpdesks(&self, _ws: WorkspaceId) -> StoreResult<Vec<HelpdeskIntegration>> {
        todo!()
    }
    async fn helpdesk(&self, _ws: WorkspaceId, _name: &str) -> StoreResult<HelpdeskIntegration> {
        todo!()
    }
    async fn save_helpdesk(&self, _h: &HelpdeskIntegration) -> StoreResult<()> {
        todo!()
    }
    async fn delete_helpdesk(&self, _ws: WorkspaceId, _name: &str) -> StoreResult<()> {
        todo!()
    }
}
