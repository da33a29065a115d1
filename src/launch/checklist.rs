//! The launch checklist: what must be done before a channel's agent may go live, evaluated from
//! the channel's settings and what the engine has observed. Pure: every input is passed in.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::channels::{ChannelKind, ChannelSettings, HandoffAction};
use crate::skills::{Catalog, Prerequisite};

/// A checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemId {
    /// The channel itself works: the widget is on the site, or the SMS number is verified.
    ChannelSetup,
    /// The agent's introduction (webchat).
    IntroMessage,
    /// At least one skill enabled, each with its prerequisites met.
    Skills,
    /// The handoff action chosen and its message set.
    Handoff,
    /// A test handoff succeeded since the handoff settings last changed.
    HandoffTested,
    /// A preview conversation ran since the configuration last changed.
    PreviewTested,
}

impl ItemId {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemId::ChannelSetup => "channel_setup",
            ItemId::IntroMessage => "intro_message",
            ItemId::Skills => "skills",
            ItemId::Handoff => "handoff",
            ItemId::HandoffTested => "handoff_tested",
            ItemId::PreviewTested => "preview_tested",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Item {
    /// Which item.
    pub id: ItemId,
    /// Whether turning on waits for it.
    pub required: bool,
    /// Whether it is done.
    pub done: bool,
    /// What is missing and what to do, or what is in place.
    pub detail: String,
}

/// What the engine has observed about a channel, stored beside its settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    /// Last change to any setting.
    #[serde(default)]
    pub config_changed_at: Option<DateTime<Utc>>,
    /// Last change to the handoff settings.
    #[serde(default)]
    pub handoff_changed_at: Option<DateTime<Utc>>,
    /// Last successful test handoff.
    #[serde(default)]
    pub handoff_tested_at: Option<DateTime<Utc>>,
    /// Last preview conversation.
    #[serde(default)]
    pub preview_tested_at: Option<DateTime<Utc>>,
    /// Last verification of the SMS number with Twilio.
    #[serde(default)]
    pub twilio: Option<TwilioCheck>,
}

/// The outcome of asking Twilio about the configured number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TwilioCheck {
    /// When Twilio last gave a definite answer.
    pub checked_at: DateTime<Utc>,
    /// Which settings the answer is about (account, number, API base, token), hashed.
    pub fingerprint: String,
    /// The number is on the account and SMS-capable.
    pub verified: bool,
    /// Stable code of the problem when not verified, e.g. `bad_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Plain words for the operator.
    pub detail: String,
    /// The last attempt that could not reach Twilio, when it came after `checked_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The [`TwilioCheck::reason`] of settings Twilio could never be asked about.
pub const UNREACHABLE: &str = "unreachable";

/// Facts from outside the channel that the checklist needs.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The skills that exist.
    pub catalog: &'a Catalog,
    /// Which skill prerequisites the workspace meets.
    pub capabilities: &'a Capabilities,
    /// Origins the widget was loaded from (webchat).
    pub seen_origins: &'a [String],
    /// Fingerprint of the current Twilio settings, when complete (sms).
    pub twilio_fingerprint: Option<&'a str>,
}

/// What the workspace has configured that skills and handoff depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The commerce integration orders and products come from, by name, if any.
    pub commerce: Option<String>,
    /// The number of knowledge articles available.
    pub knowledge_articles: usize,
    /// Names of the workspace's helpdesk integrations whose settings the helpdesk accepted
    /// (filled per workspace when a checklist is evaluated).
    pub helpdesks: Vec<String>,
}

impl Capabilities {
    /// What is missing for the prerequisite `p`, in plain words; `None` when it is met.
    pub fn unmet(&self, p: Prerequisite) -> Option<&'static str> {
        match p {
            Prerequisite::Commerce if self.commerce.is_none() => Some("a commerce integration"),
            Prerequisite::Knowledge if self.knowledge_articles == 0 => Some("at least one knowledge article"),
            _ => None,
        }
    }
}

/// The checklist of a channel, in display order.
pub fn evaluate(kind: ChannelKind, settings: &ChannelSettings, checks: &Checks, facts: Facts<'_>) -> Vec<Item> {
    let mut items = vec![match kind {
        ChannelKind::Webchat => widget_setup(settings, facts.seen_origins),
        ChannelKind::Sms => sms_setup(settings, checks, facts.twilio_fingerprint),
    }];
    if kind == ChannelKind::Webchat {
        items.push(match &settings.intro_message {
            // One language is enough: customers of the other are shown it too.
            Some(m) => item(ItemId::IntroMessage, true, true, format!("The agent introduces itself with: “{m}”")),
            None => item(
                ItemId::IntroMessage,
                true,
                false,
                "Write how the agent introduces itself (intro_message); visitors see it when they open the chat.",
            ),
        });
    }
    items.push(skills(kind, settings, facts));
    items.push(handoff(settings, facts.capabilities));
    items.push(handoff_tested(settings, checks));
    items.push(preview_tested(checks));
    items
}

