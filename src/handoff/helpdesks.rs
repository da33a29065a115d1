//! A workspace's helpdesk integrations: configuring one, checking its credentials against the
//! helpdesk, removing it, and the test handoff that creates a real ticket from a test requester.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::adapter::{Adapter, Adapters};
use super::client::{Attempt, HelpdeskClient, Verdict};
use super::ticket::{self, TicketCustomer, TicketInput};
use super::{HelpdeskCheck, HelpdeskIntegration, TicketRef};
use crate::agent::{HandoffReason, Trace};
use crate::channels::{Channel, ChannelKind, HandoffAction};
use crate::clock::Clock;
use crate::ids::{HandoffId, WorkspaceId};
use crate::launch::LaunchState;
use crate::locale::Locale;
use crate::rooms::{Author, Message};
use crate::store::{Store, StoreError};

/// Failed attempts after which a ticket is dead-lettered, unless the integration says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;
/// The most attempts an integration may allow.
pub const MAX_MAX_ATTEMPTS: i64 = 20;

/// Why a helpdesk operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum HelpdeskError {
    /// No adapter has this name.
    #[error("there is no helpdesk adapter {name:?}; adapters are {known}")]
    UnknownAdapter {
        /// The name asked for.
        name: String,
        /// The adapters that exist.
        known: String,
    },
    /// The workspace has no integration of this name.
    #[error("the {0} integration is not set up; PUT /v1/helpdesks/{0} first")]
    NotConfigured(String),
    /// A setting is missing or invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// The setting.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A channel hands off to this integration.
    #[error("the {channel} channel hands off to {name}; change its handoff first")]
    InUse {
        /// The integration.
        name: String,
        /// The channel using it.
        channel: &'static str,
    },
    /// The settings send requests to a new address but leave a stored secret out: a secret
    /// only goes to the address it was saved with.
    #[error(
        "give {secrets} again: {fields} changed, and a stored secret is only sent to the address it was saved with"
    )]
    SecretRequired {
        /// The secrets to give again.
        secrets: String,
        /// The settings whose change moves the requests.
        fields: String,
    },
    /// The helpdesk rejected new credentials while a live channel depends on them.
    #[error("the {channel} agent is live and hands off to {name}, which rejected these settings: {detail}")]
    WouldBreakLive {
        /// The integration.
        name: String,
        /// The live channel.
        channel: &'static str,
        /// The helpdesk's verdict.
        detail: String,
    },
    /// The test handoff could not be made; says why in the helpdesk's words.
    #[error("{0}")]
    TestFailed(String),
    /// The channel's handoff is not configured.
    #[error("{0}")]
    NotReady(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An integration as operators see it: settings without secrets.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HelpdeskView {
    /// The adapter's name.
    pub name: String,
    /// The helpdesk's display name.
    pub title: String,
    /// The readable settings.
    pub settings: BTreeMap<String, String>,
    /// Which write-only settings are set (their values are never returned).
    pub secrets_set: Vec<String>,
    /// Failed attempts after which a ticket is dead-lettered.
    pub max_attempts: i64,
    /// The credentials were accepted by the helpdesk, for the current settings.
    pub verified: bool,
    /// The latest check.
    pub check: Option<HelpdeskCheck>,
    /// Last change.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The result of a test handoff.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TestHandoff {
    /// Where handed-off conversations of the channel go.
    pub action: HandoffAction,
    /// The ticket created in the helpdesk (action `helpdesk`).
    pub ticket: Option<TicketRef>,
    /// What a customer would be told.
    pub message: String,
    /// What happened, in plain words.
    pub detail: String,
}

/// What helpdesk operations need.
#[derive(Clone, Copy)]
pub struct Helpdesks<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The time.
    pub clock: &'a dyn Clock,
    /// The adapters.
    pub adapters: &'a Adapters,
    /// The HTTP client.
    pub client: &'a HelpdeskClient,
}

