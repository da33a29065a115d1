//! Applying operators' changes to a channel's launch, with the I/O the pure parts leave out.
//!
//! Every change follows the same steps: read the channel, work out the new settings and checks,
//! evaluate the checklist, ask the state machine, and save, with the transition for the audit
//! trail, only if nobody saved the channel in between (the channel's version). A lost race is
//! retried from the start.

use super::checklist::{self, Capabilities, Checks, Facts, ItemId, TwilioCheck};
use super::machine::{Event, LaunchState, Refusal, transition};
use super::{LaunchView, Transition, TransitionRecord};
use crate::channels::settings::{self, SettingsError, SettingsPatch};
use crate::channels::{Channel, ChannelKind, ChannelSecrets, ChannelSettings, HandoffAction};
use crate::clock::Clock;
use crate::handoff::helpdesks::is_verified;
use crate::ids::{AccountId, WorkspaceId};
use crate::secret::Secret;
use crate::skills::Catalog;
use crate::sms::twilio::{TwilioAccount, TwilioClient};
use crate::sms::verify::{self, Verdict};
use crate::store::{ChannelUpdate, Store, StoreError};

/// How often a change is retried after losing a race with another change.
const ATTEMPTS: usize = 5;

/// Why a launch operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A setting is invalid.
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    /// Turning on while required items are missing; names them and says what to do.
    #[error("the agent can't be turned on yet: {message}")]
    Blocked {
        /// The required items not done.
        blocking: Vec<ItemId>,
        /// Each item's detail.
        message: String,
    },
    /// The change would break a required item of a live channel.
    #[error("the agent is live and this change would break {message}; turn the agent off first or fix the change")]
    WouldBreakLive {
        /// The required items the change breaks.
        blocking: Vec<ItemId>,
        /// Each item's detail.
        message: String,
    },
    /// A unique value, such as the SMS number, belongs to another workspace.
    #[error("{0} is already used by another workspace")]
    Taken(&'static str),
    /// Other changes kept winning the race; the caller may retry.
    #[error("the channel is being changed by someone else; retry")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LaunchError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Taken(field) => LaunchError::Taken(field),
            other => LaunchError::Store(other),
        }
    }
}

/// What the launch operations need.
#[derive(Clone, Copy)]
pub struct Launcher<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The time.
    pub clock: &'a dyn Clock,
    /// The skills that exist.
    pub catalog: &'a Catalog,
    /// What the workspace has configured that skills and handoff depend on.
    pub capabilities: &'a Capabilities,
    /// Twilio's API, for verifying SMS numbers.
    pub twilio: &'a TwilioClient,
}

/// A change worked out from the current channel, before the checklist and the state machine.
struct Plan {
    settings: ChannelSettings,
    secrets: ChannelSecrets,
    checks: Checks,
    event: fn(bool) -> Event,
    actor: Option<AccountId>,
    reason: String,
}

impl Plan {
    fn keep(channel: &Channel, event: fn(bool) -> Event, actor: Option<AccountId>, reason: &str) -> Self {
        Plan {
            settings: channel.settings.clone(),
            secrets: channel.secrets.clone(),
            checks: channel.checks.clone(),
            event,
            actor,
            reason: reason.to_owned(),
        }
    }
}

/// The event of something observed rather than configured.
const OBSERVED: fn(bool) -> Event = |complete| Event::Observed { complete };