/// Ids of the required items that are not done.
pub fn blocking(items: &[Item]) -> Vec<ItemId> {
    items.iter().filter(|i| i.required && !i.done).map(|i| i.id).collect()
}

fn item(id: ItemId, required: bool, done: bool, detail: impl Into<String>) -> Item {
    Item { id, required, done, detail: detail.into() }
}

fn widget_setup(settings: &ChannelSettings, seen: &[String]) -> Item {
    let id = ItemId::ChannelSetup;
    if settings.allowed_origins.is_empty() {
        return item(
            id,
            true,
            false,
            "Add your site's origin to allowed_origins (e.g. https://shop.example), then put the widget snippet on \
             a page of it and open that page.",
        );
    }
    match seen.iter().find(|o| settings.allowed_origins.contains(o)) {
        Some(origin) => item(id, true, true, format!("The widget was loaded on {origin}.")),
        None => item(
            id,
            true,
            false,
            format!(
                "The widget has not been loaded on {} yet: paste the embed snippet into a page there and open it.",
                settings.allowed_origins.join(" or ")
            ),
        ),
    }
}

fn sms_setup(settings: &ChannelSettings, checks: &Checks, fingerprint: Option<&str>) -> Item {
    let id = ItemId::ChannelSetup;
    let Some(fingerprint) = fingerprint else {
        let mut missing = Vec::new();
        if settings.twilio_account_sid.is_none() {
            missing.push("twilio_account_sid");
        }
        missing.push("twilio_auth_token");
        if settings.phone_number.is_none() {
            missing.push("phone_number");
        }
        return item(
            id,
            true,
            false,
            format!(
                "Connect Twilio: set {} so the agent has an active two-way number to answer from.",
                missing.join(", ")
            ),
        );
    };
    match &checks.twilio {
        Some(check) if check.fingerprint == fingerprint => {
            let detail = match (&check.last_error, &check.reason) {
                (Some(error), Some(reason)) if reason == UNREACHABLE => format!("Not verified yet: {error}"),
                (Some(error), _) => {
                    format!("{} The latest check did not reach Twilio, so this result stands: {error}", check.detail)
                }
                (None, _) => check.detail.clone(),
            };
            item(id, true, check.verified, detail)
        }
        _ => item(
            id,
            true,
            false,
            "The Twilio settings have not been verified yet: POST /v1/channels/sms/verify to check them with Twilio.",
        ),
    }
}

fn skills(kind: ChannelKind, settings: &ChannelSettings, facts: Facts<'_>) -> Item {
    let id = ItemId::Skills;
    if settings.skills.is_empty() {
        let suggestions: Vec<_> =
            facts.catalog.iter().filter(|s| s.channels.contains(&kind)).map(|s| s.id.as_str()).collect();
        return item(
            id,
            true,
            false,
            format!("Enable at least one skill for this channel (skills), e.g. {}.", suggestions.join(", ")),
        );
    }
    let mut problems = Vec::new();
    for skill_id in &settings.skills {
        match facts.catalog.get(skill_id) {
            None => problems.push(format!("{skill_id} no longer exists; remove it")),
            Some(skill) if !skill.channels.contains(&kind) => {
                problems.push(format!("{skill_id} does not run on {}; remove it", kind.as_str()))
            }
            Some(skill) => {
                let unmet: Vec<_> = skill.prerequisites.iter().filter_map(|p| facts.capabilities.unmet(*p)).collect();
                if !unmet.is_empty() {
                    problems.push(format!("{skill_id} needs {}", unmet.join(" and ")));
                }
            }
        }
    }
    if problems.is_empty() {
        item(id, true, true, format!("Enabled: {}.", settings.skills.join(", ")))
    } else {
        item(id, true, false, format!("{}.", problems.join("; ")))
    }
}

fn handoff(settings: &ChannelSettings, capabilities: &Capabilities) -> Item {
    let id = ItemId::Handoff;
    let Some(h) = &settings.handoff else {
        return item(
            id,
            true,
            false,
            "Choose what happens to what the agent can't answer (handoff.action: helpdesk, queue or static) and \
             write the message the customer gets.",
        );
    };
    let mut missing = Vec::new();
    if h.action == HandoffAction::Helpdesk {
        match &h.helpdesk {
            None => missing.push("choose the helpdesk tickets go to (handoff.helpdesk)".to_owned()),
            Some(name) if !capabilities.helpdesks.contains(name) => missing.push(format!(
                "the helpdesk integration {name:?} is not configured and verified; set it up or pick queue or static"
            )),
            Some(_) => {}
        }
    }
    if h.message.is_none() {
        missing.push("write the handoff message the customer gets (handoff.message)".to_owned());
    }
    if !missing.is_empty() {
        let mut detail = missing.join("; ");
        detail[..1].make_ascii_uppercase();
        return item(id, true, false, format!("{detail}."));
    }
    let target = match h.action {
        HandoffAction::Helpdesk => format!("a ticket in {}", h.helpdesk.as_deref().unwrap_or("the helpdesk")),
        HandoffAction::Queue => "the counselor queue".to_owned(),
        HandoffAction::Static => "a static reply, not forwarded".to_owned(),
    };
    item(id, true, true, format!("Handed-off conversations go to {target}."))
}

