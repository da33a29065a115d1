//! The ticket a handoff creates: subject, transcript, the customer, why, and how the agent
//! understood the conversation. Built once, when the handoff is decided, and kept with the job,
//! so every retry sends the same ticket. Adapters' body templates see it as it serializes here.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::agent::{HandoffReason, Trace};
use crate::channels::ChannelKind;
use crate::ids::HandoffId;
use crate::locale::Locale;
use crate::rooms::{Author, Message};

/// Tag every handed-off ticket carries.
pub const HANDOFF_TAG: &str = "ai_handoff";
/// Tag of tickets made by a test handoff.
pub const TEST_TAG: &str = "test";
/// Most transcript lines a ticket carries (the latest ones).
pub const MAX_TRANSCRIPT_LINES: usize = 100;

/// A ticket about to be created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TicketDraft {
    /// The idempotency key: the handoff's id, the same on every retry.
    pub key: String,
    /// One line for the helpdesk's ticket list.
    pub subject: String,
    /// The conversation, oldest first.
    pub transcript: Vec<TranscriptLine>,
    /// The conversation as plain text, one message a line with time and author.
    pub transcript_text: String,
    /// The conversation as HTML (escaped), for helpdesks that render descriptions as HTML.
    pub transcript_html: String,
    /// Who the customer is.
    pub customer: TicketCustomer,
    /// `webchat` or `sms`.
    pub channel: String,
    /// Why the agent handed off (`out_of_scope`, `explicit_request`, …).
    pub reason: String,
    /// The reason in plain words.
    pub detail: String,
    /// How the agent understood the last message.
    pub trace: serde_json::Value,
    /// `ai_handoff`, the reason, and `test` for test handoffs.
    pub tags: Vec<String>,
    /// The conversation's id in sangdam.
    pub room_id: String,
    /// The customer's language: `ko` or `en`.
    pub locale: String,
    /// Made by a test handoff, not a customer.
    pub test: bool,
    /// When the handoff was decided.
    pub created_at: DateTime<Utc>,
}

/// The customer, as far as the conversation knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TicketCustomer {
    /// sangdam's customer id; a stable external id for helpdesks that need one.
    pub id: String,
    /// Display name, or a stand-in built from the channel.
    pub name: String,
    /// Email address, if known.
    pub email: Option<String>,
    /// Phone number, if known.
    pub phone: Option<String>,
}

/// One message of the transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TranscriptLine {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// `customer`, `bot`, `counselor` or `system`.
    pub author: String,
    /// The author's display name.
    pub name: String,
    /// The text.
    pub text: String,
}

/// What a ticket is made from.
#[derive(Debug, Clone)]
pub struct TicketInput<'a> {
    /// The handoff.
    pub id: HandoffId,
    /// The conversation's id.
    pub room_id: String,
    /// The channel.
    pub channel: ChannelKind,
    /// The customer.
    pub customer: TicketCustomer,
    /// The conversation so far, oldest first, the message that led to the handoff last.
    pub messages: &'a [Message],
    /// Why.
    pub reason: HandoffReason,
    /// The reason in plain words.
    pub detail: &'a str,
    /// How the agent understood the last message.
    pub trace: &'a Trace,
    /// The customer's language.
    pub locale: Locale,
    /// A test handoff.
    pub test: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// Builds the ticket for a handoff.
pub fn draft(input: TicketInput<'_>) -> TicketDraft {
    let TicketInput { id, room_id, channel, customer, messages, reason, detail, trace, locale, test, at } = input;
    let skip = messages.len().saturating_sub(MAX_TRANSCRIPT_LINES);
    let transcript: Vec<TranscriptLine> = messages
        .iter()
        .skip(skip)
        .map(|m| TranscriptLine {
            at: m.created_at,
            author: m.author.as_str().to_owned(),
            name: author_name(m.author, &customer),
            text: m.text.clone(),
        })
        .collect();
    let line = |l: &TranscriptLine| format!("[{}] {}: {}", l.at.format("%Y-%m-%d %H:%M:%S UTC"), l.name, l.text);
    let mut transcript_text = transcript.iter().map(line).collect::<Vec<_>>().join("\n");
    if skip > 0 {
        transcript_text = format!("({skip} earlier messages not shown)\n{transcript_text}");
    }
    let transcript_html = transcript_text.split('\n').map(handlebars::html_escape).collect::<Vec<_>>().join("<br>\n");
    let last_customer = messages.iter().rev().find(|m| m.author == Author::Customer).map(|m| m.text.as_str());
    let mut tags = vec![HANDOFF_TAG.to_owned(), reason.as_str().to_owned()];
    if test {
        tags.push(TEST_TAG.to_owned());
    }
    TicketDraft {
        key: id.to_string(),
        subject: subject(channel, &customer, last_customer, test),
        transcript,
        transcript_text,
        transcript_html,
        customer,
        channel: channel.as_str().to_owned(),
        reason: reason.as_str().to_owned(),
        detail: detail.to_owned(),
        trace: serde_json::to_value(trace).unwrap_or_default(),
        tags,
        room_id,
        locale: locale.as_str().to_owned(),
        test,
        created_at: at,
    }
}