impl Launcher<'_> {
    /// The launch screen of a channel.
    pub async fn view(&self, ws: WorkspaceId, kind: ChannelKind) -> Result<LaunchView, LaunchError> {
        let channel = self.store.channel(ws, kind).await?;
        self.view_of(&channel).await
    }

    /// The launch screen of a channel already read.
    pub async fn view_of(&self, channel: &Channel) -> Result<LaunchView, LaunchError> {
        let items = self.items(channel, &channel.settings, &channel.secrets, &channel.checks).await?;
        let blocking = checklist::blocking(&items);
        let state = match channel.state {
            LaunchState::Live | LaunchState::Off => channel.state,
            LaunchState::Draft | LaunchState::Ready if blocking.is_empty() => LaunchState::Ready,
            LaunchState::Draft | LaunchState::Ready => LaunchState::Draft,
        };
        Ok(LaunchView { state, activated_at: channel.activated_at, items, blocking })
    }

    /// Applies an operator's settings change. SMS settings are verified with Twilio before they are
    /// saved, so a live channel is never switched to a number that doesn't work.
    #[tracing::instrument(skip_all, fields(workspace = %ws, channel = kind.as_str()))]
    pub async fn configure(
        &self,
        actor: AccountId,
        ws: WorkspaceId,
        kind: ChannelKind,
        patch: SettingsPatch,
    ) -> Result<Channel, LaunchError> {
        let patch = &patch;
        self.change(ws, kind, |channel| async move {
            let (settings, secrets, touched) =
                settings::apply(kind, &channel.settings, &channel.secrets, patch.clone(), self.catalog)?;
            if !touched.any {
                return Ok(None);
            }
            let now = self.clock.now();
            let mut checks = channel.checks.clone();
            checks.config_changed_at = Some(now);
            if touched.handoff {
                checks.handoff_changed_at = Some(now);
            }
            if touched.twilio {
                checks.twilio = self.verified(&settings, &secrets, checks.twilio.take()).await;
            }
            let reason = format!("settings changed: {}", changed_fields(&channel, &settings, &secrets).join(", "));
            let event = |complete| Event::Configured { complete };
            Ok(Some(Plan { settings, secrets, checks, event, actor: Some(actor), reason }))
        })
        .await
    }

    /// Turns the agent on, recording `activated_at`.
    #[tracing::instrument(skip_all, fields(workspace = %ws, channel = kind.as_str()))]
    pub async fn turn_on(
        &self,
        actor: AccountId,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> Result<LaunchView, LaunchError> {
        let event = |complete| Event::TurnOn { complete };
        let channel =
            self.change(ws, kind, |c| async move { Ok(Some(Plan::keep(&c, event, Some(actor), "turned on"))) }).await?;
        self.view_of(&channel).await
    }

    /// Turns the agent off.
    #[tracing::instrument(skip_all, fields(workspace = %ws, channel = kind.as_str()))]
    pub async fn turn_off(
        &self,
        actor: AccountId,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> Result<LaunchView, LaunchError> {
        let event = |_| Event::TurnOff;
        let channel = self
            .change(ws, kind, |c| async move { Ok(Some(Plan::keep(&c, event, Some(actor), "turned off"))) })
            .await?;
        self.view_of(&channel).await
    }

    /// Checks the SMS channel's number with Twilio again and records the answer.
    #[tracing::instrument(skip_all, fields(workspace = %ws))]
    pub async fn verify_sms(&self, actor: AccountId, ws: WorkspaceId) -> Result<LaunchView, LaunchError> {
        let channel = self
            .change(ws, ChannelKind::Sms, |channel| async move {
                let mut plan = Plan::keep(&channel, OBSERVED, Some(actor), "");
                plan.checks.twilio =
                    self.verified(&channel.settings, &channel.secrets, plan.checks.twilio.take()).await;
                plan.reason = match &plan.checks.twilio {
                    Some(check) => format!("Twilio verification: {}", check.detail),
                    None => "Twilio verification: settings incomplete".to_owned(),
                };
                Ok(Some(plan))
            })
            .await?;
        self.view_of(&channel).await
    }

    /// Notes that the widget was loaded on `origin`, which may complete `channel_setup`.
    pub async fn widget_loaded(&self, ws: WorkspaceId, origin: &str) -> Result<(), LaunchError> {
        let reason = &format!("widget loaded on {origin}");
        self.change(ws, ChannelKind::Webchat, |c| async move { Ok(Some(Plan::keep(&c, OBSERVED, None, reason))) })
            .await
            .map(|_| ())
    }

    /// Notes that a preview conversation ran on the channel's current configuration.
    pub async fn preview_ran(&self, ws: WorkspaceId, kind: ChannelKind) -> Result<(), LaunchError> {
        self.change(ws, kind, |channel| async move {
            let mut plan = Plan::keep(&channel, OBSERVED, None, "preview ran");
            plan.checks.preview_tested_at = Some(self.clock.now());
            Ok(Some(plan))
        })
        .await
        .map(|_| ())
    }

    /// Notes that a test handoff succeeded on the channel's current handoff settings.
    pub async fn handoff_tested(
        &self,
        actor: AccountId,
        ws: WorkspaceId,
        kind: ChannelKind,
    ) -> Result<(), LaunchError> {
        self.change(ws, kind, |channel| async move {
            let mut plan = Plan::keep(&channel, OBSERVED, Some(actor), "test handoff succeeded");
            plan.checks.handoff_tested_at = Some(self.clock.now());
            Ok(Some(plan))
        })
        .await
        .map(|_| ())
    }

    /// Re-evaluates both channels of a workspace after something they depend on changed outside
    /// their settings (a helpdesk integration); a live channel whose required item broke goes off.
    pub async fn observe(&self, ws: WorkspaceId, reason: &str) -> Result<(), LaunchError> {
        for kind in [ChannelKind::Webchat, ChannelKind::Sms] {
            self.change(ws, kind, |c| async move { Ok(Some(Plan::keep(&c, OBSERVED, None, reason))) }).await?;
        }
        Ok(())
    }

    /// Reads the channel, works out a plan from it (`None`: nothing to change) and commits it;
    /// when another change saved the channel in between, starts again from a fresh read.
    async fn change<F, Fut>(&self, ws: WorkspaceId, kind: ChannelKind, plan: F) -> Result<Channel, LaunchError>
    where
        F: Fn(Channel) -> Fut,
        Fut: std::future::Future<Output = Result<Option<Plan>, LaunchError>>,
    {
        for _ in 0..ATTEMPTS {
            let channel = self.store.channel(ws, kind).await?;
            let Some(plan) = plan(channel.clone()).await? else { return Ok(channel) };
            match self.commit(&channel, plan).await {
                Err(LaunchError::Store(StoreError::Conflict)) => continue,
                other => return other,
            }
        }
        Err(LaunchError::Busy)
    }

    /// The channel's recorded transitions, newest first.
    pub async fn history(&self, ws: WorkspaceId, kind: ChannelKind) -> Result<Vec<Transition>, LaunchError> {
        Ok(self.store.launch_history(ws, kind, 200).await?)
    }

    /// Evaluates the plan, runs the state machine and saves what changed.
    async fn commit(&self, channel: &Channel, plan: Plan) -> Result<Channel, LaunchError> {
        let items = self.items(channel, &plan.settings, &plan.secrets, &plan.checks).await?;
        let blocking = checklist::blocking(&items);
        let next = transition(channel.state, (plan.event)(blocking.is_empty())).map_err(|refusal| {
            let message = items
                .iter()
                .filter(|i| blocking.contains(&i.id))
                .map(|i| format!("{} ({})", i.id.as_str(), i.detail))
                .collect::<Vec<_>>()
                .join("; ");
            match refusal {
                Refusal::Blocked => LaunchError::Blocked { blocking: blocking.clone(), message },
                Refusal::BreaksLive => LaunchError::WouldBreakLive { blocking: blocking.clone(), message },
            }
        })?;
        let unchanged = next == channel.state
            && plan.settings == channel.settings
            && plan.secrets == channel.secrets
            && plan.checks == channel.checks;
        if unchanged {
            return Ok(channel.clone());
        }
        let now = self.clock.now();
        let activated_at = if next == LaunchState::Live && channel.state != LaunchState::Live {
            Some(now)
        } else {
            channel.activated_at
        };
        let record = (next != channel.state).then_some(TransitionRecord {
            from: channel.state,
            to: next,
            actor: plan.actor,
            reason: plan.reason,
            at: now,
        });
        if let Some(r) = &record {
            tracing::info!(from = r.from.as_str(), to = r.to.as_str(), reason = %r.reason, "launch transition");
            metrics::counter!("sangdam_launch_transitions_total", "channel" => channel.kind.as_str(), "to" => r.to.as_str())
                .increment(1);
        }
        let update = ChannelUpdate {
            workspace_id: channel.workspace_id,
            kind: channel.kind,
            expected_version: channel.version,
            settings: &plan.settings,
            secrets: &plan.secrets,
            checks: &plan.checks,
            state: next,
            activated_at,
            at: now,
            transition: record.as_ref(),
        };
        Ok(self.store.save_channel(&update).await?)
    }

    async fn items(
        &self,
        channel: &Channel,
        settings: &ChannelSettings,
        secrets: &ChannelSecrets,
        checks: &Checks,
    ) -> Result<Vec<checklist::Item>, LaunchError> {
        let seen: Vec<String> = match channel.kind {
            ChannelKind::Webchat => {
                self.store.widget_origins(channel.workspace_id).await?.into_iter().map(|o| o.origin).collect()
            }
            ChannelKind::Sms => Vec::new(),
        };
        let fingerprint = twilio_fingerprint(self.twilio.api_base(), settings, secrets);
        let mut capabilities = self.capabilities.clone();
        if settings.handoff.as_ref().is_some_and(|h| h.action == HandoffAction::Helpdesk) {
            let all = self.store.helpdesks(channel.workspace_id).await?;
            capabilities.helpdesks = all.into_iter().filter(is_verified).map(|h| h.name).collect();
        }
        let facts = Facts {
            catalog: self.catalog,
            capabilities: &capabilities,
            seen_origins: &seen,
            twilio_fingerprint: fingerprint.as_deref(),
        };
        Ok(checklist::evaluate(channel.kind, settings, checks, facts))
    }

    /// Asks Twilio about the configured number; `None` when the settings are incomplete.
    async fn verified(
        &self,
        settings: &ChannelSettings,
        secrets: &ChannelSecrets,
        previous: Option<TwilioCheck>,
    ) -> Option<TwilioCheck> {
        let fingerprint = twilio_fingerprint(self.twilio.api_base(), settings, secrets)?;
        let (Some(sid), Some(token), Some(phone)) =
            (&settings.twilio_account_sid, &secrets.twilio_auth_token, &settings.phone_number)
        else {
            return previous;
        };
        let account = TwilioAccount { account_sid: sid.clone(), auth_token: Secret::new(token.clone()) };
        let now = self.clock.now();
        let verdict = verify::verify(self.twilio, &account, phone).await;
        tracing::info!(?verdict, "twilio verification");
        let check = |verified, reason, detail| TwilioCheck {
            checked_at: now,
            fingerprint: fingerprint.clone(),
            verified,
            reason,
            detail,
            last_error: None,
        };
        Some(match verdict {
            Verdict::Verified { .. } => {
                check(true, None, format!("{phone} is on the Twilio account and can send and receive SMS."))
            }
            Verdict::Rejected { reason, detail } => check(false, Some(reason), detail),
            Verdict::Unreachable { detail } => match previous {
                Some(previous) if previous.fingerprint == fingerprint => {
                    TwilioCheck { last_error: Some(detail), ..previous }
                }
                _ => {
                    let never =
                        check(false, Some(checklist::UNREACHABLE.into()), "Twilio could not be asked yet.".into());
                    TwilioCheck { last_error: Some(detail), ..never }
                }
            },
        })
    }
}

/// Identifies the Twilio settings a verification is about, without keeping the token itself;
/// `api_base` is the configured API, so a check made against another one does not count.
pub fn twilio_fingerprint(api_base: &str, settings: &ChannelSettings, secrets: &ChannelSecrets) -> Option<String> {
    let (sid, token, phone) =
        (settings.twilio_account_sid.as_ref()?, secrets.twilio_auth_token.as_ref()?, settings.phone_number.as_ref()?);
    Some(crate::secret::fingerprint([api_base, sid, phone, token]))
}

/// Names of the settings that differ, for the audit trail; never their values.
fn changed_fields(channel: &Channel, settings: &ChannelSettings, secrets: &ChannelSecrets) -> Vec<String> {
    let before = serde_json::to_value(&channel.settings).unwrap_or_default();
    let after = serde_json::to_value(settings).unwrap_or_default();
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else { return Vec::new() };
    let mut fields: Vec<String> =
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect();
    fields.sort();
    fields.dedup();
    if secrets != &channel.secrets {
        fields.push("twilio_auth_token".to_owned());
    }
    fields
}
