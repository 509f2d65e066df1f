//! A model request that failed, as every agent's records describe one:
//! nothing billed, the error kept (cut to 1,000 characters), `TIMEOUT` when
//! the error says so, else `MODEL`.

use agentmon_core::event::{ErrorCategory, ModelCallInput};

pub fn failed_call(model: String, error: &str, duration_ms: Option<i32>) -> ModelCallInput {
    let lower = error.to_ascii_lowercase();
    let timeout = ["timeout", "timed out", "deadline"]
        .iter()
        .any(|w| lower.contains(w));
    ModelCallInput {
        model,
        cost_usd: Some("0".into()),
        duration_ms,
        error: Some(error.chars().take(1_000).collect()),
        error_category: Some(if timeout {
            ErrorCategory::Timeout
        } else {
            ErrorCategory::Model
        }),
        ..ModelCallInput::default()
    }
}
