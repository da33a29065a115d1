//! The queue's settings (distribution, auto-close) and counselors' days (휴무일/근무 관리).
//!
//! The admin changes the settings; the admin and managers read them. Days are planned by the
//! admin for anyone and by a manager for themselves and the agents they manage (seed 002).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::{CounselorError, Counselors, Result, require};
use crate::accounts::{Account, Permission, Principal, Role};
use crate::ids::AccountId;
use crate::rooms::autoclose::{AutoCloseSettings, MAX_MESSAGE_CHARS, MESSAGE_RULE};
use crate::rooms::distribution::{CounselorDay, Day, DistributionSettings, MAX_SPANS, Method, Span, check_spans};
use crate::store::StoreError;

/// The widest window of days one read returns.
pub const MAX_DAYS: i64 = 366;

/// Distribution with the workspace's time zone, which working hours are read in.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DistributionView {
    /// The settings.
    #[serde(flatten)]
    pub settings: DistributionSettings,
    /// IANA time zone of the working hours, the days off and "today", e.g. `Asia/Seoul`.
    pub time_zone: String,
}

/// Body of `PATCH /v1/settings/distribution`; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionPatch {
    /// `manual`, `auto` or `hybrid`.
    pub method: Option<Method>,
    /// Working hours per weekday (`mon` … `sun`), `[{"start":"09:00","end":"18:00"}]`; replaces
    /// the table, and a day left out is not a working day.
    #[schemars(with = "Option<WorkingHours>")]
    pub working_hours: Option<BTreeMap<Day, Vec<Span>>>,
    /// Whole days off, local dates `YYYY-MM-DD`; replaces the list (at most 366).
    #[schemars(length(max = MAX_DAYS_OFF))]
    pub days_off: Option<Vec<NaiveDate>>,
    /// IANA time zone, e.g. `Asia/Seoul`.
    #[schemars(with = "Option<TimeZone>")]
    pub time_zone: Option<String>,
}

/// Most whole days off one workspace may list.
pub const MAX_DAYS_OFF: usize = 366;

/// How the document states the working-hours table: only weekdays as keys, each with at most 24
/// spans that end after they start and do not overlap.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct WorkingHours {
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    mon: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    tue: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    wed: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    thu: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    fri: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    sat: Vec<Span>,
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    sun: Vec<Span>,
}

/// An IANA time zone name, as the document states it: one of the names the engine knows.
struct TimeZone;

impl JsonSchema for TimeZone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        schemars::json_schema!({
            "description": "An IANA time zone name, e.g. `Asia/Seoul`.",
            "type": "string",
            "enum": names,
        })
    }
}

