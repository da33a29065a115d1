//! Auto-close (seed 000), decided purely: which open rooms are due to close at a given moment.
//!
//! Two rules. (a) Customer silence: the last message is the counselor's (the room is answered),
//! or the AI agent's while the room is still with it, and the customer has not written for the
//! configured wait. (b) Counselor delay, optional: the last message is the customer's, the room
//! is in the counselor queue, and 1–6 days have passed since it; the rule covers only rooms whose
//! last customer message is no older than 7 days before the moment the option was switched on.
//! Held rooms never close. The store's sweep query is the SQL form of [`due`]; both are tested
//! against the seed's worked example.

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Author, RoomStatus};

/// Longest auto-close message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;
/// What is wrong with an auto-close message that breaks the rule.
pub const MESSAGE_RULE: &str = "message: give 1 to 1000 characters, or null for no message";
/// How far back the counselor-delay rule reaches from the moment it was switched on.
pub const DELAY_LOOKBACK_DAYS: i64 = 7;

/// The workspace's auto-close settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AutoCloseSettings {
    /// Rule (a): close rooms whose customer stayed silent after the counselor's or the agent's
    /// last message.
    pub enabled: bool,
    /// The wait for rule (a), in minutes (1 to 43,200 = 30 days).
    pub wait_minutes: i64,
    /// Rule (b): days (1–6) after the customer's last message before an unanswered room closes;
    /// `null` when off.
    pub counselor_delay_days: Option<i64>,
    /// When rule (b) was last switched on; set by the engine. Rooms whose last customer message is
    /// more than 7 days older than this are never closed by rule (b).
    pub counselor_delay_since: Option<DateTime<Utc>>,
    /// Message sent to the customer as a room auto-closes; none when `null`.
    pub message: Option<String>,
}

impl Default for AutoCloseSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            wait_minutes: 60,
            counselor_delay_days: None,
            counselor_delay_since: None,
            message: None,
        }
    }
}

/// Which rule closes a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// (a) the customer stayed silent after the counselor's or the agent's message.
    CustomerSilence,
    /// (b) the counselor did not answer the customer's last message in time.
    CounselorDelay,
}

/// What the rules read of a room.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoomFacts {
    /// The status.
    pub status: RoomStatus,
    /// Whether it is held (보류).
    pub hold: bool,
    /// Author of the last message.
    pub last_author: Option<Author>,
    /// Time of the last message.
    pub last_message_at: Option<DateTime<Utc>>,
}

impl AutoCloseSettings {
    /// The rule (b) window at switch-on: last customer messages from this moment on are covered.
    pub fn delay_covers_from(&self) -> Option<DateTime<Utc>> {
        self.counselor_delay_days?;
        Some(self.counselor_delay_since? - Duration::days(DELAY_LOOKBACK_DAYS))
    }

    /// Rule (a)'s cutoff: rooms whose last message is at or before it are due.
    pub fn silence_cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.enabled.then(|| now - Duration::minutes(self.wait_minutes))
    }

    /// Rule (b)'s cutoff: rooms whose last customer message is at or before it are due.
    pub fn delay_cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.counselor_delay_days.map(|days| now - Duration::days(days))
    }

    /// Checks the values a PATCH may set.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=43_200).contains(&self.wait_minutes) {
            return Err("wait_minutes: give 1 to 43200 minutes".into());
        }
        if let Some(days) = self.counselor_delay_days
            && !(1..=6).contains(&days)
        {
            return Err("counselor_delay_days: give 1 to 6 days, or null to switch the rule off".into());
        }
        if let Some(m) = &self.message
            && (m.trim().is_empty() || m.chars().count() > MAX_MESSAGE_CHARS)
        {
            return Err(MESSAGE_RULE.into());
        }
        Ok(())
    }
}

/// Whether rule (a) applies to a room in `status` whose last message is by `author`.
pub fn silence_applies(status: RoomStatus, author: Option<Author>) -> bool {
    match status {
        RoomStatus::Answered => true,
        RoomStatus::Bot => matches!(author, Some(Author::Bot | Author::System)),
        _ => false,
    }
}

/// The statuses rule (b) covers: the counselor queue, while the customer has the last word.
pub const DELAY_STATUSES: [RoomStatus; 3] = [RoomStatus::Waiting, RoomStatus::Received, RoomStatus::Inquiry];

