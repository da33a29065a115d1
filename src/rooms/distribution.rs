//! Distribution: who gets a room entering the queue (seed 001, seed 002), decided purely.
//!
//! `manual` leaves every room waiting for a counselor to take it. `auto` gives it to the
//! available counselor with the fewest rooms in progress. `hybrid` is `auto` inside the
//! workspace's working hours and `manual` outside them or when nobody is available. Counselors
//! set to "not counselling" are never candidates; a counselor's day may be marked unavailable or
//! carry breaks. The store calls [`decide`] inside the transaction that holds the workspace's
//! distribution lock, so concurrent hand-offs see each other's assignments.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

/// How rooms entering the queue are distributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every room waits; any counselor may take it (수동배분).
    #[default]
    Manual,
    /// Evenly by rooms in progress among available counselors (자동배분).
    Auto,
    /// `auto` inside working hours, `manual` outside them or when nobody is available.
    Hybrid,
}

/// A stretch of local time, `"09:00"` to `"18:00"`; `end` after `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Start, local time `HH:MM`.
    #[schemars(with = "String", regex(pattern = hhmm::PATTERN))]
    #[serde(with = "hhmm")]
    pub start: NaiveTime,
    /// End (exclusive), local time `HH:MM`; `24:00` is not accepted, use `23:59`.
    #[schemars(with = "String", regex(pattern = hhmm::PATTERN))]
    #[serde(with = "hhmm")]
    pub end: NaiveTime,
}

impl Span {
    fn contains(&self, t: NaiveTime) -> bool {
        self.start <= t && t < self.end
    }
}

/// The workspace's distribution settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionSettings {
    /// `manual`, `auto` or `hybrid`.
    pub method: Method,
    /// Working hours per weekday (`mon` … `sun`), in the workspace's time zone; a day left out
    /// is not a working day.
    pub working_hours: BTreeMap<Day, Vec<Span>>,
    /// Whole days off (holidays), local dates.
    #[serde(default)]
    pub days_off: Vec<NaiveDate>,
}

impl Default for DistributionSettings {
    fn default() -> Self {
        let nine_to_six = vec![Span {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
        }];
        Self {
            method: Method::Manual,
            working_hours: [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
                .into_iter()
                .map(|d| (d, nine_to_six.clone()))
                .collect(),
            days_off: Vec::new(),
        }
    }
}

/// A weekday key of the working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Weekday> for Day {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

impl DistributionSettings {
    /// Checks the spans: each ends after it starts, and a day's spans do not overlap.
    pub fn validate(&self) -> Result<(), String> {
        for (day, spans) in &self.working_hours {
            check_spans(spans).map_err(|e| format!("working_hours.{}: {e}", day_name(*day)))?;
        }
        if self.days_off.len() > 366 {
            return Err("days_off: at most 366 dates".into());
        }
        Ok(())
    }

    /// Whether `now` falls inside the working hours, in time zone `tz`.
    pub fn in_working_hours(&self, tz: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&tz);
        if self.days_off.contains(&local.date_naive()) {
            return false;
        }
        self.working_hours
            .get(&Day::from(local.weekday()))
            .is_some_and(|spans| spans.iter().any(|s| s.contains(local.time())))
    }
}

/// Most spans one day may have.
pub const MAX_SPANS: usize = 24;

/// Checks a list of spans: each ends after it starts; none overlap.
pub fn check_spans(spans: &[Span]) -> Result<(), String> {
    let mut sorted = spans.to_vec();
    sorted.sort_by_key(|s| s.start);
    for s in &sorted {
        if s.end <= s.start {
            return Err(format!("{} to {} ends before it starts", s.start.format("%H:%M"), s.end.format("%H:%M")));
        }
    }
    if let Some(w) = sorted.windows(2).find(|w| w[1].start < w[0].end) {
        return Err(format!("{} overlaps the span before it", w[1].start.format("%H:%M")));
    }
    if spans.len() > MAX_SPANS {
        return Err(format!("at most {MAX_SPANS} spans"));
    }
    Ok(())
}

fn day_name(d: Day) -> &'static str {
    match d {
        Day::Mon => "mon",
        Day::Tue => "tue",
        Day::Wed => "wed",
        Day::Thu => "thu",
        Day::Fri => "fri",
        Day::Sat => "sat",
        Day::Sun => "sun",
    }
}

/// One counselor's plan for one local date (휴무일/근무 관리): unavailable, or available with breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CounselorDay {
    /// The counselor.
    pub account_id: AccountId,
    /// The local date.
    pub date: NaiveDate,
    /// `false`: the counselor takes no rooms that day (상담불가).
    pub available: bool,
    /// Breaks that day, local times; no rooms are distributed during them.
    pub breaks: Vec<Span>,
}

/// A counselor distribution could pick: certified, not deleted, counselling.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The counselor.
    pub account_id: AccountId,
    /// Rooms they have in progress (received, inquiry, answered).
    pub load: i64,
    /// Their plan for today, if one was set.
    pub today: Option<CounselorDay>,
}

/// What distribution decided for a room entering the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Give the room to this counselor.
    Assign(AccountId),
    /// Leave the room waiting, and why.
    Wait(WaitReason),
}

/// Why a room was left waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Distribution is manual.
    Manual,
    /// Hybrid distribution, outside working hours.
    OutsideHours,
    /// No counselor is counselling and available now.
    NobodyAvailable,
}

/// Whether a counselor with `today`'s plan takes rooms at local time `t`.
pub fn available(today: Option<&CounselorDay>, t: NaiveTime) -> bool {
    match today {
        None => true,
        Some(day) => day.available && !day.breaks.iter().any(|b| b.contains(t)),
    }
}

