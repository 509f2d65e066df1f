//! What one session contributes to the daily rollups: figures per day and
//! duration-sketch buckets per day.

use std::collections::BTreeMap;

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::metrics::sketch;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::fold::SessionFold;

/// Additive figures of one day: the rollup columns.
pub use agentmon_core::metrics::kpis::Sums as Figures;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub user_id: String,
    pub days: BTreeMap<NaiveDate, Figures>,
    /// (day, bucket) → finished runs with a duration in that bucket.
    pub durations: BTreeMap<NaiveDate, BTreeMap<i32, i64>>,
}

impl crate::additive::Contribution for Contribution {
    fn since(mut self, cutoff: Option<NaiveDate>) -> Contribution {
        if let Some(cutoff) = cutoff {
            self.days = self.days.split_off(&cutoff);
            self.durations = self.durations.split_off(&cutoff);
        }
        self
    }
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