/// Body of `PATCH /v1/settings/auto-close`; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClosePatch {
    /// Close rooms whose customer stayed silent after the counselor's or the agent's message.
    pub enabled: Option<bool>,
    /// How long the customer may stay silent, in minutes (1–43200).
    #[schemars(range(min = 1, max = 43_200))]
    pub wait_minutes: Option<i64>,
    /// Close rooms whose customer waited this many days (1–6) for an answer; `null` switches the
    /// rule off. Switching it on covers rooms whose last customer message is at most 7 days older
    /// than that moment.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<i64>", range(min = 1, max = 6))]
    pub counselor_delay_days: Option<Option<i64>>,
    /// Message sent as a room auto-closes (1–1000 characters, not blank; stored trimmed); `null`
    /// for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(
        with = "Option<String>",
        length(max = MAX_MESSAGE_CHARS),
        regex(pattern = crate::text::NOT_BLANK_PATTERN)
    )]
    pub message: Option<Option<String>>,
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `PUT /v1/accounts/{id}/days/{date}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayPlan {
    /// `false`: the counselor takes no rooms that day (상담불가).
    pub available: bool,
    /// Breaks that day, local times `HH:MM` (at most 24, each ending after it starts, none
    /// overlapping; none on an unavailable day); no rooms are distributed during them.
    #[serde(default)]
    #[schemars(length(max = MAX_SPANS))]
    pub breaks: Vec<Span>,
}

impl Counselors<'_> {
    /// The distribution settings and the workspace's time zone.
    pub async fn distribution(&self, caller: &Principal) -> Result<DistributionView> {
        require(caller, Permission::SuperviseQueue)?;
        let ws = caller.workspace_id;
        let settings = self.store.queue_settings(ws).await?.distribution;
        Ok(DistributionView { settings, time_zone: self.store.workspace(ws).await?.time_zone })
    }

    /// Changes distribution (admin).
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn set_distribution(&self, caller: &Principal, patch: DistributionPatch) -> Result<DistributionView> {
        require(caller, Permission::ConfigureQueue)?;
        let ws = caller.workspace_id;
        let time_zone = patch.time_zone.map(|tz| valid_time_zone(&tz)).transpose()?;
        let mut settings = self.store.queue_settings(ws).await?;
        let d = &mut settings.distribution;
        if let Some(method) = patch.method {
            d.method = method;
        }
        if let Some(hours) = patch.working_hours {
            d.working_hours = hours;
        }
        if let Some(mut days) = patch.days_off {
            if days.len() > MAX_DAYS_OFF {
                return Err(CounselorError::Invalid(format!("days_off: at most {MAX_DAYS_OFF} dates")));
            }
            days.sort();
            days.dedup();
            d.days_off = days;
        }
        d.validate().map_err(CounselorError::Invalid)?;
        self.store.save_queue_settings(ws, &settings, time_zone.as_deref(), self.clock.now()).await?;
        tracing::info!(method = ?settings.distribution.method, "distribution changed");
        self.distribution(caller).await
    }

    /// The auto-close settings.
    pub async fn auto_close(&self, caller: &Principal) -> Result<AutoCloseSettings> {
        require(caller, Permission::SuperviseQueue)?;
        Ok(self.store.queue_settings(caller.workspace_id).await?.auto_close)
    }

    /// Changes auto-close (admin). Switching the counselor-delay rule on records the moment, from
    /// which its 7-day window counts (seed 000); changing its days while on keeps the moment.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn set_auto_close(&self, caller: &Principal, patch: AutoClosePatch) -> Result<AutoCloseSettings> {
        require(caller, Permission::ConfigureQueue)?;
        let ws = caller.workspace_id;
        let mut settings = self.store.queue_settings(ws).await?;
        let a = &mut settings.auto_close;
        if let Some(enabled) = patch.enabled {
            a.enabled = enabled;
        }
        if let Some(minutes) = patch.wait_minutes {
            a.wait_minutes = minutes;
        }
        if let Some(days) = patch.counselor_delay_days {
            a.counselor_delay_since = match (a.counselor_delay_days, days) {
                (_, None) => None,
                (None, Some(_)) => Some(self.clock.now()),
                (Some(_), Some(_)) => a.counselor_delay_since.or(Some(self.clock.now())),
            };
            a.counselor_delay_days = days;
        }
        if let Some(message) = patch.message {
            // Counted as sent, as the document states it; stored trimmed.
            if message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS) {
                return Err(CounselorError::Invalid(MESSAGE_RULE.into()));
            }
            a.message = message.map(|m| m.trim().to_owned());
        }
        a.validate().map_err(CounselorError::Invalid)?;
        self.store.save_queue_settings(ws, &settings, None, self.clock.now()).await?;
        tracing::info!(enabled = settings.auto_close.enabled, delay = ?settings.auto_close.counselor_delay_days, "auto-close changed");
        Ok(settings.auto_close)
    }

    /// A counselor's plans for local dates `from..=to` (today and the next 30 days by default).
    pub async fn days(
        &self,
        caller: &Principal,
        account: AccountId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<CounselorDay>> {
        let target = self.plannable(caller, account).await?;
        let tz = self.zone(caller.workspace_id).await?;
        let from = from.unwrap_or_else(|| self.clock.now().with_timezone(&tz).date_naive());
        let to = to.unwrap_or(from + Duration::days(30));
        if to < from {
            return Err(CounselorError::BadQuery(format!("to ({to}) is before from ({from})")));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(CounselorError::BadQuery(format!("from..to: at most {MAX_DAYS} days")));
        }
        Ok(self.store.counselor_days(caller.workspace_id, Some(target.id), from, to).await?)
    }

    /// Sets a counselor's plan for a date: unavailable, or available with breaks.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, account = %account, %date))]
    pub async fn set_day(
        &self,
        caller: &Principal,
        account: AccountId,
        date: NaiveDate,
        plan: DayPlan,
    ) -> Result<CounselorDay> {
        let target = self.plannable(caller, account).await?;
        check_spans(&plan.breaks).map_err(|e| CounselorError::Invalid(format!("breaks: {e}")))?;
        if !plan.available && !plan.breaks.is_empty() {
            return Err(CounselorError::Invalid("breaks: an unavailable day has no breaks".into()));
        }
        let mut breaks = plan.breaks;
        breaks.sort_by_key(|s| s.start);
        let day = CounselorDay { account_id: target.id, date, available: plan.available, breaks };
        self.store.save_counselor_day(caller.workspace_id, &day).await?;
        Ok(day)
    }

    /// Removes a counselor's plan for a date: the day is an ordinary working day again.
    pub async fn delete_day(&self, caller: &Principal, account: AccountId, date: NaiveDate) -> Result<()> {
        let target = self.plannable(caller, account).await?;
        match self.store.delete_counselor_day(caller.workspace_id, target.id, date).await {
            Err(StoreError::NotFound) => Err(CounselorError::NotFound("no plan for that date")),
            other => Ok(other?),
        }
    }

    /// The account whose days `caller` may plan: anyone's for the admin; a manager's own and
    /// their agents'. Others, and deleted accounts, are not found, as in the account routes.
    async fn plannable(&self, caller: &Principal, id: AccountId) -> Result<Account> {
        require(caller, Permission::SuperviseQueue)?;
        let account = match self.store.account(caller.workspace_id, id).await {
            Err(StoreError::NotFound) => return Err(CounselorError::NotFound("no account with that id")),
            other => other?,
        };
        let allowed = account.deleted_at.is_none()
            && (caller.role == Role::Admin
                || account.id == caller.account_id
                || (account.role == Role::Agent && account.manager_id == Some(caller.account_id)));
        if allowed { Ok(account) } else { Err(CounselorError::NotFound("no account with that id")) }
    }
}

/// An IANA time zone name.
pub fn valid_time_zone(name: &str) -> Result<String> {
    name.parse::<Tz>().map(|tz| tz.name().to_owned()).map_err(|_| {
        CounselorError::Invalid(format!("time_zone: {name:?} is not an IANA time zone such as Asia/Seoul"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(valid_time_zone("Asia/Seoul").unwrap(), "Asia/Seoul");
        assert!(valid_time_zone(" Asia/Seoul ").is_err(), "a name is taken as sent, as the document lists it");
        assert!(valid_time_zone("Mars/Base").unwrap_err().to_string().contains("Mars/Base"));
        assert!(valid_time_zone("").is_err());
    }

    #[test]
    fn auto_close_patches_tell_null_from_absent() {
        let p: AutoClosePatch = serde_json::from_str(r#"{"counselor_delay_days": null}"#).unwrap();
        assert_eq!(p.counselor_delay_days, Some(None));
        let p: AutoClosePatch = serde_json::from_str(r#"{"enabled": true}"#).unwrap();
        assert_eq!(p.counselor_delay_days, None);
        assert!(serde_json::from_str::<AutoClosePatch>(r#"{"wait": 5}"#).unwrap_err().to_string().contains("wait"));
    }
}
