//! Alerts' channels: where a notification may be sent (a target the
//! operator's policy allows), and how one is delivered (signed JSON, one
//! delivery id for every attempt).

pub mod deliver;
pub mod evaluate;
pub mod rules;
pub mod target;
pub mod values;

pub use deliver::{send, send_to, Attempt, Signed};
pub use target::{Target, WebhookPolicy};
