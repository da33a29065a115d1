//! Talking to helpdesks over HTTP, as their adapters declare.
//! (Interface only; the implementation is being written.)

use std::time::Duration;

use super::adapter::Adapter;
use super::{HelpdeskIntegration, TicketDraft};

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
}

impl HelpdeskClient {
    /// A client whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder().timeout(timeout).build().expect("a TLS backend is available");
        Self { http }
    }

    /// Creates the ticket; with `look_first` (the previous attempt's outcome is unknown) first
    /// asks the helpdesk for a ticket with this key, where the adapter declares how.
    pub async fn create_ticket(
        &self,
        _adapter: &Adapter,
        _integration: &HelpdeskIntegration,
        _draft: &TicketDraft,
        _look_first: bool,
    ) -> Attempt {
        let _ = &self.http;
        todo!()
    }

    /// Checks an integration's credentials against its helpdesk.
    pub async fn verify(&self, _adapter: &Adapter, _integration: &HelpdeskIntegration) -> Verdict {
        todo!()
    }
}
