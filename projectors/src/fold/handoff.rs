//! Handoffs of a session, and whether the user iterated after each: a user
//! message or a new run at t with h < t ≤ h + 4 h.

use agentmon_core::event::{EventType, HandoffTarget, MessageRole};
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long after a handoff further work still counts as iterating.
pub const ITERATION_WINDOW: Duration = Duration::hours(4);

#[derive(Debug, Clone, PartialEq)]
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
}

/// `sorted` holds the session's events by occurrence time.
pub fn fold_handoffs(sorted: &[&StoredEvent]) -> Vec<HandoffFold> {
    sorted
        .iter()
        .filter(|e| e.event_type == EventType::SessionHandoff)
        .filter_map(|h| {
            let target = h.payload.handoff.as_ref()?.target;
            let iterated = sorted.iter().any(|e| {
                is_iteration(e)
                    && e.occurred_at > h.occurred_at
                    && e.occurred_at <= h.occurred_at + ITERATION_WINDOW
            });
            Some(HandoffFold {
                event_id: h.event_id,
                at: h.occurred_at,
                target,
                iterated,
            })
        })
        .collect()
}

/// True for the events that count as the user iterating after a handoff.
fn is_iteration(event: &StoredEvent) -> bool {
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
