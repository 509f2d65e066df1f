//! The event envelope that producers send, and its validation rules
//! (SPEC section 2).

mod agents;
mod types;
mod validate;

pub use agents::{CodeChangeInput, ModelCallInput, ToolCallInput, ToolDecision};
pub use types::*;
pub use validate::{validate, Rejection, MAX_EVENTS_PER_CALL};
