//! What the agents people run report beyond runs (SPEC section 11): each
//! model call with its tokens by kind and cost, each tool call with its
//! permission decision, and code changes. Producers send them through
//! `ingestEvents`; the OpenTelemetry receiver makes them from the agents'
//! own telemetry.

use serde::{Deserialize, Serialize};

use super::ErrorCategory;

/// One request to a model. A run with calls takes its usage from them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelCallInput {
    pub model: String,
    /// Input not read from or written to a cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i32>,
    /// Reasoning tokens included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_tokens: Option<i32>,
    /// As the producer reports it: a decimal string, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i32>,
    /// Set when the call failed for good, after the producer's retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_category: Option<ErrorCategory>,
    /// One attempt of a request the agent may still retry (Codex CLI logs
    /// each attempt with its error, and nothing when a request fails for
    /// good): not a call of its own and not a failure; it only stands as
    /// its run's latest call, so a run whose last attempt failed ends
    /// FAILED. Not part of the GraphQL input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<bool>,
}

impl ModelCallInput {
    /// Whether this is a call of its own (see [`ModelCallInput::attempt`]).
    pub fn counts(&self) -> bool {
        self.attempt != Some(true)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ToolDecision {
    Accepted,
    Rejected,
}

/// One use of a tool.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallInput {
    pub name: String,
    /// `None`: not run (e.g. rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i32>,
    /// The permission decision, when one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ToolDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Lines, commits and pull requests an agent made.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeChangeInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_added: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_removed: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commits: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_requests: Option<i32>,
}
