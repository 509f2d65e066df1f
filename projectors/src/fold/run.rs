//! Runs of a session: `RUNNING` until a `RUN_FINISHED` is stored; usage and
//! outcome from the finish; the duration from the finish's `durationMs`,
//! else finished − started when both exist.
//!
//! What a run's figures depend on is kept per run ([`RunState`]): its
//! earliest start and its latest finish by (occurredAt, eventId). Either
//! only moves one way whatever the order events come in, so a batch
//! updates the runs it touches and no other.

use std::collections::BTreeMap;
use std::str::FromStr;

use agentmon_core::event::{ErrorCategory, EventType, RunInput, RunStatus};
use agentmon_core::metrics::pricing::PriceTable;
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::agents;
use super::day::day_of;
use super::figures::RunFigures;

#[derive(Debug, Clone, PartialEq)]
pub struct RunFold {
    pub run_id: String,
    pub status: RunStatus,
    pub model: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The day of `finished_at` in the org's time zone.
    pub day: Option<NaiveDate>,
    pub duration_ms: Option<i64>,
    pub error_category: Option<ErrorCategory>,
    pub error_message: Option<String>,
    /// Usage: from the run's model calls when it has any, else from its finish.
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Decimal,
    /// The sums of the run's model calls.
    pub calls: RunFigures,
    /// The cost of its model calls per day of the calls.
    pub call_costs: BTreeMap<NaiveDate, Decimal>,
    pub tool_calls: i64,
}

impl RunFold {
    /// `UNPRICED` when a call had neither a reported cost nor a price,
    /// `ESTIMATED` when agentmon priced a part, else `REPORTED`.
    pub fn cost_source(&self) -> &'static str {
        if self.calls.unpriced_model_calls > 0 {
            "UNPRICED"
        } else if self.calls.estimated_model_calls > 0 {
            "ESTIMATED"
        } else {
            "REPORTED"
        }
    }
}

/// A value and the (occurredAt, eventId) of the event it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub at: DateTime<Utc>,
    pub id: Uuid,
    pub value: T,
}

impl<T> Stamped<T> {
    pub fn of(event: &StoredEvent, value: T) -> Stamped<T> {
        Stamped {
            at: event.occurred_at,
            id: event.event_id,
            value,
        }
    }

    pub fn key(&self) -> (DateTime<Utc>, Uuid) {
        (self.at, self.id)
    }

    /// Keeps the earlier of what `slot` holds and `other`.
    pub fn keep_earlier(slot: &mut Option<Stamped<T>>, other: Stamped<T>) {
        if slot.as_ref().is_none_or(|s| other.key() < s.key()) {
            *slot = Some(other);
        }
    }

    /// Keeps the later of what `slot` holds and `other`.
    pub fn keep_later(slot: &mut Option<Stamped<T>>, other: Stamped<T>) {
        if slot.as_ref().is_none_or(|s| other.key() > s.key()) {
            *slot = Some(other);
        }
    }
}

/// What a run's figures are made of: its earliest start (with the model it
/// named) and its latest finish.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    pub start: Option<Stamped<Option<String>>>,
    pub finish: Option<Stamped<RunInput>>,
    /// The sums of its model calls, and its tool calls.
    #[serde(default)]
    pub calls: RunFigures,
    /// Its source sends no end (see [`RunInput::ends_implicitly`]).
    #[serde(default)]
    pub implicit: bool,
    /// The time of its latest event.
    #[serde(default)]
    pub last_at: Option<DateTime<Utc>>,
    /// Its latest model call, with the category of its failure for good.
    #[serde(default)]
    pub last_call: Option<Stamped<Option<ErrorCategory>>>,
    /// The cost of its model calls per day of the calls (in the org's time
    /// zone): where its cost counts, and its waste if it fails.
    #[serde(default)]
    pub call_costs: BTreeMap<NaiveDate, Decimal>,
}

impl RunState {
    /// Takes in one event of the run; other kinds change nothing.
    pub fn take(&mut self, event: &StoredEvent, tz: Tz, prices: &PriceTable) {
        self.last_at = self.last_at.max(Some(event.occurred_at));
        match event.event_type {
            EventType::RunStarted => {
                let run = event.payload.run.as_ref();
                self.implicit |= run.and_then(|r| r.ends_implicitly) == Some(true);
                let model = run.and_then(|r| r.model.clone());
                Stamped::keep_earlier(&mut self.start, Stamped::of(event, model));
            }
            EventType::RunFinished => {
                let usage = event.payload.run.clone().unwrap_or_default();
                Stamped::keep_later(&mut self.finish, Stamped::of(event, usage));
            }
            EventType::ModelCall => {
                if let Some(call) = &event.payload.model_call {
                    if call.counts() {
                        let figures = agents::of_call(call, event.occurred_at, prices);
                        self.calls.add(&figures, 1);
                        if !figures.cost_usd.is_zero() {
                            let day = day_of(event.occurred_at, tz);
                            let cost = self.call_costs.entry(day).or_default();
                            *cost = (*cost + figures.cost_usd).normalize();
                        }
                    }
                    let failed = (call.error.is_some() || call.error_category.is_some())
                        .then(|| call.error_category.unwrap_or(ErrorCategory::Model));
                    Stamped::keep_later(&mut self.last_call, Stamped::of(event, failed));
                }
            }
            EventType::ToolCall => {
                if let Some(tool) = &event.payload.tool {
                    self.calls.add(&agents::of_tool(tool), 1);
                }
            }
            _ => {}
        }
    }