impl Helpdesks<'_> {
    /// The workspace's integrations.
    pub async fn list(&self, ws: WorkspaceId) -> Result<Vec<HelpdeskView>, HelpdeskError> {
        let all = self.store.helpdesks(ws).await?;
        Ok(all.iter().filter_map(|h| self.adapters.get(&h.name).map(|a| view(a, h))).collect())
    }

    /// One integration.
    pub async fn get(&self, ws: WorkspaceId, name: &str) -> Result<HelpdeskView, HelpdeskError> {
        let adapter = self.adapter(name)?;
        Ok(view(adapter, &self.integration(ws, name).await?))
    }

    /// Creates or replaces an integration from a `PUT` body and checks it with the helpdesk.
    /// Write-only settings may be left out to keep the stored ones, unless the other settings
    /// now send requests to a new address: then they must be given again.
    #[tracing::instrument(skip_all, fields(workspace = %ws, helpdesk = name))]
    pub async fn put(
        &self,
        ws: WorkspaceId,
        name: &str,
        body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<HelpdeskView, HelpdeskError> {
        let adapter = self.adapter(name)?;
        let existing = match self.store.helpdesk(ws, name).await {
            Ok(h) => Some(h),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let mut values = BTreeMap::new();
        let mut max_attempts = existing.as_ref().map_or(DEFAULT_MAX_ATTEMPTS, |h| h.max_attempts);
        for (key, value) in body {
            if key == "max_attempts" {
                // A whole number, `3.0` included, as JSON Schema counts one.
                let whole = value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 1e15);
                #[allow(clippy::cast_possible_truncation)]
                let number = value.as_i64().or(whole.map(|f| f as i64));
                max_attempts = number
                    .filter(|n| (1..=MAX_MAX_ATTEMPTS).contains(n))
                    .ok_or_else(|| invalid("max_attempts", format!("a whole number from 1 to {MAX_MAX_ATTEMPTS}")))?;
                continue;
            }
            let Some(field) = adapter.fields.iter().find(|f| f.name == key) else {
                let known: Vec<&str> = adapter.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(invalid(&key, format!("unknown setting; {} takes {}", adapter.title, known.join(", "))));
            };
            let text = value.as_str().ok_or_else(|| invalid(&field.name, "must be a string"))?;
            values.insert(key, text.to_owned());
        }
        let mut kept_secrets = Vec::new();
        for field in adapter.fields.iter().filter(|f| f.secret) {
            if !values.contains_key(&field.name)
                && let Some(kept) = existing.as_ref().and_then(|h| h.secrets.get(&field.name))
            {
                values.insert(field.name.clone(), kept.clone());
                kept_secrets.push(field.name.as_str());
            }
        }
        let normalised = adapter.check_settings(&values).map_err(|(field, message)| invalid(&field, message))?;
        let (secrets, config): (BTreeMap<_, _>, BTreeMap<_, _>) =
            normalised.into_iter().partition(|(k, _)| adapter.fields.iter().any(|f| f.secret && f.name == *k));
        if let Some(saved) = existing.as_ref().filter(|_| !kept_secrets.is_empty()) {
            let moved = moved_by(adapter, &saved.config, &config);
            if !moved.is_empty() {
                return Err(HelpdeskError::SecretRequired {
                    secrets: kept_secrets.join(", "),
                    fields: moved.join(", "),
                });
            }
        }
        let mut integration = HelpdeskIntegration {
            workspace_id: ws,
            name: name.to_owned(),
            config,
            secrets,
            max_attempts,
            check: existing.and_then(|h| h.check),
            updated_at: self.clock.now(),
        };
        integration.check = self.checked(adapter, &integration).await;
        if !is_verified(&integration)
            && let Some(channel) = self.users(ws, name, true).await?.first().copied()
        {
            let detail = integration.check.as_ref().map_or_else(String::new, |c| c.detail.clone());
            return Err(HelpdeskError::WouldBreakLive { name: name.to_owned(), channel, detail });
        }
        self.store.save_helpdesk(&integration).await?;
        Ok(view(adapter, &integration))
    }

    /// Checks an integration's credentials with the helpdesk again and records the answer.
    pub async fn verify(&self, ws: WorkspaceId, name: &str) -> Result<HelpdeskView, HelpdeskError> {
        let adapter = self.adapter(name)?;
        let mut integration = self.integration(ws, name).await?;
        integration.check = self.checked(adapter, &integration).await;
        self.store.save_helpdesk(&integration).await?;
        Ok(view(adapter, &integration))
    }

    /// Removes an integration no channel hands off to.
    pub async fn delete(&self, ws: WorkspaceId, name: &str) -> Result<(), HelpdeskError> {
        self.adapter(name)?;
        if let Some(channel) = self.users(ws, name, false).await?.first().copied() {
            return Err(HelpdeskError::InUse { name: name.to_owned(), channel });
        }
        match self.store.delete_helpdesk(ws, name).await {
            Err(StoreError::NotFound) => Err(HelpdeskError::NotConfigured(name.to_owned())),
            other => Ok(other?),
        }
    }

    /// A test handoff on `channel`: a real ticket from a test requester, tagged `test`, through
    /// the channel's helpdesk; for the queue and static actions, what the customer would be told.
    pub async fn test_handoff(
        &self,
        channel: &Channel,
        requester: TicketCustomer,
    ) -> Result<TestHandoff, HelpdeskError> {
        let Some(settings) = channel.settings.handoff.clone() else {
            return Err(HelpdeskError::NotReady("choose the channel's handoff action before testing it".into()));
        };
        let locale = channel.settings.locale.as_deref().and_then(Locale::parse).unwrap_or(Locale::Ko);
        let template = settings.message.clone();
        let render = |ticket: Option<&TicketRef>| match &template {
            Some(t) => super::message::render(
                t.get(locale),
                &super::message::MessageVars {
                    customer_name: Some(&requester.name),
                    ticket_id: ticket.map(|t| t.id.as_str()),
                    ticket_url: ticket.and_then(|t| t.url.as_deref()),
                },
            ),
            None => super::message::default_message(locale).to_owned(),
        };
        if settings.action != HandoffAction::Helpdesk {
            let detail = match settings.action {
                HandoffAction::Queue => {
                    "The conversation would wait in the counselor queue for a counselor to take it."
                }
                _ => "The customer would get the static reply and the conversation would wait in the counselor queue.",
            };
            return Ok(TestHandoff {
                action: settings.action,
                ticket: None,
                message: render(None),
                detail: detail.into(),
            });
        }
        let name = settings.helpdesk.clone().ok_or_else(|| {
            HelpdeskError::NotReady("choose the helpdesk tickets go to (handoff.helpdesk) before testing".into())
        })?;
        let adapter = self.adapter(&name)?;
        let integration = self.integration(channel.workspace_id, &name).await?;
        let now = self.clock.now();
        let sample = Message {
            id: crate::ids::MessageId::new(),
            room_id: crate::ids::RoomId::default(),
            seq: 1,
            author: Author::Customer,
            author_account_id: None,
            text: match locale {
                Locale::Ko => "테스트 핸드오프입니다. 이 티켓은 닫으셔도 됩니다.".to_owned(),
                Locale::En => "This is a test handoff; the ticket can be closed.".to_owned(),
            },
            created_at: now,
            delivery_status: None,
            delivery_error: None,
        };
        let draft = ticket::draft(TicketInput {
            id: HandoffId::new(),
            room_id: "test".to_owned(),
            channel: channel.kind,
            customer: requester.clone(),
            messages: std::slice::from_ref(&sample),
            reason: HandoffReason::ExplicitRequest,
            detail: "test handoff started by an operator",
            trace: &Trace::default(),
            locale,
            test: true,
            at: now,
        });
        match self.client.create_ticket(adapter, &integration, &draft, false).await {
            Attempt::Created { ticket_id, ticket_url } => {
                let ticket = TicketRef { helpdesk: name.clone(), id: ticket_id, url: ticket_url };
                let detail = format!("{} created test ticket {}.", adapter.title, ticket.id);
                Ok(TestHandoff {
                    action: settings.action,
                    message: render(Some(&ticket)),
                    ticket: Some(ticket),
                    detail,
                })
            }
            Attempt::Refused { error, .. } => Err(HelpdeskError::TestFailed(error)),
            Attempt::Retryable { error, retry_after, .. } => {
                let wait = retry_after.map(|d| format!(" Try again in {} s.", d.as_secs().max(1))).unwrap_or_default();
                Err(HelpdeskError::TestFailed(format!("{error}.{wait}")))
            }
        }
    }

    /// The channels that hand off to `name` (only the live ones with `live_only`).
    async fn users(&self, ws: WorkspaceId, name: &str, live_only: bool) -> Result<Vec<&'static str>, StoreError> {
        let mut users = Vec::new();
        for kind in [ChannelKind::Webchat, ChannelKind::Sms] {
            let channel = self.store.channel(ws, kind).await?;
            let hands_off = channel
                .settings
                .handoff
                .as_ref()
                .is_some_and(|h| h.action == HandoffAction::Helpdesk && h.helpdesk.as_deref() == Some(name));
            if hands_off && (!live_only || channel.state == LaunchState::Live) {
                users.push(kind.as_str());
            }
        }
        Ok(users)
    }

    fn adapter(&self, name: &str) -> Result<&Adapter, HelpdeskError> {
        self.adapters.get(name).ok_or_else(|| HelpdeskError::UnknownAdapter {
            name: name.to_owned(),
            known: self.adapters.names().join(", "),
        })
    }

    async fn integration(&self, ws: WorkspaceId, name: &str) -> Result<HelpdeskIntegration, HelpdeskError> {
        match self.store.helpdesk(ws, name).await {
            Err(StoreError::NotFound) => Err(HelpdeskError::NotConfigured(name.to_owned())),
            other => Ok(other?),
        }
    }

    /// Asks the helpdesk about the credentials; when it can't be reached, the previous answer
    /// about the same settings stands.
    async fn checked(&self, adapter: &Adapter, integration: &HelpdeskIntegration) -> Option<HelpdeskCheck> {
        let fingerprint = fingerprint(integration);
        let now = self.clock.now();
        let check = |verified, reason, detail| HelpdeskCheck {
            checked_at: now,
            fingerprint: fingerprint.clone(),
            verified,
            reason,
            detail,
            last_error: None,
        };
        let verdict = self.client.verify(adapter, integration).await;
        tracing::info!(?verdict, "helpdesk verification");
        Some(match verdict {
            Verdict::Verified { detail } => check(true, None, detail),
            Verdict::Rejected { reason, detail } => check(false, Some(reason), detail),
            Verdict::Unreachable { detail } => match integration.check.clone() {
                Some(previous) if previous.fingerprint == fingerprint => {
                    HelpdeskCheck { last_error: Some(detail), ..previous }
                }
                _ => HelpdeskCheck {
                    last_error: Some(detail.clone()),
                    ..check(
                        false,
                        Some("unreachable".into()),
                        format!("{} could not be reached: {detail}", adapter.title),
                    )
                },
            },
        })
    }
}