/// The rule under which a room is due to close at `now`, if any.
pub fn due(s: &AutoCloseSettings, room: &RoomFacts, now: DateTime<Utc>) -> Option<Rule> {
    if room.hold || room.status == RoomStatus::Closed {
        return None;
    }
    let at = room.last_message_at?;
    if let Some(cutoff) = s.silence_cutoff(now)
        && silence_applies(room.status, room.last_author)
        && at <= cutoff
    {
        return Some(Rule::CustomerSilence);
    }
    if let (Some(cutoff), Some(from)) = (s.delay_cutoff(now), s.delay_covers_from())
        && room.last_author == Some(Author::Customer)
        && DELAY_STATUSES.contains(&room.status)
        && from <= at
        && at <= cutoff
    {
        return Some(Rule::CounselorDelay);
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn seoul(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Seoul.with_ymd_and_hms(2020, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    fn room(status: RoomStatus, author: Author, at: DateTime<Utc>) -> RoomFacts {
        RoomFacts { status, hold: false, last_author: Some(author), last_message_at: Some(at) }
    }

    /// Seed 000: switched on at 12/10 13:00 with one day; rooms whose last customer message is
    /// from 12/3 13:00 on close once a day has passed since it; earlier rooms never do.
    #[test]
    fn the_seeds_counselor_delay_example() {
        let s = AutoCloseSettings {
            counselor_delay_days: Some(1),
            counselor_delay_since: Some(seoul(12, 10, 13, 0)),
            ..AutoCloseSettings::default()
        };
        let now = seoul(12, 10, 13, 0);
        let on_the_edge = room(RoomStatus::Inquiry, Author::Customer, seoul(12, 3, 13, 0));
        let a_minute_early = room(RoomStatus::Inquiry, Author::Customer, seoul(12, 3, 12, 59));
        let yesterday = room(RoomStatus::Received, Author::Customer, seoul(12, 9, 13, 0));
        let an_hour_ago = room(RoomStatus::Waiting, Author::Customer, seoul(12, 10, 12, 0));
        assert_eq!(due(&s, &on_the_edge, now), Some(Rule::CounselorDelay));
        assert_eq!(due(&s, &yesterday, now), Some(Rule::CounselorDelay));
        assert_eq!(due(&s, &a_minute_early, now), None);
        assert_eq!(due(&s, &an_hour_ago, now), None);
        // A day after its last message, the newer room closes too; the early one never does.
        let later = seoul(12, 11, 12, 0);
        assert_eq!(due(&s, &an_hour_ago, later), Some(Rule::CounselorDelay));
        assert_eq!(due(&s, &a_minute_early, seoul(12, 31, 0, 0)), None);
    }

    #[test]
    fn customer_silence_follows_the_counselor_or_the_agent() {
        let s = AutoCloseSettings { enabled: true, wait_minutes: 30, ..AutoCloseSettings::default() };
        let now = seoul(12, 10, 13, 0);
        let half_hour_ago = seoul(12, 10, 12, 30);
        assert_eq!(
            due(&s, &room(RoomStatus::Answered, Author::Counselor, half_hour_ago), now),
            Some(Rule::CustomerSilence)
        );
        assert_eq!(due(&s, &room(RoomStatus::Bot, Author::Bot, half_hour_ago), now), Some(Rule::CustomerSilence));
        assert_eq!(due(&s, &room(RoomStatus::Answered, Author::Counselor, seoul(12, 10, 12, 31)), now), None);
        // The customer has the last word, or nobody replied yet: rule (a) does not apply.
        assert_eq!(due(&s, &room(RoomStatus::Inquiry, Author::Customer, half_hour_ago), now), None);
        assert_eq!(due(&s, &room(RoomStatus::Bot, Author::Customer, half_hour_ago), now), None);
        assert_eq!(due(&s, &room(RoomStatus::Waiting, Author::Bot, half_hour_ago), now), None);
        assert_eq!(due(&s, &room(RoomStatus::Received, Author::System, half_hour_ago), now), None);
        let off = AutoCloseSettings { enabled: false, ..s };
        assert_eq!(due(&off, &room(RoomStatus::Answered, Author::Counselor, half_hour_ago), now), None);
    }

    #[test]
    fn held_and_closed_rooms_never_close() {
        let s = AutoCloseSettings {
            enabled: true,
            wait_minutes: 1,
            counselor_delay_days: Some(1),
            counselor_delay_since: Some(seoul(12, 1, 0, 0)),
            message: None,
        };
        let now = seoul(12, 10, 13, 0);
        let mut held = room(RoomStatus::Answered, Author::Counselor, seoul(12, 5, 0, 0));
        held.hold = true;
        assert_eq!(due(&s, &held, now), None);
        let mut held = room(RoomStatus::Inquiry, Author::Customer, seoul(12, 5, 0, 0));
        held.hold = true;
        assert_eq!(due(&s, &held, now), None);
        assert_eq!(due(&s, &room(RoomStatus::Closed, Author::Counselor, seoul(12, 5, 0, 0)), now), None);
    }

    #[test]
    fn settings_are_checked() {
        let ok = AutoCloseSettings { counselor_delay_days: Some(6), ..AutoCloseSettings::default() };
        assert!(ok.validate().is_ok());
        assert!(AutoCloseSettings { counselor_delay_days: Some(7), ..ok.clone() }.validate().is_err());
        assert!(AutoCloseSettings { counselor_delay_days: Some(0), ..ok.clone() }.validate().is_err());
        assert!(AutoCloseSettings { wait_minutes: 0, ..ok.clone() }.validate().is_err());
        assert!(AutoCloseSettings { message: Some(" ".into()), ..ok }.validate().is_err());
    }
}
