//! What projection keeps of a session between batches ([`SessionState`]),
//! small whatever the session's length: a batch takes in only its new
//! events, and the runs they touch, never the session's history.

use std::collections::{BTreeMap, BTreeSet};

use agentmon_core::event::EventType;
use agentmon_core::metrics::pricing::PriceTable;
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
    /// The latest start of any of its runs.
    #[serde(default)]
    pub latest_start: Option<DateTime<Utc>>,
    /// Implicit runs not yet ended: a later start ends them.
    #[serde(default)]
    pub open: BTreeSet<String>,
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
            latest_start: None,
            open: BTreeSet::new(),
        }
    }

    /// Takes in events not taken before, in any order. `runs` holds the
    /// state of each run they touch that is already known, and of each
    /// run in [`SessionState::open`] (and receives the new ones, and every
    /// state to keep); `earlier_iteration` tells whether work already taken
    /// in falls in a new handoff's window. Returns the runs that changed.
    pub fn take(
        &mut self,
        events: &[&StoredEvent],
        runs: &mut BTreeMap<String, RunState>,
        earlier_iteration: &dyn Fn(&HandoffFold) -> bool,
        tz: Tz,
        prices: &PriceTable,
    ) -> BTreeMap<String, RunFold> {
        let mut touched: BTreeMap<&str, Vec<&StoredEvent>> = BTreeMap::new();
        // What the runs' figures were folded with until now.
        let previous_start = self.latest_start;
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
            if event.event_type == EventType::RunStarted {
                self.latest_start = self.latest_start.max(Some(event.occurred_at));
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
            self.take_agent_parts(event, tz, prices);
            if let Some(id) = event
                .run_id
                .as_deref()
                .filter(|_| RunState::concerns(event))
            {
                touched.entry(id).or_default().push(event);
            }
        }
        take_handoffs(&mut self.handoffs, events, earlier_iteration);
        // Open implicit runs may end by a later start (`runs` holds them).
        let open: Vec<String> = self.open.iter().cloned().collect();
        for id in &open {
            touched.entry(id.as_str()).or_default();
        }
        let mut changed = BTreeMap::new();
        for (id, run_events) in touched {
            if run_events.is_empty() && !runs.contains_key(id) {
                continue; // an open run the caller did not load
            }
            let state = runs.entry(id.to_string()).or_default();
            let before = state.exists().then(|| state.fold(id, tz, previous_start));
            for event in run_events {
                state.take(event, tz, prices);
            }
            if state.open(self.latest_start) {
                self.open.insert(id.to_string());
            } else {
                self.open.remove(id);
            }
            // Calls of a run not yet started count for the session alone.
            let after = state
                .exists()
                .then(|| state.fold(id, tz, self.latest_start));
            if before == after {
                continue;
            }
            if let Some(before) = &before {
                self.totals.add(before, -1);
            }
            if let Some(after) = after {
                self.totals.add(&after, 1);
                changed.insert(id.to_string(), after);
            }
        }
        changed
    }

    /// A model call's usage counts on its day under its model, whatever its
    /// run; tool calls and code changes on their day.
    fn take_agent_parts(&mut self, event: &StoredEvent, tz: Tz, prices: &PriceTable) {
        let day = day_of(event.occurred_at, tz);
        let p = &event.payload;
        match event.event_type {
            EventType::ModelCall => {
                if let Some(call) = p.model_call.as_ref().filter(|c| c.counts()) {
                    let figures = agents::of_call(call, event.occurred_at, prices);
                    self.totals.add_on(day, Some(&call.model), &figures);
                }
            }
            EventType::ToolCall => {
                if let Some(tool) = &p.tool {
                    self.totals.add_on(day, None, &agents::of_tool(tool));
                    self.totals.add_tool(day, tool);
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