/// The readable settings whose change from `before` to `after` moves where requests go; empty
/// when they still go where they went.
fn moved_by<'a>(
    adapter: &'a Adapter,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<&'a str> {
    let was = adapter.addresses(before);
    if adapter.addresses(after) == was {
        return Vec::new();
    }
    let changed: Vec<&str> = adapter
        .fields
        .iter()
        .filter(|f| !f.secret && before.get(&f.name) != after.get(&f.name))
        .map(|f| f.name.as_str())
        .collect();
    // Name the settings that move the requests on their own; all changed ones if only together.
    let alone: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|name| {
            let mut trial = before.clone();
            match after.get(*name) {
                Some(value) => trial.insert((*name).to_owned(), value.clone()),
                None => trial.remove(*name),
            };
            adapter.addresses(&trial) != was
        })
        .collect();
    if alone.is_empty() { changed } else { alone }
}

/// The integration's current settings were accepted by the helpdesk.
pub fn is_verified(h: &HelpdeskIntegration) -> bool {
    h.check.as_ref().is_some_and(|c| c.verified && c.fingerprint == fingerprint(h))
}

/// Identifies the settings a check is about, without keeping the secrets themselves.
pub fn fingerprint(h: &HelpdeskIntegration) -> String {
    let settings = h.config.iter().chain(h.secrets.iter()).flat_map(|(k, v)| [k.as_str(), v.as_str()]);
    crate::secret::fingerprint(std::iter::once(h.name.as_str()).chain(settings))
}

fn view(adapter: &Adapter, h: &HelpdeskIntegration) -> HelpdeskView {
    HelpdeskView {
        name: h.name.clone(),
        title: adapter.title.clone(),
        settings: h.config.clone(),
        secrets_set: h.secrets.keys().cloned().collect(),
        max_attempts: h.max_attempts,
        verified: is_verified(h),
        check: h.check.clone(),
        updated_at: h.updated_at,
    }
}

fn invalid(field: &str, message: impl Into<String>) -> HelpdeskError {
    HelpdeskError::Invalid { field: field.to_owned(), message: message.into() }
}
