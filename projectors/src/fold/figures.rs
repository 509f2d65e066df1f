//! The additive figures of runs and model calls on one (day, model), and
//! of tool calls and code changes on one day: what every sum of the fold
//! is made of.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Additive figures of one (day, model): finished runs, and model calls;
/// of one day: tool calls and code changes. Kept in every session's and
/// run's fold state, where most figures are zero: zeros are left out of the
/// JSON (and read back as zero). In the ingest bench a run's state went
/// from 1,059 to 538 bytes of JSON and a session's from 1,866 to 1,177;
/// each is written again by every batch that touches it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunFigures {
    #[serde(skip_serializing_if = "zero")]
    pub runs: i64,
    #[serde(skip_serializing_if = "zero")]
    pub succeeded: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_tool: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_model: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_timeout: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_other: i64,
    #[serde(skip_serializing_if = "zero")]
    pub cancelled: i64,
    #[serde(skip_serializing_if = "no_amount")]
    pub cost_usd: Decimal,
    #[serde(skip_serializing_if = "zero")]
    pub input_tokens: i64,
    #[serde(skip_serializing_if = "zero")]
    pub output_tokens: i64,
    #[serde(skip_serializing_if = "zero")]
    pub model_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_model_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub cache_read_tokens: i64,
    #[serde(skip_serializing_if = "zero")]
    pub cache_creation_tokens: i64,
    #[serde(skip_serializing_if = "no_amount")]
    pub estimated_cost_usd: Decimal,
    /// Model calls priced by agentmon.
    #[serde(skip_serializing_if = "zero")]
    pub estimated_model_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub unpriced_model_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub tool_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub failed_tool_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub rejected_tool_calls: i64,
    #[serde(skip_serializing_if = "zero")]
    pub lines_added: i64,
    #[serde(skip_serializing_if = "zero")]
    pub lines_removed: i64,
    #[serde(skip_serializing_if = "zero")]
    pub commits: i64,
    #[serde(skip_serializing_if = "zero")]
    pub pull_requests: i64,
    /// The cost of a run that ended FAILED or CANCELLED (on its calls' days,
    /// or on its own day without calls).
    #[serde(skip_serializing_if = "no_amount")]
    pub failed_run_cost_usd: Decimal,
    /// The cost of model calls that failed for good.
    #[serde(skip_serializing_if = "no_amount")]
    pub failed_call_cost_usd: Decimal,
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
        self.model_calls += sign * other.model_calls;
        self.failed_model_calls += sign * other.failed_model_calls;
        self.cache_read_tokens += sign * other.cache_read_tokens;
        self.cache_creation_tokens += sign * other.cache_creation_tokens;
        self.estimated_cost_usd =
            (self.estimated_cost_usd + Decimal::from(sign) * other.estimated_cost_usd).normalize();
        self.estimated_model_calls += sign * other.estimated_model_calls;
        self.unpriced_model_calls += sign * other.unpriced_model_calls;
        self.tool_calls += sign * other.tool_calls;
        self.failed_tool_calls += sign * other.failed_tool_calls;
        self.rejected_tool_calls += sign * other.rejected_tool_calls;
        self.lines_added += sign * other.lines_added;
        self.lines_removed += sign * other.lines_removed;
        self.commits += sign * other.commits;
        self.pull_requests += sign * other.pull_requests;
        self.failed_run_cost_usd = (self.failed_run_cost_usd
            + Decimal::from(sign) * other.failed_run_cost_usd)
            .normalize();
        self.failed_call_cost_usd = (self.failed_call_cost_usd
            + Decimal::from(sign) * other.failed_call_cost_usd)
            .normalize();
    }

    /// The sum of several figures.
    pub fn sum<'a>(figures: impl IntoIterator<Item = &'a RunFigures>) -> RunFigures {
        let mut sum = RunFigures::default();
        for f in figures {
            sum.add(f, 1);
        }
        sum
    }

    pub(super) fn is_zero(&self) -> bool {
        *self == RunFigures::default()
    }
}

/// Whether a count is zero: left out of a kept state.
pub(super) fn zero(n: &i64) -> bool {
    *n == 0
}

/// Whether an amount is zero: left out of a kept state.
fn no_amount(d: &Decimal) -> bool {
    d.is_zero()
}
