//! What model calls, tool calls and code changes add (SPEC section 11).

use agentmon_core::event::{CodeChangeInput, ModelCallInput, ToolCallInput, ToolDecision};
use agentmon_core::metrics::pricing::{CallCost, PriceTable};
use chrono::{DateTime, Utc};

use super::figures::RunFigures;

/// One model call at `at`: its tokens by kind and its cost as reported,
/// else estimated from the price valid then; a call with neither counts 0
/// and as unpriced.
pub fn of_call(call: &ModelCallInput, at: DateTime<Utc>, prices: &PriceTable) -> RunFigures {
    let tokens = |n: Option<i32>| n.map(i64::from).unwrap_or(0);
    let mut f = RunFigures {
        model_calls: 1,
        failed_model_calls: i64::from(call.error.is_some() || call.error_category.is_some()),
        input_tokens: tokens(call.input_tokens),
        output_tokens: tokens(call.output_tokens),
        cache_read_tokens: tokens(call.cache_read_tokens),
        cache_creation_tokens: tokens(call.cache_creation_tokens),
        ..RunFigures::default()
    };
    match CallCost::of(call, at, prices) {
        CallCost::Reported(cost) => f.cost_usd = cost,
        CallCost::Estimated(estimate) => {
            f.cost_usd = estimate;
            f.estimated_cost_usd = estimate;
            f.estimated_model_calls = 1;
        }
        CallCost::Unpriced => f.unpriced_model_calls = 1,
    }
    if f.failed_model_calls > 0 {
        f.failed_call_cost_usd = f.cost_usd;
    }
    f
}

/// One tool call: failed when it ran and did not succeed; rejected when
/// the permission was refused.
pub fn of_tool(tool: &ToolCallInput) -> RunFigures {
    RunFigures {
        tool_calls: 1,
        failed_tool_calls: i64::from(tool.success == Some(false)),
        rejected_tool_calls: i64::from(tool.decision == Some(ToolDecision::Rejected)),
        ..RunFigures::default()
    }
}

/// One code change.
pub fn of_code(code: &CodeChangeInput) -> RunFigures {
    let n = |v: Option<i32>| v.map(i64::from).unwrap_or(0);
    RunFigures {
        lines_added: n(code.lines_added),
        lines_removed: n(code.lines_removed),
        commits: n(code.commits),
        pull_requests: n(code.pull_requests),
        ..RunFigures::default()
    }
}
