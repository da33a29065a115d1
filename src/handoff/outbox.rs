//! The ticket outbox: workers that turn pending handoffs into helpdesk tickets.
//!
//! Jobs are claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
//! SQLite), so any number of engine processes can drain one outbox and a crashed worker's job is
//! taken up again when its lease ends. Every attempt of a handoff carries the same idempotency key;
//! for helpdesks without one, an attempt after an uncertain outcome first looks for the ticket.
//! Retryable failures wait for `Retry-After` or exponential backoff; a refusal, or running out of
//! attempts, makes a dead letter an operator can retry. When the handoff message names the ticket,
//! it is written to the customer in the same transaction that records the outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::adapter::Adapters;
use super::client::{Attempt, HelpdeskClient};
use super::message::{self, MessageVars};
use super::{HandoffJob, JobOutcome};
use crate::channels::ChannelKind;
use crate::clock::Clock;
use crate::events::Hub;
use crate::ids::MessageId;
use crate::locale::Locale;
use crate::retry_after::backoff;
use crate::rooms::{Author, NewMessage};
use crate::sms::outbox::Outbox as SmsOutbox;
use crate::store::{Notice, Store, StoreError};

/// Jobs claimed per round.
const BATCH: i64 = 16;
/// How often an idle worker looks for due jobs (retries come due without a wake-up).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// The longest wait a helpdesk's `Retry-After` may impose before the next attempt.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3_600);
/// How often the outbox depth gauge is refreshed.
const DEPTH_EVERY: Duration = Duration::from_secs(5);

/// Delivers what the ticket outbox holds.
#[derive(Clone)]
pub struct HandoffOutbox {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    adapters: Arc<Adapters>,
    client: HelpdeskClient,
    hub: Arc<Hub>,
    sms: SmsOutbox,
    lease: Duration,
    wake: Arc<Notify>,
}

