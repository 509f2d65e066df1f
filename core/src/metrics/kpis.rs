//! `Kpis` from rollup sums (SPEC section 3): rates and means from their
//! numerators and denominators, percentiles from merged sketch buckets.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::sketch;

/// The additive figures of the daily rollups (the columns of `org_daily`
/// and `user_daily`): what a session contributes to its days, and their
/// sums over a range for an org, a user or every org.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sums {
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
    pub model_calls: i64,
    pub failed_model_calls: i64,
    pub cache_read_tokens: i64,
    pub cache_creation_tokens: i64,
    /// The part of `cost_usd` priced by agentmon.
    pub estimated_cost_usd: Decimal,
    pub unpriced_model_calls: i64,
    pub tool_calls: i64,
    pub failed_tool_calls: i64,
    pub rejected_tool_calls: i64,
    pub lines_added: i64,
    pub lines_removed: i64,
    pub commits: i64,
    pub pull_requests: i64,
    /// Waste: the cost of runs that ended FAILED or CANCELLED, on the days
    /// their cost counts.
    pub failed_run_cost_usd: Decimal,
    /// Waste: the cost of model calls that failed for good, on their day.
    pub failed_call_cost_usd: Decimal,
    /// Waste: the cost of sessions that reported no code change (no line,
    /// commit or pull request), on the cost's days.
    pub no_code_cost_usd: Decimal,
}

impl Sums {
    /// The rollup columns, in the order of the fields.
    pub const COLUMNS: [&'static str; 33] = [
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
        "model_calls",
        "failed_model_calls",
        "cache_read_tokens",
        "cache_creation_tokens",
        "estimated_cost_usd",
        "unpriced_model_calls",
        "tool_calls",
        "failed_tool_calls",
        "rejected_tool_calls",
        "lines_added",
        "lines_removed",
        "commits",
        "pull_requests",
        "failed_run_cost_usd",
        "failed_call_cost_usd",
        "no_code_cost_usd",
    ];

    /// The columns that hold money (numeric); every other one is a count.
    pub const MONEY: [&'static str; 5] = [
        "cost_usd",
        "estimated_cost_usd",
        "failed_run_cost_usd",
        "failed_call_cost_usd",
        "no_code_cost_usd",
    ];

    /// Failed runs by category: TOOL, MODEL, TIMEOUT, OTHER.
    pub fn failed_by_category(&self) -> [i64; 4] {
        [
            self.failed_tool,
            self.failed_model,
            self.failed_timeout,
            self.failed_other,
        ]
    }

    /// Adds `other` times `sign` (+1 or -1).
    pub fn add(&mut self, other: &Sums, sign: i64) {
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
        self.model_calls += sign * other.model_calls;
        self.failed_model_calls += sign * other.failed_model_calls;
        self.cache_read_tokens += sign * other.cache_read_tokens;
        self.cache_creation_tokens += sign * other.cache_creation_tokens;
        self.estimated_cost_usd += Decimal::from(sign) * other.estimated_cost_usd;
        self.unpriced_model_calls += sign * other.unpriced_model_calls;
        self.tool_calls += sign * other.tool_calls;
        self.failed_tool_calls += sign * other.failed_tool_calls;
        self.rejected_tool_calls += sign * other.rejected_tool_calls;
        self.lines_added += sign * other.lines_added;
        self.lines_removed += sign * other.lines_removed;
        self.commits += sign * other.commits;
        self.pull_requests += sign * other.pull_requests;
        self.failed_run_cost_usd += Decimal::from(sign) * other.failed_run_cost_usd;
        self.failed_call_cost_usd += Decimal::from(sign) * other.failed_call_cost_usd;
        self.no_code_cost_usd += Decimal::from(sign) * other.no_code_cost_usd;
    }

    pub fn is_zero(&self) -> bool {
        *self == Sums::default()
    }

    /// Succeeded over finished runs that succeeded or failed (cancelled
    /// runs count in neither).
    pub fn success_rate(&self) -> Option<f64> {
        success_rate(self.succeeded, self.failed)
    }

    pub fn avg_runs_per_session(&self) -> Option<f64> {
        ratio(self.session_runs, self.sessions)
    }

