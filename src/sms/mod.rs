//! The SMS channel: customers text a brand's Twilio number and the agent answers by text.
//!
//! The pieces here are the ones the webhook and the outbox build on: counting how many segments
//! (and so how many billed messages) a reply costs, checking that an inbound webhook really came
//! from Twilio, spotting the opt-out and help keywords carriers require us to honour, a small client
//! for the two Twilio REST calls the engine makes, and the channel-setup check an operator runs
//! before the channel can go live.

pub mod inbound;
pub mod keywords;
pub mod outbound;
pub mod outbox;
pub mod segments;
pub mod signature;
pub mod twilio;
pub mod verify;