/// Decides who gets a room entering the queue at `now`.
pub fn decide(settings: &DistributionSettings, tz: Tz, now: DateTime<Utc>, candidates: &[Candidate]) -> Decision {
    match settings.method {
        Method::Manual => return Decision::Wait(WaitReason::Manual),
        Method::Hybrid if !settings.in_working_hours(tz, now) => return Decision::Wait(WaitReason::OutsideHours),
        Method::Auto | Method::Hybrid => {}
    }
    let local = now.with_timezone(&tz);
    candidates
        .iter()
        .filter(|c| available(c.today.as_ref().filter(|d| d.date == local.date_naive()), local.time()))
        .min_by_key(|c| (c.load, c.account_id))
        .map_or(Decision::Wait(WaitReason::NobodyAvailable), |c| Decision::Assign(c.account_id))
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format("%H:%M"))
    }

    /// A time of day as the API writes one: two digits each.
    pub const PATTERN: &str = "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$";

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        let b = text.as_bytes();
        let shape = b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
        shape
            .then(|| NaiveTime::parse_from_str(&text, "%H:%M").ok())
            .flatten()
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a time of day HH:MM")))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn seoul(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Seoul.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    fn candidates(loads: &[i64]) -> Vec<Candidate> {
        let mut ids: Vec<AccountId> = loads.iter().map(|_| AccountId::new()).collect();
        ids.sort();
        ids.into_iter().zip(loads).map(|(account_id, &load)| Candidate { account_id, load, today: None }).collect()
    }

    fn with(method: Method) -> DistributionSettings {
        DistributionSettings { method, ..DistributionSettings::default() }
    }

    #[test]
    fn manual_always_waits() {
        let c = candidates(&[0]);
        assert_eq!(
            decide(&with(Method::Manual), chrono_tz::Asia::Seoul, seoul(2026, 11, 23, 10, 0), &c),
            Decision::Wait(WaitReason::Manual)
        );
    }

    #[test]
    fn auto_picks_the_lightest_load_and_breaks_ties_by_id() {
        let c = candidates(&[3, 1, 1, 2]);
        let now = seoul(2026, 11, 22, 3, 0); // a Sunday night: auto ignores working hours
        assert_eq!(decide(&with(Method::Auto), chrono_tz::Asia::Seoul, now, &c), Decision::Assign(c[1].account_id));
        assert_eq!(
            decide(&with(Method::Auto), chrono_tz::Asia::Seoul, now, &[]),
            Decision::Wait(WaitReason::NobodyAvailable)
        );
    }

    #[test]
    fn hybrid_waits_outside_working_hours_and_on_days_off() {
        let c = candidates(&[0]);
        let tz = chrono_tz::Asia::Seoul;
        let monday_ten = seoul(2026, 11, 23, 10, 0);
        assert_eq!(decide(&with(Method::Hybrid), tz, monday_ten, &c), Decision::Assign(c[0].account_id));
        assert_eq!(
            decide(&with(Method::Hybrid), tz, seoul(2026, 11, 23, 18, 0), &c),
            Decision::Wait(WaitReason::OutsideHours)
        );
        assert_eq!(
            decide(&with(Method::Hybrid), tz, seoul(2026, 11, 22, 10, 0), &c),
            Decision::Wait(WaitReason::OutsideHours)
        );
        let holiday = DistributionSettings {
            days_off: vec![NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()],
            ..with(Method::Hybrid)
        };
        assert_eq!(decide(&holiday, tz, monday_ten, &c), Decision::Wait(WaitReason::OutsideHours));
        // The same instant is Sunday evening in New York: hours are the workspace's local time.
        assert!(!with(Method::Hybrid).in_working_hours(chrono_tz::America::New_York, monday_ten));
    }

    #[test]
    fn unavailable_days_and_breaks_skip_a_counselor() {
        let tz = chrono_tz::Asia::Seoul;
        let now = seoul(2026, 11, 23, 12, 30);
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut c = candidates(&[0, 5]);
        let lunch =
            Span { start: NaiveTime::from_hms_opt(12, 0, 0).unwrap(), end: NaiveTime::from_hms_opt(13, 0, 0).unwrap() };
        c[0].today = Some(CounselorDay { account_id: c[0].account_id, date, available: true, breaks: vec![lunch] });
        assert_eq!(decide(&with(Method::Hybrid), tz, now, &c), Decision::Assign(c[1].account_id));
        assert_eq!(
            decide(&with(Method::Hybrid), tz, seoul(2026, 11, 23, 13, 0), &c),
            Decision::Assign(c[0].account_id)
        );
        c[1].today = Some(CounselorDay { account_id: c[1].account_id, date, available: false, breaks: vec![] });
        assert_eq!(decide(&with(Method::Auto), tz, now, &c), Decision::Wait(WaitReason::NobodyAvailable));
        // A plan for another date does not apply today.
        c[1].today.as_mut().unwrap().date = date.succ_opt().unwrap();
        assert_eq!(decide(&with(Method::Auto), tz, now, &c), Decision::Assign(c[1].account_id));
    }

    #[test]
    fn spans_are_checked() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(check_spans(&[Span { start: t(9), end: t(12) }, Span { start: t(13), end: t(18) }]).is_ok());
        assert!(check_spans(&[Span { start: t(12), end: t(9) }]).unwrap_err().contains("ends before"));
        assert!(check_spans(&[Span { start: t(9), end: t(13) }, Span { start: t(12), end: t(18) }]).is_err());
        let parsed: Span = serde_json::from_str(r#"{"start":"09:30","end":"18:00"}"#).unwrap();
        assert_eq!(parsed.start, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert!(serde_json::from_str::<Span>(r#"{"start":"9h","end":"18:00"}"#).is_err());
    }
}
