//! The pure part of projection: a session's read model from its events
//! (SPEC section 3). Being a function of the set of events, it is the same
//! whatever their arrival order.
//!
//! Projection keeps a [`SessionState`] per session and a [`RunState`] per
//! run between batches, so that a batch takes in its new events and the
//! runs they touch only ([`SessionState::take`]): a long session costs the
//! same per event as a short one. [`SessionFold::of`] folds a whole history
//! at once (a first projection without state, a replay).

mod agents;
mod day;
mod figures;
mod handoff;
mod run;
mod state;
mod totals;

#[cfg(test)]
mod incremental_tests;

use std::collections::BTreeMap;

use agentmon_core::event::RunStatus;
use agentmon_core::metrics::pricing::PriceTable;
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use uuid::Uuid;

pub use figures::RunFigures;
pub use handoff::{HandoffFold, ITERATION_WINDOW};
pub use run::{RunFold, RunState};
pub use state::SessionState;
pub use totals::{RunTotals, ToolFigures, NO_MODEL};

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
    /// The runs this batch changed (every run in a fold from scratch).
    pub runs: BTreeMap<String, RunFold>,
    /// The sums over every run of the session.
    pub totals: RunTotals,
    pub handoffs: Vec<HandoffFold>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Events per day, in the org's time zone: the days the user was active.
    pub events_per_day: BTreeMap<NaiveDate, i64>,
}

/// A whole history folded: the session, the state to keep and every run's.
pub struct Folded {
    pub fold: SessionFold,
    pub state: SessionState,
    pub runs: BTreeMap<String, RunState>,
}

impl Folded {
    /// Folds every event of one session, in any order, its calls priced
    /// from `prices`; `None` without events.
    pub fn of(events: &[&StoredEvent], tz: Tz, prices: &PriceTable) -> Option<Folded> {
        let first = events.iter().min_by_key(|e| (e.occurred_at, e.event_id))?;
        let mut state = SessionState::empty(first);
        let mut runs = BTreeMap::new();
        // Every event is here: no earlier work to look up.
        let changed = state.take(events, &mut runs, &|_| false, tz, prices);
        let fold = state.fold(first.org_id, &first.session_id, tz, changed);
        Some(Folded { fold, state, runs })
    }
}

impl SessionFold {
    /// Folds the events of one session. `events` may come in any order.
    pub fn of(events: &[StoredEvent], tz: Tz) -> Option<SessionFold> {
        let refs: Vec<&StoredEvent> = events.iter().collect();
        Folded::of(&refs, tz, &PriceTable::default()).map(|f| f.fold)
    }

    pub fn run_count(&self) -> i64 {
        self.totals.count
    }

    pub fn count_status(&self, status: RunStatus) -> i64 {
        let all = self.totals.all();
        match status {
            RunStatus::Running => self.totals.count - all.runs,
            RunStatus::Succeeded => all.succeeded,
            RunStatus::Failed => all.failed,
            RunStatus::Cancelled => all.cancelled,
        }
    }

    pub fn cost(&self) -> Decimal {
        self.totals.all().cost_usd
    }

    pub fn input_tokens(&self) -> i64 {
        self.totals.all().input_tokens
    }

    pub fn output_tokens(&self) -> i64 {
        self.totals.all().output_tokens
    }

    /// Sum of the durations of finished runs (a missing duration counts 0).
    pub fn active_time_ms(&self) -> i64 {
        self.totals.active_ms
    }

    /// The producing agent: the attribute `agent` (the OpenTelemetry
    /// receiver sets it from `service.name`).
    pub fn agent(&self) -> Option<&str> {
        self.attributes.get("agent").and_then(|v| v.as_str())
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
