//! The agent on live traffic: which messages it answers, and delivering to real customers.
//!
//! A customer message is answered when its channel is live, it arrived after the agent was
//! turned on ([`crate::launch::agent_may_answer`]), the room is still with the bot and no handoff
//! was decided for it. Messages of one room are answered one at a time, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::deliver::{DeliveryError, Sink, converse};
use super::{Agent, CustomerInfo, Outcome, Turn};
use crate::channels::{ChannelKind, HandoffAction, HandoffSettings};
use crate::clock::Clock;
use crate::events::{ConsoleEvent, Hub};
use crate::handoff::NewHandoff;
use crate::handoff::outbox::{HandoffOutbox, notice};
use crate::handoff::ticket::{self, MAX_TRANSCRIPT_LINES, TicketCustomer, TicketInput, customer_name};
use crate::ids::{HandoffId, MessageId, RoomId, WorkspaceId};
use crate::launch::agent_may_answer;
use crate::locale::Locale;
use crate::rooms::{Author, Message, NewMessage, Room, RoomStatus};
use crate::sms::inbound::SmsContext;
use crate::sms::outbound;
use crate::sms::outbox::Outbox;
use crate::store::{Notice, Store, StoreError};

/// What answering live needs.
#[derive(Clone)]
pub struct LiveAgent {
    /// The agent.
    pub agent: Agent,
    /// The store.
    pub store: Arc<dyn Store>,
    /// Wake-ups for live streams.
    pub hub: Arc<Hub>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// SMS sending.
    pub outbox: Outbox,
    /// Helpdesk tickets.
    pub handoffs: HandoffOutbox,
    locks: Arc<Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl LiveAgent {
    /// A live agent over the engine's parts.
    pub fn new(
        agent: Agent,
        store: Arc<dyn Store>,
        hub: Arc<Hub>,
        clock: Arc<dyn Clock>,
        outbox: Outbox,
        handoffs: HandoffOutbox,
    ) -> Self {
        Self { agent, store, hub, clock, outbox, handoffs, locks: Arc::default() }
    }

    /// Answers `message` of `room`, on channel `kind`, in the background.
    pub fn spawn(&self, ws: WorkspaceId, room: RoomId, kind: ChannelKind, message: Message) {
        if message.author != Author::Customer {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            // Most traffic arrives on channels whose agent is off: one read settles it.
            match this.store.launch_state(ws, kind).await {
                Ok((state, activated_at)) if agent_may_answer(state, activated_at, message.created_at) => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(error = %e, %room, "the agent could not read the channel");
                    return;
                }
            }
            match this.answer(ws, room, &message).await {
                Ok(Some(outcome)) => tracing::debug!(%room, trace = ?outcome.trace, "answered"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, %room, "the agent could not answer"),
            }
        });
    }

    /// Answers what a crash or a restart left unanswered: the last customer message of every room
    /// still with the bot, received within `window`. Returns how many were answered.
    pub async fn answer_unanswered(&self, window: chrono::TimeDelta) -> Result<usize, DeliveryError> {
        let since = self.clock.now() - window;
        let rooms = self.store.unanswered(since, 1_000).await.map_err(stored)?;
        let mut answered = 0;
        for (ws, room) in rooms {
            let last = self.store.recent_messages(ws, room, 1).await.map_err(stored)?;
            if let Some(message) = last.into_iter().next()
                && self.answer_if(ws, room, &message, true).await?.is_some()
            {
                answered += 1;
            }
        }
        if answered > 0 {
            tracing::info!(answered, "answered messages left from before the start");
        }
        Ok(answered)
    }

    /// Answers `message` if the agent may; `None` when it may not.
    #[tracing::instrument(skip_all, fields(workspace = %ws, room = %room_id))]
    pub async fn answer(
        &self,
        ws: WorkspaceId,
        room_id: RoomId,
        message: &Message,
    ) -> Result<Option<Outcome>, DeliveryError> {
        self.answer_if(ws, room_id, message, false).await
    }

    /// [`LiveAgent::answer`]; with `only_if_latest`, only while nothing came after the message
    /// (so a catch-up never answers what the live path already did).
    async fn answer_if(
        &self,
        ws: WorkspaceId,
        room_id: RoomId,
        message: &Message,
        only_if_latest: bool,
    ) -> Result<Option<Outcome>, DeliveryError> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            Arc::clone(locks.entry(room_id).or_default())
        };
        let _turn = lock.lock().await;
        let store = self.store.as_ref();
        let room = store.room(ws, room_id).await.map_err(stored)?;
        let channel = store.channel(ws, room.channel).await.map_err(stored)?;
        if message.author != Author::Customer
            || !agent_may_answer(channel.state, channel.activated_at, message.created_at)
            || room.status != RoomStatus::Bot
            || (only_if_latest && room.last_seq != message.seq)
            || store.handoff_of(ws, room_id).await.map_err(stored)?.is_some()
        {
            return Ok(None);
        }
        let state = store.agent_state(ws, room_id).await.map_err(stored)?.unwrap_or_default();
        let customer = CustomerInfo {
            name: room.customer.name.clone(),
            email: room.customer.email.clone(),
            phone: room.customer.phone.clone(),
        };
        let turn =
            Turn { channel: room.channel, settings: &channel.settings, customer: &customer, text: &message.text };
        let sink = Deliver {
            live: self,
            ws,
            room: &room,
            handoff: channel.settings.handoff.clone().unwrap_or_default(),
            trigger: message.id,
        };
        let outcome = converse(&self.agent, &turn, state, &sink).await?;
        store.save_agent_state(ws, room_id, &outcome.state).await.map_err(stored)?;
        metrics::counter!("sangdam_agent_answers_total", "channel" => room.channel.as_str(),
            "handoff" => outcome.trace.handoff.as_ref().map_or("none", |h| h.reason.as_str()))
        .increment(1);
        Ok(Some(outcome))
    }
}