/// "[sangdam] webchat: 김해피 — 환불 규정이 궁금해요" (shortened to fit a ticket list).
fn subject(channel: ChannelKind, customer: &TicketCustomer, last: Option<&str>, test: bool) -> String {
    let prefix = if test { "[sangdam test]" } else { "[sangdam]" };
    let about: String = match last.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")) {
        Some(text) if text.chars().count() > 60 => format!("{}…", text.chars().take(60).collect::<String>()),
        Some(text) if !text.is_empty() => text,
        _ => "handed off by the AI agent".to_owned(),
    };
    format!("{prefix} {} {}: {about}", channel.as_str(), customer.name)
}

fn author_name(author: Author, customer: &TicketCustomer) -> String {
    match author {
        Author::Customer => customer.name.clone(),
        Author::Bot => "AI agent".to_owned(),
        Author::Counselor => "Counselor".to_owned(),
        Author::System => "System".to_owned(),
    }
}

/// A display name for a customer who gave none: their phone number, email or "Customer".
pub fn customer_name(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> String {
    name.or(email).or(phone).filter(|n| !n.trim().is_empty()).unwrap_or("Customer").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MessageId, RoomId};

    fn message(author: Author, text: &str, second: u32) -> Message {
        Message {
            id: MessageId::new(),
            room_id: RoomId::new(),
            seq: i64::from(second),
            author,
            author_account_id: None,
            text: text.to_owned(),
            created_at: DateTime::parse_from_rfc3339(&format!("2026-11-21T10:00:{second:02}Z")).unwrap().to_utc(),
            delivery_status: None,
            delivery_error: None,
        }
    }

    fn input<'a>(messages: &'a [Message], trace: &'a Trace, test: bool) -> TicketInput<'a> {
        TicketInput {
            id: HandoffId::new(),
            room_id: "room".into(),
            channel: ChannelKind::Webchat,
            customer: TicketCustomer {
                id: "c1".into(),
                name: "김해피".into(),
                email: Some("happy@example.com".into()),
                phone: None,
            },
            messages,
            reason: HandoffReason::ExplicitRequest,
            detail: "the customer asked for a person",
            trace,
            locale: Locale::Ko,
            test,
            at: messages.last().map(|m| m.created_at).unwrap_or_default(),
        }
    }

    #[test]
    fn a_ticket_carries_the_transcript_tags_and_subject() {
        let messages = [
            message(Author::Customer, "주문 1001 어디쯤이에요?", 1),
            message(Author::Bot, "배송 중이에요 <곧 도착>", 2),
            message(Author::Customer, "상담원   연결해주세요", 3),
        ];
        let trace = Trace { intent: Some("human_handoff".into()), confidence: 0.9, ..Trace::default() };
        let ticket = draft(input(&messages, &trace, false));
        assert_eq!(ticket.subject, "[sangdam] webchat 김해피: 상담원 연결해주세요");
        assert_eq!(ticket.tags, ["ai_handoff", "explicit_request"]);
        assert_eq!(ticket.transcript.len(), 3);
        assert_eq!(
            ticket.transcript_text.lines().nth(1),
            Some("[2026-11-21 10:00:02 UTC] AI agent: 배송 중이에요 <곧 도착>")
        );
        assert!(ticket.transcript_html.contains("배송 중이에요 &lt;곧 도착&gt;<br>"));
        assert_eq!(ticket.trace["intent"], "human_handoff");
        assert!(!ticket.test);
    }

    #[test]
    fn test_tickets_say_so_and_long_conversations_keep_their_end() {
        let mut messages: Vec<Message> = (0..(MAX_TRANSCRIPT_LINES as u32 + 5))
            .map(|i| message(Author::Customer, &format!("m{i}"), i % 60))
            .collect();
        messages.push(message(Author::Customer, &"가".repeat(80), 59));
        let ticket = draft(input(&messages, &Trace::default(), true));
        assert_eq!(ticket.tags.last().map(String::as_str), Some("test"));
        assert!(ticket.subject.starts_with("[sangdam test] webchat 김해피: 가"));
        assert!(ticket.subject.ends_with('…'));
        assert_eq!(ticket.transcript.len(), MAX_TRANSCRIPT_LINES);
        assert!(ticket.transcript_text.starts_with("(6 earlier messages not shown)"));
    }

    #[test]
    fn customers_without_a_name_are_named_by_their_contact() {
        assert_eq!(customer_name(None, None, Some("+821012345678")), "+821012345678");
        assert_eq!(customer_name(Some(" "), None, None), "Customer");
        assert_eq!(customer_name(Some("Kim"), Some("k@example.com"), None), "Kim");
    }
}