fn handoff_tested(settings: &ChannelSettings, checks: &Checks) -> Item {
    let id = ItemId::HandoffTested;
    if settings.handoff.is_none() {
        return item(id, false, false, "Configure the handoff, then run a test handoff.");
    }
    match (checks.handoff_tested_at, checks.handoff_changed_at) {
        (Some(tested), changed) if changed.is_none_or(|c| tested >= c) => {
            item(id, false, true, format!("A test handoff succeeded at {}.", tested.format("%Y-%m-%d %H:%M UTC")))
        }
        (Some(_), _) => {
            item(id, false, false, "The handoff settings changed since the last test; test the handoff again.")
        }
        (None, _) => item(id, false, false, "Run a test handoff to see the customer's message and where it goes."),
    }
}

fn preview_tested(checks: &Checks) -> Item {
    let id = ItemId::PreviewTested;
    match (checks.preview_tested_at, checks.config_changed_at) {
        (Some(tested), changed) if changed.is_none_or(|c| tested >= c) => {
            item(id, false, true, format!("Previewed at {}.", tested.format("%Y-%m-%d %H:%M UTC")))
        }
        (Some(_), _) => {
            item(id, false, false, "The configuration changed since the last preview; try the agent again.")
        }
        (None, _) => item(id, false, false, "Try the agent in the preview panel before turning it on."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::HandoffSettings;
    use crate::skills::{Localized, Skill};

    fn catalog() -> Catalog {
        let skill = |id: &str, prerequisites| Skill {
            id: id.into(),
            action: crate::skills::Action::Reply,
            channels: vec![ChannelKind::Webchat, ChannelKind::Sms],
            prerequisites,
            name: Localized { en: id.into(), ko: id.into() },
            description: Localized { en: id.into(), ko: id.into() },
            offer: None,
            article: None,
            examples: Default::default(),
        };
        Catalog::from_skills([skill("greeting", vec![]), skill("order_tracking", vec![Prerequisite::Commerce])])
    }

    fn demo() -> Capabilities {
        Capabilities { commerce: Some("demo shop".into()), knowledge_articles: 3, helpdesks: vec![] }
    }

    fn ids(items: &[Item]) -> Vec<&'static str> {
        blocking(items).into_iter().map(ItemId::as_str).collect()
    }

    fn facts<'a>(catalog: &'a Catalog, caps: &'a Capabilities, seen: &'a [String]) -> Facts<'a> {
        Facts { catalog, capabilities: caps, seen_origins: seen, twilio_fingerprint: None }
    }

    fn configured() -> ChannelSettings {
        ChannelSettings {
            intro_message: Some("안녕하세요, 무엇을 도와드릴까요?".into()),
            allowed_origins: vec!["https://shop.example".into()],
            skills: vec!["greeting".into(), "order_tracking".into()],
            handoff: Some(HandoffSettings {
                action: HandoffAction::Queue,
                message: Some("상담원을 연결해 드릴게요.".into()),
                ..HandoffSettings::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_fresh_channel_blocks_on_every_required_item() {
        let (catalog, caps) = (catalog(), demo());
        let web = evaluate(
            ChannelKind::Webchat,
            &ChannelSettings::default(),
            &Checks::default(),
            facts(&catalog, &caps, &[]),
        );
        assert_eq!(ids(&web), ["channel_setup", "intro_message", "skills", "handoff"]);
        let sms =
            evaluate(ChannelKind::Sms, &ChannelSettings::default(), &Checks::default(), facts(&catalog, &caps, &[]));
        assert_eq!(ids(&sms), ["channel_setup", "skills", "handoff"]);
        assert!(sms[0].detail.contains("twilio_account_sid, twilio_auth_token, phone_number"), "{}", sms[0].detail);
        let recommended: Vec<_> = web.iter().filter(|i| !i.required).map(|i| i.id.as_str()).collect();
        assert_eq!(recommended, ["handoff_tested", "preview_tested"]);
    }

    #[test]
    fn the_widget_counts_only_on_an_allowed_origin() {
        let (catalog, caps) = (catalog(), demo());
        let elsewhere = ["https://other.example".to_owned()];
        let items =
            evaluate(ChannelKind::Webchat, &configured(), &Checks::default(), facts(&catalog, &caps, &elsewhere));
        assert_eq!(ids(&items), ["channel_setup"]);
        assert!(items[0].detail.contains("https://shop.example"), "{}", items[0].detail);
        let there = ["https://shop.example".to_owned()];
        let items = evaluate(ChannelKind::Webchat, &configured(), &Checks::default(), facts(&catalog, &caps, &there));
        assert!(ids(&items).is_empty(), "{items:#?}");
    }

    #[test]
    fn skills_need_their_prerequisites() {
        let catalog = catalog();
        let none = Capabilities::default();
        let there = ["https://shop.example".to_owned()];
        let items = evaluate(ChannelKind::Webchat, &configured(), &Checks::default(), facts(&catalog, &none, &there));
        assert_eq!(ids(&items), ["skills"]);
        assert_eq!(items[2].detail, "order_tracking needs a commerce integration.");
    }

    #[test]
    fn an_intro_in_one_language_is_written() {
        let (catalog, caps) = (catalog(), demo());
        let there = ["https://shop.example".to_owned()];
        let english = crate::locale::LocalizedText::per_language(None, Some("Hi! How can I help?".into()));
        let s = ChannelSettings { intro_message: english, ..configured() };
        let items = evaluate(ChannelKind::Webchat, &s, &Checks::default(), facts(&catalog, &caps, &there));
        let intro = items.iter().find(|i| i.id == ItemId::IntroMessage).unwrap();
        assert!(intro.done && intro.detail.contains("en: Hi! How can I help?"), "{intro:?}");
    }

    #[test]
    fn handoff_needs_a_message_and_a_verified_helpdesk() {
        let (catalog, caps) = (catalog(), demo());
        let there = ["https://shop.example".to_owned()];
        let mut s = configured();
        s.handoff = Some(HandoffSettings {
            action: HandoffAction::Helpdesk,
            helpdesk: Some("zendesk".into()),
            ..HandoffSettings::default()
        });
        let items = evaluate(ChannelKind::Webchat, &s, &Checks::default(), facts(&catalog, &caps, &there));
        let handoff = items.iter().find(|i| i.id == ItemId::Handoff).unwrap();
        assert!(!handoff.done);
        assert!(
            handoff.detail.starts_with("The helpdesk integration \"zendesk\" is not configured"),
            "{}",
            handoff.detail
        );
        assert!(handoff.detail.contains("handoff.message"), "{}", handoff.detail);
        let verified = Capabilities { helpdesks: vec!["zendesk".into()], ..demo() };
        s.handoff.as_mut().unwrap().message = Some("We'll email you within a day.".into());
        let items = evaluate(ChannelKind::Webchat, &s, &Checks::default(), facts(&catalog, &verified, &there));
        assert!(ids(&items).is_empty(), "{items:#?}");
    }

    #[test]
    fn sms_setup_follows_the_verification_of_the_current_settings() {
        let (catalog, caps) = (catalog(), demo());
        let s = ChannelSettings { skills: vec!["greeting".into()], ..configured() };
        let check = |verified, fingerprint: &str| Checks {
            twilio: Some(TwilioCheck {
                checked_at: DateTime::UNIX_EPOCH,
                fingerprint: fingerprint.into(),
                verified,
                reason: (!verified).then(|| "number_not_found".into()),
                detail: if verified { "+15551234567 is verified".into() } else { "not on the account".into() },
                last_error: None,
            }),
            ..Default::default()
        };
        let with = |fp| Facts { twilio_fingerprint: Some(fp), ..facts(&catalog, &caps, &[]) };
        assert!(evaluate(ChannelKind::Sms, &s, &check(true, "a"), with("a"))[0].done);
        let failed = &evaluate(ChannelKind::Sms, &s, &check(false, "a"), with("a"))[0];
        assert_eq!((failed.done, failed.detail.as_str()), (false, "not on the account"));
        let stale = &evaluate(ChannelKind::Sms, &s, &check(true, "a"), with("b"))[0];
        assert!(!stale.done && stale.detail.contains("not been verified"), "{}", stale.detail);
    }

    #[test]
    fn tests_count_only_after_the_last_change() {
        let t = |m: i64| DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(m);
        let s = configured();
        let fresh = Checks {
            handoff_changed_at: Some(t(1)),
            handoff_tested_at: Some(t(2)),
            config_changed_at: Some(t(3)),
            preview_tested_at: Some(t(4)),
            ..Default::default()
        };
        assert!(handoff_tested(&s, &fresh).done && preview_tested(&fresh).done);
        let stale = Checks { handoff_changed_at: Some(t(5)), config_changed_at: Some(t(5)), ..fresh };
        assert!(!handoff_tested(&s, &stale).done && !preview_tested(&stale).done);
        assert!(stale.handoff_tested_at.is_some());
    }
}
