//! Talking to helpdesks over HTTP, as their adapters declare.
//!
//! One client serves every helpdesk: the adapter renders the request and reads the answer, this
//! module sends it and decides what the outcome means for the outbox. A 2xx with a ticket id is
//! a ticket; 429, the adapter's retry statuses, every 5xx, timeouts and dropped connections are
//! worth another try (with the helpdesk's `Retry-After`, and a note whether the ticket may exist
//! already); any other answer is a refusal that retrying would not change. Redirects are not
//! followed: a helpdesk API that redirects a POST is a wrong address in the settings.
//!
//! Every call goes through the outbound guard ([`crate::outbound`]): a helpdesk address that
//! is, spells or resolves to an internal one is refused with the same words whether anything
//! listens there or not, and a failed connection is only "could not connect to HOST".
//!
//! Secrets only travel in the request; nothing here logs headers, bodies or settings.

#[path = "client_sign.rs"]
mod sign;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use super::adapter::{Adapter, Judgement, Outgoing};
use super::{HelpdeskIntegration, TicketDraft};
use crate::outbound::{Outbound, OutboundError};
pub use sign::signature;

/// What one ticket-creation attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The ticket exists (created now, or found by the de-duplication lookup).
    Created {
        /// The helpdesk's ticket id.
        ticket_id: String,
        /// The agent-facing link, when the adapter knows how to build it.
        ticket_url: Option<String>,
    },
    /// Worth trying again: 408, 409, 429, 5xx, a timeout, a connection failure.
    Retryable {
        /// What happened, with the helpdesk's message when it gave one.
        error: String,
        /// The helpdesk's `Retry-After`.
        retry_after: Option<Duration>,
        /// The request may have reached the helpdesk (a timeout or a 5xx after sending).
        uncertain: bool,
    },
    /// The helpdesk refused the ticket (another 4xx): retrying would not help.
    Refused {
        /// The HTTP status.
        status: Option<u16>,
        /// The helpdesk's message.
        error: String,
    },
}

/// The outcome of checking credentials.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The helpdesk accepted them.
    Verified {
        /// Plain words, e.g. "Zendesk accepted agent@brand.com's API token."
        detail: String,
    },
    /// The helpdesk rejected them.
    Rejected {
        /// Stable code: `bad_credentials`, `forbidden`, `not_found`, `rejected`.
        reason: String,
        /// Plain words, e.g. "Zendesk rejected the email/token pair."
        detail: String,
    },
    /// The helpdesk could not be asked (timeout, DNS, 5xx, 429).
    Unreachable {
        /// What went wrong.
        detail: String,
    },
}

/// An HTTP client for every helpdesk.
#[derive(Debug, Clone)]
pub struct HelpdeskClient {
    http: reqwest::Client,
    outbound: Outbound,
    /// How long a call may take, for messages.
    timeout: Duration,
}

/// A helpdesk's answer, read in full.
struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    location: Option<String>,
    body: String,
}

