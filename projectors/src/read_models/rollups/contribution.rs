//! What one session contributes to the daily rollups: figures per day and
//! duration-sketch buckets per day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::fold::{RunFigures, SessionFold};

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
        for day in session.totals.day_keys() {
            take_in(c.days.entry(day).or_default(), &session.totals.on(day));
        }
        let all = session.totals.all();
        if all.lines_added == 0
            && all.lines_removed == 0
            && all.commits == 0
            && all.pull_requests == 0
        {
            for f in c.days.values_mut() {
                f.no_code_cost_usd = f.cost_usd;
            }
        }
        c.durations = session.totals.durations.clone();
        c
    }
}

/// Adds a day's run, call, tool and code figures to its rollup figures.
fn take_in(f: &mut Figures, r: &RunFigures) {
    f.runs += r.runs;
    f.succeeded += r.succeeded;
    f.failed += r.failed;
    f.failed_tool += r.failed_tool;
    f.failed_model += r.failed_model;
    f.failed_timeout += r.failed_timeout;
    f.failed_other += r.failed_other;
    f.cancelled += r.cancelled;
    f.cost_usd += r.cost_usd;
    f.input_tokens += r.input_tokens;
    f.output_tokens += r.output_tokens;
    f.model_calls += r.model_calls;
    f.failed_model_calls += r.failed_model_calls;
    f.cache_read_tokens += r.cache_read_tokens;
    f.cache_creation_tokens += r.cache_creation_tokens;
    f.estimated_cost_usd += r.estimated_cost_usd;
    f.unpriced_model_calls += r.unpriced_model_calls;
    f.tool_calls += r.tool_calls;
    f.failed_tool_calls += r.failed_tool_calls;
    f.rejected_tool_calls += r.rejected_tool_calls;
    f.lines_added += r.lines_added;
    f.lines_removed += r.lines_removed;
    f.commits += r.commits;
    f.pull_requests += r.pull_requests;
    f.failed_run_cost_usd += r.failed_run_cost_usd;
    f.failed_call_cost_usd += r.failed_call_cost_usd;
}
