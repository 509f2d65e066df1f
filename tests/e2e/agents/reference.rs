//! The figures SPEC section 11 defines, worked out from the events as sent:
//! the reference the API's answers are checked against.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    pub runs: i64,
    pub model_calls: i64,
    pub failed_model_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cost: Decimal,
    pub unpriced_model_calls: i64,
    pub tool_calls: i64,
    pub failed_tool_calls: i64,
    pub rejected_tool_calls: i64,
    pub lines_added: i64,
    pub lines_removed: i64,
    pub commits: i64,
    pub pull_requests: i64,
}

fn n(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(0)
}

fn money(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_default()
}

/// The figures of `events` (each stored once, by eventId): a run with model
/// calls takes its usage from them, one without keeps its finish's.
pub fn figures(events: &[Value]) -> Figures {
    let mut seen = BTreeSet::new();
    let events: Vec<&Value> = events
        .iter()
        .filter(|e| seen.insert(e["eventId"].to_string()))
        .collect();
    let runs_with_calls: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["type"] == "MODEL_CALL")
        .filter_map(|e| e["runId"].as_str())
        .collect();
    let mut finishes: BTreeMap<&str, &Value> = BTreeMap::new();
    let mut f = Figures::default();
    for e in &events {
        match e["type"].as_str().unwrap_or_default() {
            "RUN_FINISHED" => {
                finishes.insert(e["runId"].as_str().unwrap_or_default(), e);
            }
            "MODEL_CALL" => {
                let c = &e["modelCall"];
                f.model_calls += 1;
                f.failed_model_calls += i64::from(!c["error"].is_null());
                f.input_tokens += n(c, "inputTokens");
                f.output_tokens += n(c, "outputTokens");
                f.cache_read_tokens += n(c, "cacheReadTokens");
                f.cache_creation_tokens += n(c, "cacheCreationTokens");
                f.cost += money(&c["costUsd"]);
                f.unpriced_model_calls += i64::from(c["costUsd"].is_null());
            }
            "TOOL_CALL" => {
                let t = &e["tool"];
                f.tool_calls += 1;
                f.failed_tool_calls += i64::from(t["success"] == false);
                f.rejected_tool_calls += i64::from(t["decision"] == "REJECTED");
            }
            "CODE_CHANGE" => {
                let c = &e["code"];
                f.lines_added += n(c, "linesAdded");
                f.lines_removed += n(c, "linesRemoved");
                f.commits += n(c, "commits");
                f.pull_requests += n(c, "pullRequests");
            }
            _ => {}
        }
    }
    for (run, finish) in finishes {
        f.runs += 1;
        if !runs_with_calls.contains(run) {
            let r = &finish["run"];
            f.input_tokens += n(r, "inputTokens");
            f.output_tokens += n(r, "outputTokens");
            f.cost += money(&r["costUsd"]);
        }
    }
    f
}

/// The figures of one run's model calls and tool calls.
pub fn run_calls(events: &[Value], run: &str) -> Figures {
    let of_run: Vec<Value> = events
        .iter()
        .filter(|e| e["runId"] == run && (e["type"] == "MODEL_CALL" || e["type"] == "TOOL_CALL"))
        .cloned()
        .collect();
    figures(&of_run)
}
