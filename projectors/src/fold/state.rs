//! What projection keeps of a session between batches ([`SessionState`]),
//! small whatever the session's length: a batch takes in only its new
//! events, and the runs they touch, never the session's history.

use std::collections::BTreeMap;

use agentmon_core::event::EventType;
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::agents;
use super::day::day_of;
use super::handoff::{take_handoffs, HandoffFold};
use super::run::{RunFold, RunState, Stamped};
use super::totals::RunTotals;
use super::SessionFold;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionState {
    /// The first event's user: the session's.
    pub first: Stamped<String>,
    pub last_event_at: DateTime<Utc>,
    pub event_count: i64,
    pub message_count: i64,
    /// Each attribute as the latest event that set it says.
    pub attributes: BTreeMap<String, Stamped<serde_json::Value>>,
    /// Events per day in the org's time zone.
    pub events_per_day: BTreeMap<NaiveDate, i64>,
    pub handoffs: Vec<HandoffFold>,
    pub totals: RunTotals,
}

impl SessionState {
    /// A state holding nothing yet, to take `first` in.
    pub fn empty(first: &StoredEvent) -> SessionState {
        SessionState {
            first: Stamped::of(first, first.user_id.clone()),
            last_event_at: first.occurred_at,
            event_count: 0,
            message_count: 0,
            attributes: BTreeMap::new(),
            events_per_day: BTreeMap::new(),
            handoffs: Vec::new(),
            totals: RunTotals::default(),
        }
    }

    /// Takes in events not taken before, in any order. `runs` holds the
    /// state of each run they touch that is already known (and receives
    /// the new ones); `earlier_iteration` tells whether work already taken
    /// in falls in a new handoff's window. Returns the runs that changed.
    pub fn take(
        &mut self,
        events: &[&StoredEvent],
        runs: &mut BTreeMap<String, RunState>,
        earlier_iteration: &dyn Fn(&HandoffFold) -> bool,
        tz: Tz,
    ) -> BTreeMap<String, RunFold> {
        let mut touched: BTreeMap<&str, Vec<&StoredEvent>> = BTreeMap::new();
        for event in events {
            let stamped = Stamped::of(event, event.user_id.clone());
            if stamped.key() < self.first.key() {
                self.first = stamped;
            }
            self.last_event_at = self.last_event_at.max(event.occurred_at);
            self.event_count += 1;
            *self
                .events_per_day
                .entry(day_of(event.occurred_at, tz))
                .or_insert(0) += 1;
            if event.event_type == EventType::MessageSent {
                self.message_count += 1;
            }
            if let Some(serde_json::Value::Object(attrs)) = &event.payload.attributes {
                for (k, v) in attrs {
                    let value = Stamped::of(event, v.clone());
                    match self.attributes.get_mut(k) {
                        Some(kept) if kept.key() >= value.key() => {}
                        Some(kept) => *kept = value,
                        None => {
                            self.attributes.insert(k.clone(), value);
                        }
                    }
                }
            }
            self.take_agent_parts(event, tz);
            if let Some(id) = event
                .run_id
                .as_deref()
                .filter(|_| RunState::concerns(event))
            {
                touched.entry(id).or_default().push(event);
            }
        }
        take_handoffs(&mut self.handoffs, events, earlier_iteration);
        let mut changed = BTreeMap::new();
        for (id, run_events) in touched {
            let state = runs.entry(id.to_string()).or_default();
            if state.exists() {
                self.totals.add(&state.fold(id, tz), -1);
            }
            for event in run_events {
                state.take(event);
            }
            // Calls of a run not yet started count for the session alone.
            if state.exists() {
                let run = state.fold(id, tz);
                self.totals.add(&run, 1);
                changed.insert(id.to_string(), run);
            }
        }
        changed
    }

    /// A model call's usage counts on its day under its model, whatever its
    /// run; tool calls and code changes on their day.
    fn take_agent_parts(&mut self, event: &StoredEvent, tz: Tz) {
        let day = day_of(event.occurred_at, tz);
        let p = &event.payload;
        match event.event_type {
            EventType::ModelCall => {
                if let Some(call) = &p.model_call {
                    self.totals
                        .add_on(day, Some(&call.model), &agents::of_call(call));
                }
            }
            EventType::ToolCall => {
                if let Some(tool) = &p.tool {
                    self.totals.add_on(day, None, &agents::of_tool(tool));
                }
            }
            EventType::CodeChange => {
                if let Some(code) = &p.code {
                    self.totals.add_on(day, None, &agents::of_code(code));
                }
            }
            _ => {}
        }
    }

    /// The session as the projectors see it, with `runs` the runs that changed.
    pub fn fold(
        &self,
        org_id: Uuid,
        session_id: &str,
        tz: Tz,
        runs: BTreeMap<String, RunFold>,
    ) -> SessionFold {
        SessionFold {
            org_id,
            session_id: session_id.to_string(),
            user_id: self.first.value.clone(),
            started_at: self.first.at,
            last_event_at: self.last_event_at,
            day: day_of(self.first.at, tz),
            event_count: self.event_count,
            message_count: self.message_count,
            runs,
            totals: self.totals.clone(),
            handoffs: self.handoffs.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            events_per_day: self.events_per_day.clone(),
        }
    }
}
