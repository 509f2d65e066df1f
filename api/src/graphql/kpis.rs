//! `Kpis`, `FailureCount` and `DailyPoint`.

use agentmon_core::metrics::kpis::Kpis;
use async_graphql::{Object, SimpleObject};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::event_input::ErrorCategory;
use super::scalars::Date;

pub struct KpisObject(pub Kpis);

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// An exact decimal string: "0", "12.5", "0.000123".
pub fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

#[Object(name = "Kpis")]
impl KpisObject {
    async fn active_users(&self) -> i32 {
        int(self.0.active_users)
    }
    async fn sessions(&self) -> i32 {
        int(self.0.sessions)
    }
    /// Finished runs (SUCCEEDED + FAILED + CANCELLED).
    async fn runs(&self) -> i32 {
        int(self.0.runs)
    }
    async fn succeeded_runs(&self) -> i32 {
        int(self.0.succeeded_runs)
    }
    async fn failed_runs(&self) -> i32 {
        int(self.0.failed_runs)
    }
    async fn cancelled_runs(&self) -> i32 {
        int(self.0.cancelled_runs)
    }
    /// Null when no SUCCEEDED or FAILED run.
    async fn success_rate(&self) -> Option<f64> {
        self.0.success_rate
    }
    /// Decimal string, exact.
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
    /// Cost of the range divided by its succeeded runs, rounded to 6
    /// decimals; null when no run succeeded.
    async fn cost_per_successful_run(&self) -> Option<String> {
        self.0.cost_per_successful_run().map(money)
    }
    /// Float so that sums past 2^31 stay exact up to 2^53.
    async fn input_tokens(&self) -> f64 {
        self.0.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.0.output_tokens as f64
    }
    async fn avg_runs_per_session(&self) -> Option<f64> {
        self.0.avg_runs_per_session
    }
    async fn avg_active_time_ms(&self) -> Option<f64> {
        self.0.avg_active_time_ms
    }
    async fn local_handoff_rate(&self) -> Option<f64> {
        self.0.local_handoff_rate
    }
    async fn post_handoff_iteration_rate(&self) -> Option<f64> {
        self.0.post_handoff_iteration_rate
    }
    async fn duration_p50_ms(&self) -> Option<f64> {
        self.0.duration_p50_ms
    }
    async fn duration_p95_ms(&self) -> Option<f64> {
        self.0.duration_p95_ms
    }
    async fn duration_p99_ms(&self) -> Option<f64> {
        self.0.duration_p99_ms
    }
    /// Model calls (SPEC section 11), failed for good or not.
    async fn model_calls(&self) -> i32 {
        int(self.0.sums.model_calls)
    }
    /// Model calls that failed for good, after the producer's retries.
    async fn failed_model_calls(&self) -> i32 {
        int(self.0.sums.failed_model_calls)
    }
    async fn cache_read_tokens(&self) -> f64 {
        self.0.sums.cache_read_tokens as f64
    }
    async fn cache_creation_tokens(&self) -> f64 {
        self.0.sums.cache_creation_tokens as f64
    }
    /// Cache-read tokens over all input tokens (uncached, read and
    /// created); null when all are 0.
    async fn cache_hit_rate(&self) -> Option<f64> {
        self.0.sums.cache_hit_rate()
    }
    /// The part of `costUsd` priced by agentmon, not reported by the producer.
    async fn estimated_cost_usd(&self) -> String {
        money(self.0.sums.estimated_cost_usd)
    }
    /// Model calls with neither a reported cost nor a price: counted at 0.
    async fn unpriced_model_calls(&self) -> i32 {
        int(self.0.sums.unpriced_model_calls)
    }
    async fn tool_calls(&self) -> i32 {
        int(self.0.sums.tool_calls)
    }
    /// Tool calls that ran and did not succeed.
    async fn failed_tool_calls(&self) -> i32 {
        int(self.0.sums.failed_tool_calls)
    }
    /// Tool calls whose permission was refused.
    async fn rejected_tool_calls(&self) -> i32 {
        int(self.0.sums.rejected_tool_calls)
    }
    async fn lines_added(&self) -> f64 {
        self.0.sums.lines_added as f64
    }
    async fn lines_removed(&self) -> f64 {
        self.0.sums.lines_removed as f64
    }
    async fn commits(&self) -> i32 {
        int(self.0.sums.commits)
    }
    async fn pull_requests(&self) -> i32 {
        int(self.0.sums.pull_requests)
    }
    /// Cost of the range divided by its pull requests (of CODE_CHANGE
    /// events), rounded to 6 decimals; null when there were none.
    async fn cost_per_pull_request(&self) -> Option<String> {
        self.0.cost_per_pull_request().map(money)
    }
    /// Cost of the range divided by its commits (of CODE_CHANGE events),
    /// rounded to 6 decimals; null when there were none.
    async fn cost_per_commit(&self) -> Option<String> {
        self.0.cost_per_commit().map(money)
    }
    /// Waste: the cost of runs that ended FAILED or CANCELLED, counted where
    /// that cost counts (on its model calls' days; a run without calls on
    /// the day it ended). Part of `costUsd`.
    async fn failed_run_cost_usd(&self) -> String {
        money(self.0.sums.failed_run_cost_usd)
    }
    /// Waste: the cost of model calls that failed for good, on their day.
    /// Part of `costUsd`; overlaps `failedRunCostUsd` when the call's run
    /// failed too.
    async fn failed_model_call_cost_usd(&self) -> String {
        money(self.0.sums.failed_call_cost_usd)
    }
    /// Waste: the cost of sessions that have reported no code change (no
    /// line added or removed, commit or pull request), on the cost's days.
    /// A session still going counts until its first code change arrives.
    async fn no_code_cost_usd(&self) -> String {
        money(self.0.sums.no_code_cost_usd)
    }
    /// Failed runs by category, all four in enum order, zeros included.
    async fn errors_by_category(&self) -> Vec<FailureCount> {
        [
            ErrorCategory::Tool,
            ErrorCategory::Model,
            ErrorCategory::Timeout,
            ErrorCategory::Other,
        ]
        .into_iter()
        .zip(self.0.failed_by_category)
        .map(|(category, count)| FailureCount {
            category,
            count: int(count),
        })
        .collect()
    }
}

#[derive(SimpleObject)]
pub struct FailureCount {
    pub category: ErrorCategory,
    pub count: i32,
}

#[derive(SimpleObject)]
pub struct DailyPoint {
    pub date: Date,
    pub kpis: KpisObject,
}

pub fn daily_points(days: Vec<(NaiveDate, Kpis)>) -> Vec<DailyPoint> {
    days.into_iter()
        .map(|(d, k)| DailyPoint {
            date: Date(d),
            kpis: KpisObject(k),
        })
        .collect()
}