    /// Whether the run has begun or ended: calls alone make no run.
    pub fn exists(&self) -> bool {
        self.start.is_some() || self.finish.is_some()
    }

    /// Whether an event of this kind changes a run.
    pub fn concerns(event: &StoredEvent) -> bool {
        event.run_id.is_some()
            && matches!(
                event.event_type,
                EventType::RunStarted
                    | EventType::RunFinished
                    | EventType::ModelCall
                    | EventType::ToolCall
                    | EventType::MessageSent
            )
    }

    /// The run's figures.
    /// `latest_start` is the latest start of any run of its session: a
    /// later one ends an implicit run.
    pub fn fold(&self, id: &str, tz: Tz, latest_start: Option<DateTime<Utc>>) -> RunFold {
        let started_at = self.start.as_ref().map(|s| s.at);
        let start_model = self.start.as_ref().and_then(|s| s.value.clone());
        let mut run = RunFold {
            run_id: id.to_string(),
            status: RunStatus::Running,
            model: start_model.clone(),
            started_at,
            finished_at: None,
            day: None,
            duration_ms: None,
            error_category: None,
            error_message: None,
            input_tokens: self.calls.input_tokens,
            output_tokens: self.calls.output_tokens,
            cost: self.calls.cost_usd,
            calls: self.calls,
            call_costs: self.call_costs.clone(),
            tool_calls: self.calls.tool_calls,
        };
        let Some(finish) = &self.finish else {
            return self.implicit_end(run, tz, latest_start);
        };
        let usage = &finish.value;
        run.status = usage.status.unwrap_or(RunStatus::Succeeded);
        run.model = usage.model.clone().or(start_model);
        run.finished_at = Some(finish.at);
        run.day = Some(day_of(finish.at, tz));
        // A finish stamped before its start yields 0, not a negative duration.
        run.duration_ms = usage
            .duration_ms
            .map(i64::from)
            .or_else(|| started_at.map(|s| (finish.at - s).num_milliseconds().max(0)));
        if run.status == RunStatus::Failed {
            run.error_category = Some(usage.error_category.unwrap_or(ErrorCategory::Other));
            run.error_message = usage.error_message.clone();
        }
        if self.calls.model_calls > 0 {
            // Usage comes from the calls: the finish's is not counted twice.
            return run;
        }
        run.input_tokens = usage.input_tokens.map(i64::from).unwrap_or(0);
        run.output_tokens = usage.output_tokens.map(i64::from).unwrap_or(0);
        // Validated at ingest; an unreadable cost counts as zero rather than
        // blocking the session.
        run.cost = usage
            .cost_usd
            .as_deref()
            .and_then(|c| Decimal::from_str(c).ok())
            .unwrap_or(Decimal::ZERO);
        run
    }

    /// An implicit run whose session has a later run ended at its last
    /// event: FAILED when its last model call failed for good, else
    /// SUCCEEDED.
    fn implicit_end(
        &self,
        mut run: RunFold,
        tz: Tz,
        latest_start: Option<DateTime<Utc>>,
    ) -> RunFold {
        let (true, Some(end)) = (self.superseded_by(latest_start), self.last_at) else {
            return run;
        };
        match self.last_call.as_ref().and_then(|c| c.value) {
            Some(category) => {
                run.status = RunStatus::Failed;
                run.error_category = Some(category);
                run.error_message = Some("its last model call failed".into());
            }
            None => run.status = RunStatus::Succeeded,
        }
        run.finished_at = Some(end);
        run.day = Some(day_of(end, tz));
        run.duration_ms = run.started_at.map(|s| (end - s).num_milliseconds().max(0));
        run
    }

    /// Whether this run is implicit, still open, and a run of its session
    /// that started at `latest_start` ends it.
    pub fn superseded_by(&self, latest_start: Option<DateTime<Utc>>) -> bool {
        self.implicit
            && self
                .start
                .as_ref()
                .zip(latest_start)
                .is_some_and(|(s, latest)| latest > s.at)
    }

    /// Whether this run is implicit and not yet ended.
    pub fn open(&self, latest_start: Option<DateTime<Utc>>) -> bool {
        self.implicit && self.finish.is_none() && !self.superseded_by(latest_start)
    }
}