impl HelpdeskClient {
    /// A client whose calls give up after `timeout`, calling through `outbound`.
    pub fn new(timeout: Duration, outbound: &Outbound) -> Self {
        let builder = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("sangdam/", env!("CARGO_PKG_VERSION")));
        let http = outbound.client(builder, false).expect("a TLS backend is available");
        Self { http, outbound: outbound.clone(), timeout }
    }

    /// Creates the ticket; with `look_first` (the previous attempt's outcome is unknown) first
    /// asks the helpdesk for a ticket with this key, where the adapter declares how.
    #[tracing::instrument(skip_all, fields(helpdesk = %adapter.name, key = %draft.key))]
    pub async fn create_ticket(
        &self,
        adapter: &Adapter,
        integration: &HelpdeskIntegration,
        draft: &TicketDraft,
        look_first: bool,
    ) -> Attempt {
        let now = Utc::now();
        if look_first && let Some(found) = self.look_up(adapter, integration, draft, now).await {
            return found;
        }
        let request = match adapter.create_request(integration, draft, now) {
            Ok(request) => request,
            Err(e) => return Attempt::Refused { status: None, error: e.to_string() },
        };
        let reply = match self.send(request).await {
            Ok(reply) => reply,
            Err(failure) => return self.failed_to_send(&adapter.title, failure),
        };
        if !(200..300).contains(&reply.status) {
            tracing::debug!(status = reply.status, "the helpdesk did not create the ticket");
            return answered(adapter, &reply);
        }
        if let Some((ticket_id, ticket_url)) = adapter.created_ticket(integration, &reply.body) {
            tracing::debug!(ticket_id = %ticket_id, "ticket created");
            return Attempt::Created { ticket_id, ticket_url };
        }
        if adapter.id_optional() {
            return Attempt::Created { ticket_id: draft.key.clone(), ticket_url: None };
        }
        let error = format!(
            "{} answered {} but its answer does not say which ticket it created (looked at {})",
            adapter.title,
            reply.status,
            adapter.id_pointers()
        );
        Attempt::Refused { status: Some(reply.status), error }
    }

    /// Checks an integration's credentials against its helpdesk.
    #[tracing::instrument(skip_all, fields(helpdesk = %adapter.name))]
    pub async fn verify(&self, adapter: &Adapter, integration: &HelpdeskIntegration) -> Verdict {
        let request = match adapter.verify_request(integration, Utc::now()) {
            Ok(request) => request,
            Err(e) => return Verdict::Rejected { reason: "rejected".to_owned(), detail: e.to_string() },
        };
        let reply = match self.send(request).await {
            Ok(reply) => reply,
            Err(OutboundError::NotAllowed) => {
                let detail = OutboundError::NotAllowed.to_string();
                return Verdict::Rejected { reason: "not_allowed".to_owned(), detail };
            }
            Err(failure) => return Verdict::Unreachable { detail: self.describe(&adapter.title, &failure) },
        };
        tracing::debug!(status = reply.status, "credential check answered");
        match adapter.judge_verification(integration, reply.status, &reply.body) {
            Some(Judgement::Verified(detail)) => Verdict::Verified { detail },
            Some(Judgement::Rejected { reason, detail }) => Verdict::Rejected { reason, detail },
            None if adapter.retryable(reply.status) => Verdict::Unreachable { detail: said(adapter, &reply) },
            None => Verdict::Rejected { reason: "rejected".to_owned(), detail: said(adapter, &reply) },
        }
    }

    /// The ticket an earlier attempt created, or why we could not tell; `None` to go ahead.
    async fn look_up(
        &self,
        adapter: &Adapter,
        integration: &HelpdeskIntegration,
        draft: &TicketDraft,
        now: DateTime<Utc>,
    ) -> Option<Attempt> {
        let request = match adapter.lookup_request(integration, draft, now) {
            Ok(request) => request?,
            Err(e) => return Some(Attempt::Refused { status: None, error: e.to_string() }),
        };
        let during = "Looking for the ticket of an earlier attempt";
        let attempt = match self.send(request).await {
            Ok(reply) if (200..300).contains(&reply.status) => {
                let (ticket_id, ticket_url) = adapter.found_ticket(integration, &reply.body)?;
                tracing::debug!(ticket_id = %ticket_id, "found the ticket of an earlier attempt");
                return Some(Attempt::Created { ticket_id, ticket_url });
            }
            Ok(reply) => answered(adapter, &reply),
            Err(failure) => self.failed_to_send(&adapter.title, failure),
        };
        // A helpdesk that honours the idempotency key makes the lookup a second line of defence:
        // when it fails, creating again with the same key is still safe.
        if adapter.idempotent {
            tracing::warn!(outcome = ?attempt, "the lookup failed; creating with the same idempotency key");
            return None;
        }
        // Whatever went wrong, the earlier attempt's outcome is still unknown.
        Some(match attempt {
            Attempt::Retryable { error, retry_after, .. } => {
                Attempt::Retryable { error: format!("{during}: {error}"), retry_after, uncertain: true }
            }
            Attempt::Refused { status, error } => Attempt::Refused { status, error: format!("{during}: {error}") },
            created => created,
        })
    }

    async fn send(&self, request: Outgoing) -> Result<Reply, OutboundError> {
        let host = crate::outbound::host_of(&request.url);
        let mut builder = self.http.request(request.method, request.url);
        for (name, value, _) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = self.outbound.send(builder).await?;
        let status = response.status().as_u16();
        let retry_after = crate::retry_after::parse(response.headers(), Utc::now());
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.text().await.map_err(|e| crate::outbound::describe(&e, &host))?;
        Ok(Reply { status, retry_after, location, body })
    }

    fn failed_to_send(&self, title: &str, failure: OutboundError) -> Attempt {
        let error = self.describe(title, &failure);
        match failure {
            // A refused address stays refused; retrying would only repeat the refusal.
            OutboundError::Unsendable(_) | OutboundError::NotAllowed => Attempt::Refused { status: None, error },
            OutboundError::Connect(_) => Attempt::Retryable { error, retry_after: None, uncertain: false },
            OutboundError::Timeout(_) | OutboundError::Broken(_) => {
                Attempt::Retryable { error, retry_after: None, uncertain: true }
            }
        }
    }

    fn describe(&self, title: &str, failure: &OutboundError) -> String {
        match failure {
            OutboundError::Timeout(_) => format!("{title} did not answer within {} s", self.timeout.as_secs_f64()),
            OutboundError::Unsendable(cause) => format!("could not build the request to {title}: {cause}"),
            other => other.to_string(),
        }
    }
}

/// A non-2xx answer: retryable or a refusal.
fn answered(adapter: &Adapter, reply: &Reply) -> Attempt {
    let error = said(adapter, reply);
    if adapter.retryable(reply.status) {
        // Only a 429 says the request was turned away unread.
        return Attempt::Retryable { error, retry_after: reply.retry_after, uncertain: reply.status != 429 };
    }
    Attempt::Refused { status: Some(reply.status), error }
}

/// "Zendesk answered 422: <the helpdesk's words>".
fn said(adapter: &Adapter, reply: &Reply) -> String {
    let status = reply.status;
    if (300..400).contains(&status) {
        let target = reply.location.as_deref().unwrap_or("elsewhere");
        return format!(
            "{} answered {status}, redirecting to {target}: check the address in the settings",
            adapter.title
        );
    }
    match adapter.helpdesk_message(&reply.body) {
        Some(message) => format!("{} answered {status}: {message}", adapter.title),
        None => {
            let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
            format!("{} answered {status} {reason}", adapter.title).trim_end().to_owned()
        }
    }
}