fn stored(e: StoreError) -> DeliveryError {
    DeliveryError(format!("store: {e}"))
}

/// Delivers to the room's customer: a bot message on webchat, a text through the outbox on SMS.
struct Deliver<'a> {
    live: &'a LiveAgent,
    ws: WorkspaceId,
    room: &'a Room,
    handoff: HandoffSettings,
    trigger: MessageId,
}

#[async_trait]
impl Sink for Deliver<'_> {
    async fn handoff(&self, outcome: &Outcome) -> Result<(), DeliveryError> {
        let Some(decision) = &outcome.trace.handoff else { return Ok(()) };
        let live = self.live;
        let now = live.clock.now();
        let id = HandoffId::new();
        let room = self.room;
        let action = self.handoff.action;
        let ticket = match (action, &self.handoff.helpdesk) {
            (HandoffAction::Helpdesk, Some(helpdesk)) => {
                let messages =
                    live.store.recent_messages(self.ws, room.id, MAX_TRANSCRIPT_LINES as i64).await.map_err(stored)?;
                let c = &room.customer;
                let customer = TicketCustomer {
                    id: c.id.to_string(),
                    name: customer_name(c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()),
                    email: c.email.clone(),
                    phone: c.phone.clone(),
                };
                let draft = ticket::draft(TicketInput {
                    id,
                    room_id: room.id.to_string(),
                    channel: room.channel,
                    customer,
                    messages: &messages,
                    reason: decision.reason,
                    detail: &decision.detail,
                    trace: &outcome.trace,
                    locale: outcome.trace.locale.unwrap_or(Locale::Ko),
                    test: false,
                    at: now,
                });
                Some((helpdesk.clone(), draft))
            }
            _ => None,
        };
        // A message naming the ticket waits for the ticket; the outbox sends it.
        let locale = outcome.trace.locale.unwrap_or(Locale::Ko);
        let deferred = ticket.is_some()
            && self.handoff.message.as_ref().is_some_and(|m| crate::handoff::message::mentions_ticket(m.get(locale)));
        let replies =
            if deferred { &outcome.replies[..outcome.replies.len().saturating_sub(1)] } else { &outcome.replies[..] };
        let notices: Vec<Notice> =
            replies.iter().map(|text| notice(room.channel, text, room.customer.phone.as_deref(), now)).collect();
        let record = NewHandoff {
            id,
            workspace_id: self.ws,
            room_id: room.id,
            message_id: self.trigger,
            reason: decision.reason,
            detail: decision.detail.clone(),
            trace: serde_json::to_value(&outcome.trace).unwrap_or_default(),
            action,
            notify: deferred,
            ticket,
            at: now,
        };
        let sent = live.store.record_handoff(&record, &notices).await.map_err(stored)?;
        for message in &sent {
            live.hub.publish(room.id, message.seq);
        }
        // Counselor consoles hear of the room entering the queue (or being assigned to one of them).
        live.hub.announce(self.ws, ConsoleEvent::Room { room_id: room.id });
        if room.channel == ChannelKind::Sms && !sent.is_empty() {
            live.outbox.wake();
        }
        if record.ticket.is_some() {
            live.handoffs.wake();
        }
        metrics::counter!("sangdam_handoffs_total", "reason" => decision.reason.as_str(), "action" => action_label(action))
            .increment(1);
        tracing::info!(handoff = %id, reason = decision.reason.as_str(), action = action_label(action), "handed off");
        Ok(())
    }

    async fn reply(&self, text: &str) -> Result<(), DeliveryError> {
        let live = self.live;
        let room = self.room;
        match room.channel {
            ChannelKind::Webchat => {
                let message = NewMessage {
                    id: MessageId::new(),
                    author: Author::Bot,
                    author_account_id: None,
                    text: text.to_owned(),
                    client_message_id: None,
                    created_at: live.clock.now(),
                };
                let appended = live.store.append_message(self.ws, room.id, &message).await.map_err(stored)?;
                live.hub.publish(room.id, appended.message.seq);
                Ok(())
            }
            ChannelKind::Sms => {
                let to = room
                    .customer
                    .phone
                    .as_deref()
                    .ok_or_else(|| DeliveryError("the SMS room has no phone number".into()))?;
                let cx = SmsContext {
                    store: live.store.as_ref(),
                    hub: &live.hub,
                    clock: live.clock.as_ref(),
                    outbox: &live.outbox,
                };
                outbound::send(cx, self.ws, room.id, to, text, Author::Bot, None)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError(e.to_string()))
            }
        }
    }
}

fn action_label(action: HandoffAction) -> &'static str {
    match action {
        HandoffAction::Helpdesk => "helpdesk",
        HandoffAction::Queue => "queue",
        HandoffAction::Static => "static",
    }
}
