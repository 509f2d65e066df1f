//! The pure part of projection: a session's read model computed from all of
//! its stored events (SPEC section 3). Being a function of the set of
//! events, it is the same whatever their arrival order or repetition.

mod day;
mod handoff;
mod run;

use std::collections::BTreeMap;

use agentmon_core::event::{EventType, RunStatus};
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use uuid::Uuid;

pub use day::day_of;
pub use handoff::HandoffFold;
pub use run::RunFold;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionFold {
    pub org_id: Uuid,
    pub session_id: String,
    pub user_id: String,
    pub started_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    /// The day of `started_at` in the org's time zone.
    pub day: NaiveDate,
    pub event_count: i64,
    pub message_count: i64,
    pub runs: BTreeMap<String, RunFold>,
    pub handoffs: Vec<HandoffFold>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Events per day, in the org's time zone: the days the user was active.
    pub events_per_day: BTreeMap<NaiveDate, i64>,
}

impl SessionFold {
    /// Folds the events of one session. `events` may come in any order.
    pub fn of(events: &[StoredEvent], tz: Tz) -> Option<SessionFold> {
        let mut sorted: Vec<&StoredEvent> = events.iter().collect();
        sorted.sort_by_key(|e| (e.occurred_at, e.event_id));
        let first = *sorted.first()?;
        let last = *sorted.last()?;

        let mut attributes = serde_json::Map::new();
        let mut events_per_day = BTreeMap::new();
        let mut message_count = 0;
        for event in &sorted {
            if let Some(serde_json::Value::Object(attrs)) = &event.payload.attributes {
                for (k, v) in attrs {
                    attributes.insert(k.clone(), v.clone());
                }
            }
            *events_per_day
                .entry(day_of(event.occurred_at, tz))
                .or_insert(0) += 1;
            if event.event_type == EventType::MessageSent {
                message_count += 1;
            }
        }
        Some(SessionFold {
            org_id: first.org_id,
            session_id: first.session_id.clone(),
            user_id: first.user_id.clone(),
            started_at: first.occurred_at,
            last_event_at: last.occurred_at,
            day: day_of(first.occurred_at, tz),
            event_count: sorted.len() as i64,
            message_count,
            runs: run::fold_runs(&sorted, tz),
            handoffs: handoff::fold_handoffs(&sorted),
            attributes,
            events_per_day,
        })
    }

    pub fn run_count(&self) -> i64 {
        self.runs.len() as i64
    }

    fn finished(&self) -> impl Iterator<Item = &RunFold> {
        self.runs
            .values()
            .filter(|r| r.status != RunStatus::Running)
    }

    pub fn count_status(&self, status: RunStatus) -> i64 {
        self.runs.values().filter(|r| r.status == status).count() as i64
    }

    pub fn cost(&self) -> Decimal {
        self.finished().map(|r| r.cost).sum()
    }

    pub fn input_tokens(&self) -> i64 {
        self.finished().map(|r| r.input_tokens).sum()
    }

    pub fn output_tokens(&self) -> i64 {
        self.finished().map(|r| r.output_tokens).sum()
    }

    /// Sum of the durations of finished runs (a missing duration counts 0).
    pub fn active_time_ms(&self) -> i64 {
        self.finished().filter_map(|r| r.duration_ms).sum()
    }

    /// At least one handoff to the user's own machine.
    pub fn handed_off(&self) -> bool {
        self.handoffs.iter().any(|h| h.is_local())
    }

    /// A local handoff followed within 4 h by a user message or a new run.
    pub fn iterated_after_handoff(&self) -> bool {
        self.handoffs.iter().any(|h| h.is_local() && h.iterated)
    }
}
