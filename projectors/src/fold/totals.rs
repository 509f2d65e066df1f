//! What a session's runs add up to, kept as sums so that a batch changes
//! them by the difference of the runs it touches: run figures per (day,
//! model), duration-sketch buckets per day, runs per model, active time.

use std::collections::BTreeMap;

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::metrics::sketch;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::run::RunFold;

/// The model of a run that names none.
pub const NO_MODEL: &str = "(none)";

/// Figures of the finished runs of one (day, model).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub failed_tool: i64,
    pub failed_model: i64,
    pub failed_timeout: i64,
    pub failed_other: i64,
    pub cancelled: i64,
    pub cost_usd: Decimal,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

impl RunFigures {
    pub fn add(&mut self, other: &RunFigures, sign: i64) {
        self.runs += sign * other.runs;
        self.succeeded += sign * other.succeeded;
        self.failed += sign * other.failed;
        self.failed_tool += sign * other.failed_tool;
        self.failed_model += sign * other.failed_model;
        self.failed_timeout += sign * other.failed_timeout;
        self.failed_other += sign * other.failed_other;
        self.cancelled += sign * other.cancelled;
        // Normalized, so that sums reached by different paths read alike.
        self.cost_usd = (self.cost_usd + Decimal::from(sign) * other.cost_usd).normalize();
        self.input_tokens += sign * other.input_tokens;
        self.output_tokens += sign * other.output_tokens;
    }

    fn of(run: &RunFold) -> RunFigures {
        let mut f = RunFigures {
            runs: 1,
            cost_usd: run.cost,
            input_tokens: run.input_tokens,
            output_tokens: run.output_tokens,
            ..RunFigures::default()
        };
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
        f
    }

    /// The sum of several figures.
    pub fn sum<'a>(figures: impl IntoIterator<Item = &'a RunFigures>) -> RunFigures {
        let mut sum = RunFigures::default();
        for f in figures {
            sum.add(f, 1);
        }
        sum
    }

    fn is_zero(&self) -> bool {
        *self == RunFigures::default()
    }
}

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
        let figures = self.days.entry(day).or_default();
        let f = figures.entry(model).or_default();
        f.add(&RunFigures::of(run), sign);
        figures.retain(|_, f| !f.is_zero());
        if figures.is_empty() {
            self.days.remove(&day);
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

    /// The figures of the finished runs, all days and models together.
    pub fn all(&self) -> RunFigures {
        RunFigures::sum(self.days.values().flat_map(|m| m.values()))
    }
}

fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, i64>, key: K, by: i64) {
    let n = map.entry(key.clone()).or_insert(0);
    *n += by;
    if *n == 0 {
        map.remove(&key);
    }
}
