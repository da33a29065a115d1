//! sangdam: an AI customer-agent orchestration engine.
//!
//! A brand turns on an AI agent per channel through a launch checklist; every inbound customer
//! message lands in a room, is answered by a skill or handed off to a helpdesk or to the built-in
//! counselor room queue. This crate holds the whole engine; `src/main.rs` only calls [`cli::run`].

pub mod accounts;
pub mod agent;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod commerce;
pub mod config;
pub mod events;
pub mod handoff;
pub mod http;
pub mod ids;
pub mod knowledge;
pub mod launch;
pub mod llm;
pub mod locale;
pub mod outbound;
pub mod retry_after;
pub mod rooms;
pub mod router;
pub mod secret;
pub mod simulate;
pub mod skills;
pub mod sms;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod webchat;
pub mod workspaces;
