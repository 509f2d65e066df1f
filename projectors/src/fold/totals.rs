//! What a session's runs add up to, kept as sums so that a batch changes
//! them by the difference of the runs it touches: run figures per (day,
//! model), duration-sketch buckets per day, runs per model, active time.

use std::collections::BTreeMap;

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::metrics::sketch;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::figures::{zero, RunFigures};
use super::run::RunFold;

/// The model of a run that names none.
pub const NO_MODEL: &str = "(none)";

/// The sums over every run of a session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    /// Runs, finished or not.
    pub count: i64,
    /// Runs (finished or not) per model, [`NO_MODEL`] for none.
    pub models: BTreeMap<String, i64>,
    /// Finished runs per day of their finish, then per model.
    pub days: BTreeMap<NaiveDate, BTreeMap<String, RunFigures>>,
    /// Finished runs with a duration per day and sketch bucket.
    pub durations: BTreeMap<NaiveDate, BTreeMap<i32, i64>>,
    /// Sum of the durations of finished runs (a missing one counts 0).
    pub active_ms: i64,
    /// Tool calls and code changes per day.
    #[serde(default)]
    pub activity: BTreeMap<NaiveDate, RunFigures>,
    /// Tool calls per day and tool.
    #[serde(default)]
    pub tools: BTreeMap<NaiveDate, BTreeMap<String, ToolFigures>>,
}

/// The calls of one tool on one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolFigures {
    #[serde(skip_serializing_if = "zero")]
    pub calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed: i64,
    #[serde(skip_serializing_if = "zero")]
    pub accepted: i64,
    #[serde(skip_serializing_if = "zero")]
    pub rejected: i64,
    /// Calls with a duration per sketch bucket.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub durations: BTreeMap<i32, i64>,
}

impl ToolFigures {
    pub fn add(&mut self, other: &ToolFigures, sign: i64) {
        self.calls += sign * other.calls;
        self.failed += sign * other.failed;
        self.accepted += sign * other.accepted;
        self.rejected += sign * other.rejected;
        for (bucket, n) in &other.durations {
            bump(&mut self.durations, *bucket, sign * n);
        }
    }
}

impl RunTotals {
    /// Adds (`sign` 1) or takes away (-1) one run.
    pub fn add(&mut self, run: &RunFold, sign: i64) {
        self.count += sign;
        let model = run.model.clone().unwrap_or_else(|| NO_MODEL.into());
        bump(&mut self.models, model.clone(), sign);
        let Some(day) = run.day else { return };
        if run.status == RunStatus::Running {
            return;
        }
        self.add_to(day, &model, &of_run(run), sign);
        if run.calls.model_calls > 0 && is_waste(run.status) {
            // A failed run with calls wastes their cost where it counts: on
            // the calls' days.
            for (call_day, cost) in &run.call_costs {
                let waste = RunFigures {
                    failed_run_cost_usd: *cost,
                    ..RunFigures::default()
                };
                self.add_to(*call_day, &model, &waste, sign);
            }
        }
        if let Some(ms) = run.duration_ms {
            self.active_ms += sign * ms;
            let buckets = self.durations.entry(day).or_default();
            bump(buckets, sketch::bucket(ms), sign);
            if buckets.is_empty() {
                self.durations.remove(&day);
            }
        }
    }

    /// Adds `figures` times `sign` to (day, model), dropping what sums to nothing.
    fn add_to(&mut self, day: NaiveDate, model: &str, figures: &RunFigures, sign: i64) {
        let models = self.days.entry(day).or_default();
        models
            .entry(model.to_string())
            .or_default()
            .add(figures, sign);
        models.retain(|_, f| !f.is_zero());
        if models.is_empty() {
            self.days.remove(&day);
        }
    }

    /// Adds one model call (its usage, on its own day, under its model),
    /// or a tool call or code change (on its day).
    pub fn add_on(&mut self, day: NaiveDate, model: Option<&str>, figures: &RunFigures) {
        let slot = match model {
            Some(m) => self
                .days
                .entry(day)
                .or_default()
                .entry(m.to_string())
                .or_default(),
            None => self.activity.entry(day).or_default(),
        };
        slot.add(figures, 1);
    }

    /// Adds one tool call on its day.
    pub fn add_tool(&mut self, day: NaiveDate, tool: &agentmon_core::event::ToolCallInput) {
        use agentmon_core::event::ToolDecision;
        let mut f = ToolFigures {
            calls: 1,
            failed: i64::from(tool.success == Some(false)),
            accepted: i64::from(tool.decision == Some(ToolDecision::Accepted)),
            rejected: i64::from(tool.decision == Some(ToolDecision::Rejected)),
            durations: BTreeMap::new(),
        };
        if let Some(ms) = tool.duration_ms {
            f.durations.insert(sketch::bucket(i64::from(ms)), 1);
        }
        self.tools
            .entry(day)
            .or_default()
            .entry(tool.name.clone())
            .or_default()
            .add(&f, 1);
    }

    /// Every figure, all days and models together: finished runs, model
    /// calls, tools and code.
    pub fn all(&self) -> RunFigures {
        RunFigures::sum(
            self.days
                .values()
                .flat_map(|m| m.values())
                .chain(self.activity.values()),
        )
    }

    /// The figures of one day, all models together, tools and code included.
    pub fn on(&self, day: NaiveDate) -> RunFigures {
        RunFigures::sum(
            self.days
                .get(&day)
                .into_iter()
                .flat_map(|m| m.values())
                .chain(self.activity.get(&day)),
        )
    }

    /// Every day with a figure.
    pub fn day_keys(&self) -> std::collections::BTreeSet<NaiveDate> {
        self.days
            .keys()
            .chain(self.activity.keys())
            .copied()
            .collect()
    }
}

/// A run that ended FAILED or CANCELLED wasted its cost.
fn is_waste(status: RunStatus) -> bool {
    matches!(status, RunStatus::Failed | RunStatus::Cancelled)
}

fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, i64>, key: K, by: i64) {
    let n = map.entry(key.clone()).or_insert(0);
    *n += by;
    if *n == 0 {
        map.remove(&key);
    }
}

/// What a finished run adds on the day it finished: its outcome, and its
/// usage when it has no model calls (a run with calls takes its usage
/// from them, each on its own day).
fn of_run(run: &RunFold) -> RunFigures {
    let mut f = RunFigures {
        runs: 1,
        ..RunFigures::default()
    };
    if run.calls.model_calls == 0 {
        f.cost_usd = run.cost;
        f.input_tokens = run.input_tokens;
        f.output_tokens = run.output_tokens;
    }
    match run.status {
        RunStatus::Succeeded => f.succeeded = 1,
        RunStatus::Failed => {
            f.failed = 1;
            match run.error_category.unwrap_or(ErrorCategory::Other) {
                ErrorCategory::Tool => f.failed_tool = 1,
                ErrorCategory::Model => f.failed_model = 1,
                ErrorCategory::Timeout => f.failed_timeout = 1,
                ErrorCategory::Other => f.failed_other = 1,
            }
        }
        RunStatus::Cancelled => f.cancelled = 1,
        RunStatus::Running => {}
    }
    if run.calls.model_calls == 0 && is_waste(run.status) {
        f.failed_run_cost_usd = run.cost;
    }
    f
}
