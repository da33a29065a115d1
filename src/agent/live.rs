//! The agent on live traffic: which messages it answers, and delivering to real customers.
//!
//! A customer message is answered when its channel is live, it arrived after the agent was
//! turned on ([`crate::launch::agent_may_answer`]), the room is still with the bot and no handoff
//! was decided for it. Messages of one room are answered one at a time, in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::deliver::{DeliveryError, Sink, converse};
use super::{Agent, CustomerInfo, HandoffDecision, Outcome, Trace, Turn};
use crate::channels::ChannelKind;
use crate::clock::Clock;
use crate::events::Hub;
use crate::ids::{HandoffId, MessageId, RoomId, WorkspaceId};
use crate::launch::agent_may_answer;
use crate::rooms::{Author, Message, NewMessage, RoomStatus};
use crate::sms::inbound::SmsContext;
use crate::sms::outbound;
use crate::sms::outbox::Outbox;
use crate::store::{Store, StoreError};
use crate::handoff::NewHandoff;
use crate::channels::HandoffAction;

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
    locks: Arc<Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl LiveAgent {
    /// A live agent over the engine's parts.
    pub fn new(agent: Agent, store: Arc<dyn Store>, hub: Arc<Hub>, clock: Arc<dyn Clock>, outbox: Outbox) -> Self {
        Self { agent, store, hub, clock, outbox, locks: Arc::default() }
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
            room: room_id,
            channel: room.channel,
            phone: room.customer.phone.clone(),
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
    room: RoomId,
    channel: ChannelKind,
    phone: Option<String>,
    trigger: MessageId,
}

#[async_trait]
impl Sink for Deliver<'_> {
    async fn handoff(&self, decision: &HandoffDecision, trace: &Trace) -> Result<(), DeliveryError> {
        let record = NewHandoff {
            id: HandoffId::new(),
            workspace_id: self.ws,
            room_id: self.room,
            message_id: self.trigger,
            reason: decision.reason,
            detail: decision.detail.clone(),
            trace: serde_json::to_value(trace).unwrap_or_default(),
            action: HandoffAction::Queue,
            ticket: None,
            at: self.live.clock.now(),
        };
        self.live.store.record_handoff(&record, &[]).await.map(|_| ()).map_err(stored)
    }

    async fn reply(&self, text: &str) -> Result<(), DeliveryError> {
        let live = self.live;
        match self.channel {
            ChannelKind::Webchat => {
                let message = NewMessage {
                    id: MessageId::new(),
                    author: Author::Bot,
                    author_account_id: None,
                    text: text.to_owned(),
                    client_message_id: None,
                    created_at: live.clock.now(),
                };
                let appended = live.store.append_message(self.ws, self.room, &message).await.map_err(stored)?;
                live.hub.publish(self.room, appended.message.seq);
                Ok(())
            }
            ChannelKind::Sms => {
                let to =
                    self.phone.as_deref().ok_or_else(|| DeliveryError("the SMS room has no phone number".into()))?;
                let cx = SmsContext {
                    store: live.store.as_ref(),
                    hub: &live.hub,
                    clock: live.clock.as_ref(),
                    outbox: &live.outbox,
                };
                outbound::send(cx, self.ws, self.room, to, text, Author::Bot, None)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError(e.to_string()))
            }
        }
    }
}
