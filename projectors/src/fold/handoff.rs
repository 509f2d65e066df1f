//! Handoffs of a session, and whether the user iterated after each: a user
//! message or a new run at t with h < t ≤ h + 4 h.

use agentmon_core::event::{EventType, HandoffTarget, MessageRole};
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long after a handoff further work still counts as iterating.
pub const ITERATION_WINDOW: Duration = Duration::hours(4);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffFold {
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub target: HandoffTarget,
    pub iterated: bool,
}

impl HandoffFold {
    pub fn is_local(&self) -> bool {
        self.target == HandoffTarget::Local
    }

    /// Whether work at `t` counts as iterating after this handoff.
    pub fn window_holds(&self, t: DateTime<Utc>) -> bool {
        t > self.at && t <= self.at + ITERATION_WINDOW
    }

    /// The handoff an event records, not yet known to be iterated.
    pub fn of(event: &StoredEvent) -> Option<HandoffFold> {
        if event.event_type != EventType::SessionHandoff {
            return None;
        }
        Some(HandoffFold {
            event_id: event.event_id,
            at: event.occurred_at,
            target: event.payload.handoff.as_ref()?.target,
            iterated: false,
        })
    }
}

/// True for the events that count as the user iterating after a handoff.
pub(super) fn is_iteration(event: &StoredEvent) -> bool {
    match event.event_type {
        EventType::RunStarted => true,
        EventType::MessageSent => event
            .payload
            .message
            .as_ref()
            .is_some_and(|m| m.role == MessageRole::User),
        _ => false,
    }
}

/// Takes in a batch's events: handoffs not yet known are added (in time
/// order), iterated when `earlier_iteration` says work already folded
/// falls in their window; iterations of the batch mark every handoff whose
/// window holds them.
pub fn take_handoffs(
    handoffs: &mut Vec<HandoffFold>,
    events: &[&StoredEvent],
    earlier_iteration: &dyn Fn(&HandoffFold) -> bool,
) {
    for event in events {
        let Some(mut h) = HandoffFold::of(event) else {
            continue;
        };
        if handoffs.iter().any(|k| k.event_id == h.event_id) {
            continue;
        }
        h.iterated = earlier_iteration(&h);
        handoffs.push(h);
    }
    handoffs.sort_by_key(|h| (h.at, h.event_id));
    for event in events.iter().filter(|e| is_iteration(e)) {
        for h in handoffs.iter_mut() {
            if h.window_holds(event.occurred_at) {
                h.iterated = true;
            }
        }
    }
}
