//! What one session contributes to the daily rollups: figures per day and
//! duration-sketch buckets per day. A re-projection applies the difference
//! between the new contribution and the stored old one.

use std::collections::BTreeMap;

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::metrics::sketch;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fold::SessionFold;

/// Additive figures of one day; the columns of `org_daily` and `user_daily`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub event_count: i64,
    pub sessions: i64,
    pub session_runs: i64,
    pub session_active_ms: i64,
    pub handed_off: i64,
    pub iterated: i64,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub cost_usd: Decimal,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub failed_tool: i64,
    pub failed_model: i64,
    pub failed_timeout: i64,
    pub failed_other: i64,
}

/// The rollup columns, in the order of [`Figures`].
pub const COLUMNS: [&str; 17] = [
    "event_count",
    "sessions",
    "session_runs",
    "session_active_ms",
    "handed_off",
    "iterated",
    "runs",
    "succeeded",
    "failed",
    "cancelled",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "failed_tool",
    "failed_model",
    "failed_timeout",
    "failed_other",
];

impl Figures {
    /// Adds `other` times `sign` (+1 or -1).
    pub fn add(&mut self, other: &Figures, sign: i64) {
        self.event_count += sign * other.event_count;
        self.sessions += sign * other.sessions;
        self.session_runs += sign * other.session_runs;
        self.session_active_ms += sign * other.session_active_ms;
        self.handed_off += sign * other.handed_off;
        self.iterated += sign * other.iterated;
        self.runs += sign * other.runs;
        self.succeeded += sign * other.succeeded;
        self.failed += sign * other.failed;
        self.cancelled += sign * other.cancelled;
        self.cost_usd += Decimal::from(sign) * other.cost_usd;
        self.input_tokens += sign * other.input_tokens;
        self.output_tokens += sign * other.output_tokens;
        self.failed_tool += sign * other.failed_tool;
        self.failed_model += sign * other.failed_model;
        self.failed_timeout += sign * other.failed_timeout;
        self.failed_other += sign * other.failed_other;
    }

    pub fn is_zero(&self) -> bool {
        *self == Figures::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub user_id: String,
    pub days: BTreeMap<NaiveDate, Figures>,
    /// (day, bucket) → finished runs with a duration in that bucket.
    pub durations: BTreeMap<NaiveDate, BTreeMap<i32, i64>>,
}

impl Contribution {
    pub fn of(session: &SessionFold) -> Contribution {
        let mut c = Contribution {
            user_id: session.user_id.clone(),
            ..Contribution::default()
        };
        let start = c.days.entry(session.day).or_default();
        start.sessions = 1;
        start.session_runs = session.run_count();
        start.session_active_ms = session.active_time_ms();
        start.handed_off = i64::from(session.handed_off());
        start.iterated = i64::from(session.iterated_after_handoff());
        for (day, n) in &session.events_per_day {
            c.days.entry(*day).or_default().event_count += n;
        }
        for run in session.runs.values() {
            let Some(day) = run.day else { continue };
            if run.status == RunStatus::Running {
                continue;
            }
            let f = c.days.entry(day).or_default();
            f.runs += 1;
            match run.status {
                RunStatus::Succeeded => f.succeeded += 1,
                RunStatus::Failed => {
                    f.failed += 1;
                    match run.error_category.unwrap_or(ErrorCategory::Other) {
                        ErrorCategory::Tool => f.failed_tool += 1,
                        ErrorCategory::Model => f.failed_model += 1,
                        ErrorCategory::Timeout => f.failed_timeout += 1,
                        ErrorCategory::Other => f.failed_other += 1,
                    }
                }
                RunStatus::Cancelled => f.cancelled += 1,
                RunStatus::Running => {}
            }
            f.cost_usd += run.cost;
            f.input_tokens += run.input_tokens;
            f.output_tokens += run.output_tokens;
            if let Some(ms) = run.duration_ms {
                *c.durations
                    .entry(day)
                    .or_default()
                    .entry(sketch::bucket(ms))
                    .or_insert(0) += 1;
            }
        }
        c
    }
}