    pub fn avg_active_time_ms(&self) -> Option<f64> {
        ratio(self.session_active_ms, self.sessions)
    }

    /// Sessions handed off to the user's machine, over sessions.
    pub fn local_handoff_rate(&self) -> Option<f64> {
        ratio(self.handed_off, self.sessions)
    }

    /// Handed-off sessions with a run after the handoff, over handed-off
    /// sessions.
    pub fn post_handoff_iteration_rate(&self) -> Option<f64> {
        ratio(self.iterated, self.handed_off)
    }

    /// Tokens read from a cache over all input tokens (uncached, read and
    /// written); `None` when there are none.
    pub fn cache_hit_rate(&self) -> Option<f64> {
        ratio(
            self.cache_read_tokens,
            self.input_tokens + self.cache_read_tokens + self.cache_creation_tokens,
        )
    }

    pub fn total_tokens(&self) -> i64 {
        self.input_tokens + self.output_tokens
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    pub active_users: i64,
    pub sessions: i64,
    pub runs: i64,
    pub succeeded_runs: i64,
    pub failed_runs: i64,
    pub cancelled_runs: i64,
    pub success_rate: Option<f64>,
    pub cost_usd: Decimal,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub avg_runs_per_session: Option<f64>,
    pub avg_active_time_ms: Option<f64>,
    pub local_handoff_rate: Option<f64>,
    pub post_handoff_iteration_rate: Option<f64>,
    pub duration_p50_ms: Option<f64>,
    pub duration_p95_ms: Option<f64>,
    pub duration_p99_ms: Option<f64>,
    pub failed_by_category: [i64; 4],
    /// The sums these figures come from: model calls, tools and code
    /// (SPEC section 11) are read from here.
    pub sums: Sums,
}

/// Succeeded over succeeded and failed runs; `None` when both are 0. The
/// one formula of every success rate (org, user, breakdown row).
pub fn success_rate(succeeded: i64, failed: i64) -> Option<f64> {
    ratio(succeeded, succeeded + failed)
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

impl Kpis {
    /// Cost divided by succeeded runs, to 6 decimals (half away from zero);
    /// `None` when no run succeeded.
    pub fn cost_per_successful_run(&self) -> Option<Decimal> {
        self.cost_per(self.succeeded_runs)
    }

    /// Cost divided by the pull requests the agents opened, to 6 decimals;
    /// `None` when they opened none.
    pub fn cost_per_pull_request(&self) -> Option<Decimal> {
        self.cost_per(self.sums.pull_requests)
    }

    /// Cost divided by the commits the agents made, to 6 decimals; `None`
    /// when they made none.
    pub fn cost_per_commit(&self) -> Option<Decimal> {
        self.cost_per(self.sums.commits)
    }

    /// Cost divided by `n`, to 6 decimals (half away from zero); `None`
    /// when `n` is 0.
    fn cost_per(&self, n: i64) -> Option<Decimal> {
        (n > 0).then(|| {
            (self.cost_usd / Decimal::from(n))
                .round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        })
    }

    /// `buckets` are (bucket, count) pairs of duration sketches, in any order.
    pub fn from_sums(sums: &Sums, active_users: i64, buckets: &[(i32, i64)]) -> Kpis {
        Kpis {
            active_users,
            sessions: sums.sessions,
            runs: sums.runs,
            succeeded_runs: sums.succeeded,
            failed_runs: sums.failed,
            cancelled_runs: sums.cancelled,
            success_rate: sums.success_rate(),
            cost_usd: sums.cost_usd.normalize(),
            input_tokens: sums.input_tokens,
            output_tokens: sums.output_tokens,
            avg_runs_per_session: sums.avg_runs_per_session(),
            avg_active_time_ms: sums.avg_active_time_ms(),
            local_handoff_rate: sums.local_handoff_rate(),
            post_handoff_iteration_rate: sums.post_handoff_iteration_rate(),
            duration_p50_ms: sketch::quantile(buckets, 0.50),
            duration_p95_ms: sketch::quantile(buckets, 0.95),
            duration_p99_ms: sketch::quantile(buckets, 0.99),
            failed_by_category: sums.failed_by_category(),
            sums: *sums,
        }
    }
}