impl HandoffOutbox {
    /// An outbox whose helpdesk calls give up after `timeout`; a claimed job is reserved long
    /// enough for two such calls (the de-duplication lookup and the creation).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        adapters: Arc<Adapters>,
        timeout: Duration,
        hub: Arc<Hub>,
        sms: SmsOutbox,
        outbound: &crate::outbound::Outbound,
    ) -> Self {
        let client = HelpdeskClient::new(timeout, outbound);
        let lease = timeout * 2 + Duration::from_secs(5);
        Self { store, clock, adapters, client, hub, sms, lease, wake: Arc::new(Notify::new()) }
    }

    /// The adapters tickets are created with.
    pub fn adapters(&self) -> &Adapters {
        &self.adapters
    }

    /// The HTTP client the outbox calls helpdesks with.
    pub fn client(&self) -> &HelpdeskClient {
        &self.client
    }

    /// Tells the worker a job was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs the worker until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut depth_at: Option<Instant> = None;
        loop {
            if depth_at.is_none_or(|at| at.elapsed() >= DEPTH_EVERY) {
                if let Ok(depth) = self.store.pending_handoffs().await {
                    metrics::gauge!("sangdam_handoff_outbox_depth").set(depth as f64);
                }
                depth_at = Some(Instant::now());
            }
            let worked = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "the ticket outbox could not read the store");
                    0
                }
            };
            if worked > 0 {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }

    /// Claims the jobs that are due and attempts each; returns how many were handled.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let lease = TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::seconds(60));
        let jobs = self.store.claim_handoffs(now, now + lease, BATCH).await?;
        for job in &jobs {
            let outcome = self.attempt(job).await;
            let label = match &outcome {
                JobOutcome::Delivered { .. } => "delivered",
                JobOutcome::Retry { .. } => "retry",
                JobOutcome::Dead { .. } => "dead",
            };
            metrics::counter!("sangdam_handoff_deliveries_total", "helpdesk" => job.helpdesk.clone(), "outcome" => label)
                .increment(1);
            match &outcome {
                JobOutcome::Delivered { ticket_id, .. } => {
                    let latency = (self.clock.now() - job.created_at).to_std().unwrap_or_default();
                    metrics::histogram!("sangdam_handoff_delivery_seconds", "helpdesk" => job.helpdesk.clone())
                        .record(latency.as_secs_f64());
                    tracing::info!(handoff = %job.id, helpdesk = %job.helpdesk, ticket = %ticket_id, "ticket created");
                }
                other => {
                    tracing::warn!(handoff = %job.id, attempt = job.attempts, outcome = ?other, "ticket not created")
                }
            }
            let notices = self.notices(job, &outcome).await;
            match self.store.finish_handoff(job.id, &outcome, self.clock.now(), &notices).await {
                Ok(sent) => self.announce(job.room_id, &sent),
                // The lease runs out and the job is attempted again, with the same key.
                Err(e) => tracing::error!(error = %e, handoff = %job.id, "could not record a ticket attempt"),
            }
        }
        Ok(jobs.len())
    }

    async fn attempt(&self, job: &HandoffJob) -> JobOutcome {
        let integration = match self.store.helpdesk(job.workspace_id, &job.helpdesk).await {
            Ok(integration) => integration,
            Err(StoreError::NotFound) => {
                return JobOutcome::Dead {
                    error: format!("the {} integration was removed; set it up again and retry", job.helpdesk),
                };
            }
            Err(e) => return self.retry(job, format!("store: {e}"), None, job.uncertain, 5),
        };
        let Some(adapter) = self.adapters.get(&job.helpdesk) else {
            return JobOutcome::Dead { error: format!("no helpdesk adapter is named {:?}", job.helpdesk) };
        };
        match self.client.create_ticket(adapter, &integration, &job.draft, job.uncertain).await {
            Attempt::Created { ticket_id, ticket_url } => JobOutcome::Delivered { ticket_id, ticket_url },
            Attempt::Refused { error, .. } => JobOutcome::Dead { error },
            Attempt::Retryable { error, retry_after, uncertain } => {
                self.retry(job, error, retry_after, uncertain || job.uncertain, integration.max_attempts)
            }
        }
    }

    fn retry(
        &self,
        job: &HandoffJob,
        error: String,
        after: Option<Duration>,
        uncertain: bool,
        max_attempts: i64,
    ) -> JobOutcome {
        if job.attempts >= max_attempts {
            return JobOutcome::Dead { error: format!("gave up after {} attempts; the last: {error}", job.attempts) };
        }
        let wait = after.map_or_else(|| backoff(job.attempts), |d| d.min(MAX_RETRY_AFTER));
        let at = self.clock.now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::seconds(600));
        JobOutcome::Retry { at, error, uncertain }
    }

    /// The handoff message that waited for the ticket: with its number once it exists, without
    /// it when the ticket is dead-lettered (the customer is told either way). Nothing while the
    /// job is retried.
    async fn notices(&self, job: &HandoffJob, outcome: &JobOutcome) -> Vec<Notice> {
        if !job.notify || matches!(outcome, JobOutcome::Retry { .. }) {
            return Vec::new();
        }
        let kind = if job.draft.channel == ChannelKind::Sms.as_str() { ChannelKind::Sms } else { ChannelKind::Webchat };
        let template = match self.store.channel(job.workspace_id, kind).await {
            Ok(channel) => channel.settings.handoff.and_then(|h| h.message),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the handoff message; sending the default");
                None
            }
        };
        let (ticket_id, ticket_url) = match outcome {
            JobOutcome::Delivered { ticket_id, ticket_url } => (Some(ticket_id.as_str()), ticket_url.as_deref()),
            _ => (None, None),
        };
        // The customer's language, as the agent saw it when it handed off.
        let locale = Locale::parse(&job.draft.locale).unwrap_or(Locale::Ko);
        let text = match template {
            Some(template) => {
                let customer_name = Some(job.draft.customer.name.as_str());
                message::render(template.get(locale), &MessageVars { customer_name, ticket_id, ticket_url })
            }
            None => message::default_message(locale).to_owned(),
        };
        vec![notice(kind, &text, job.draft.customer.phone.as_deref(), self.clock.now())]
    }

    /// Wakes live streams and the SMS outbox for messages just written.
    fn announce(&self, room: crate::ids::RoomId, sent: &[crate::rooms::Message]) {
        for message in sent {
            self.hub.publish(room, message.seq);
        }
        if !sent.is_empty() {
            self.sms.wake();
        }
    }
}

/// A bot message to the customer, queued for SMS when the channel is SMS.
pub fn notice(kind: ChannelKind, text: &str, phone: Option<&str>, at: chrono::DateTime<chrono::Utc>) -> Notice {
    Notice {
        message: NewMessage {
            id: MessageId::new(),
            author: Author::Bot,
            author_account_id: None,
            text: text.to_owned(),
            client_message_id: None,
            created_at: at,
        },
        sms_to: if kind == ChannelKind::Sms { phone.map(str::to_owned) } else { None },
    }
}
