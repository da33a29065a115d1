//! The durable SMS outbox: every text the engine sends is a row written with its message, and a
//! worker hands due rows to Twilio.
//!
//! A row is claimed with a lease, so a crashed worker's rows are picked up again when the lease
//! ends. Twilio's Messages API has no idempotency key, so a send whose answer was lost (a timeout
//! after Twilio accepted it) can be sent twice: delivery is at least once, never lost. Rate limits
//! (429, Twilio 20429) and server errors are retried with backoff, honouring `Retry-After`; an
//! opted-out customer is never texted, and Twilio's 21610 ("the recipient replied STOP") records
//! the opt-out.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::twilio::{OutboundSms, TwilioAccount, TwilioClient};
use crate::channels::ChannelKind;
use crate::clock::Clock;
use crate::ids::{MessageId, RoomId, WorkspaceId};
use crate::secret::Secret;
use crate::store::Store;

/// Attempts before a text is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed row is reserved for the worker that claimed it.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// Rows claimed at once.
const BATCH: i64 = 16;
/// How often the worker looks for due rows when nothing woke it.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// A text waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedSms {
    /// The message it carries; also the outbox row's id.
    pub message_id: MessageId,
    /// Owning workspace.
    pub workspace_id: WorkspaceId,
    /// The conversation.
    pub room_id: RoomId,
    /// The customer's number.
    pub to: String,
    /// The text.
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsOutcome {
    /// Twilio accepted the text; `status` is Twilio's (`queued`, `accepted`, `sent`).
    Sent {
        /// Twilio's message SID, `SM…`; status callbacks name it.
        twilio_sid: String,
        /// Twilio's status.
        status: String,
    },
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What went wrong this time.
        error: String,
    },
    /// Never sent: `blocked` (the customer opted out) or `failed` (Twilio refused, or retries ran out).
    Failed {
        /// `blocked` or `failed`.
        status: &'static str,
        /// Why, with Twilio's code when there is one.
        error: String,
    },
}

/// Whether a customer may be texted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// True after STOP (or Twilio's 21610), false after START.
    pub opted_out: bool,
    /// What changed it: `keyword:STOP`, `twilio:21610`, …
    pub source: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// Sends what the outbox holds.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    twilio: TwilioClient,
    status_callback: String,
    wake: Arc<Notify>,
}

impl Outbox {
    /// An outbox over `store`; Twilio reports delivery to `{public_url}/v1/sms/twilio/status`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, twilio: TwilioClient, public_url: &str) -> Self {
        let status_callback = format!("{public_url}/v1/sms/twilio/status");
        Self { store, clock, twilio, status_callback, wake: Arc::new(Notify::new()) }
    }

    /// Tells the worker something was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs the worker until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let worked = match self.send_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "the SMS outbox could not read the store");
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

    /// Claims the rows that are due and sends each; returns how many were handled.
    pub async fn send_due(&self) -> Result<usize, crate::store::StoreError> {
        let now = self.clock.now();
        let due = self.store.claim_sms(now, now + LEASE, BATCH).await?;
        for sms in &due {
            let outcome = self.attempt(sms).await;
            let sent = matches!(outcome, SmsOutcome::Sent { .. });
            if !sent {
                tracing::warn!(message = %sms.message_id, attempt = sms.attempts, ?outcome, "SMS not sent");
            }
            metrics::counter!("sangdam_sms_outbound_total", "outcome" => outcome_label(&outcome)).increment(1);
            if let Err(e) = self.store.finish_sms(sms.message_id, &outcome, self.clock.now()).await {
                // The lease runs out and the row is tried again: at least once, never lost.
                tracing::error!(error = %e, message = %sms.message_id, "could not record an SMS attempt");
            }
        }
        Ok(due.len())
    }

    async fn attempt(&self, sms: &QueuedSms) -> SmsOutcome {
        let failed = |error: String| SmsOutcome::Failed { status: "failed", error };
        let ws = sms.workspace_id;
        match self.store.consent(ws, &sms.to).await {
            Ok(Some(c)) if c.opted_out => {
                return SmsOutcome::Failed {
                    status: "blocked",
                    error: format!("the customer opted out ({})", c.source),
                };
            }
            Ok(_) => {}
            Err(e) => return self.retry(sms, format!("store: {e}"), None),
        }
        let channel = match self.store.channel(ws, ChannelKind::Sms).await {
            Ok(channel) => channel,
            Err(e) => return self.retry(sms, format!("store: {e}"), None),
        };
        let s = &channel.settings;
        let (Some(sid), Some(token), Some(from)) =
            (&s.twilio_account_sid, &channel.secrets.twilio_auth_token, &s.phone_number)
        else {
            return failed("the SMS channel has no Twilio account, auth token or number".into());
        };
        let account = TwilioAccount { account_sid: sid.clone(), auth_token: Secret::new(token.clone()) };
        let message = OutboundSms { from, to: &sms.to, body: &sms.body, status_callback: Some(&self.status_callback) };
        match self.twilio.send_message(&account, &message).await {
            Ok(sent) => SmsOutcome::Sent { twilio_sid: sent.sid, status: sent.status },
            Err(e) if e.code() == Some(21610) => {
                if let Err(store) = self.store.set_consent(ws, &sms.to, true, "twilio:21610", self.clock.now()).await {
                    tracing::error!(error = %store, "could not record an opt-out Twilio reported");
                }
                SmsOutcome::Failed { status: "blocked", error: e.to_string() }
            }
            Err(e) if e.is_retryable() && sms.attempts < MAX_ATTEMPTS => {
                let after = e.retry_after();
                self.retry(sms, e.to_string(), after)
            }
            Err(e) => failed(e.to_string()),
        }
    }

    fn retry(&self, sms: &QueuedSms, error: String, after: Option<Duration>) -> SmsOutcome {
        let wait = after.unwrap_or_else(|| crate::retry_after::backoff(sms.attempts));
        let at = self.clock.now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX / 2);
        SmsOutcome::Retry { at, error }
    }
}

fn outcome_label(outcome: &SmsOutcome) -> &'static str {
    match outcome {
        SmsOutcome::Sent { .. } => "sent",
        SmsOutcome::Retry { .. } => "retry",
        SmsOutcome::Failed { status, .. } => status,
    }
}
