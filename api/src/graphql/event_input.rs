//! The GraphQL face of the event envelope: the contract's input types and
//! enums, mirrored from the domain's (`agentmon_core::event`) and turned
//! into them on the way in, so the domain knows nothing of GraphQL.

use agentmon_core::event as domain;
use async_graphql::{Enum, EnumType, InputObject, Json};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::EventType")]
#[serde(try_from = "String")]
pub enum EventType {
    SessionStarted,
    MessageSent,
    RunStarted,
    RunFinished,
    SessionHandoff,
    SessionEnded,
    ModelCall,
    ToolCall,
    CodeChange,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::MessageRole")]
#[serde(try_from = "String")]
pub enum MessageRole {
    User,
    Agent,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::RunStatus")]
#[serde(try_from = "String")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::ErrorCategory")]
#[serde(try_from = "String")]
pub enum ErrorCategory {
    Tool,
    Model,
    Timeout,
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::ToolDecision")]
#[serde(try_from = "String")]
pub enum ToolDecision {
    Accepted,
    Rejected,
}

/// Where a run's cost comes from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CostSource {
    Reported,
    Estimated,
    Unpriced,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[graphql(remote = "domain::HandoffTarget")]
#[serde(try_from = "String")]
pub enum HandoffTarget {
    Local,
    Other,
}

/// The input enums read from JSON (the `ingestEvents` body's one-pass
/// reading) by their GraphQL names and from strings only: serde's own
/// reading of an enum would also take `{"NAME": null}`, which GraphQL
/// refuses.
macro_rules! read_by_graphql_name {
    ($($enum:ty),*) => {$(
        impl TryFrom<String> for $enum {
            type Error = String;
            fn try_from(name: String) -> Result<Self, String> {
                <$enum as EnumType>::items()
                    .iter()
                    .find(|item| item.name == name)
                    .map(|item| item.value)
                    .ok_or_else(|| format!("{name:?} is not a value of {}", stringify!($enum)))
            }
        }
    )*};
}

read_by_graphql_name!(
    EventType,
    MessageRole,
    RunStatus,
    ErrorCategory,
    ToolDecision,
    HandoffTarget
);

/// One event from a producer. `eventId` is the idempotency key within an org.
#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventInput {
    pub event_id: Uuid,
    /// Org slug; the org must exist.
    pub org: String,
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// The producer's session id, unique within the org.
    pub session_id: String,
    /// The producer's user id, unique within the org; unknown users are created.
    pub user_id: String,
    /// Required for RUN_STARTED and RUN_FINISHED.
    pub run_id: Option<String>,
    /// Required for MESSAGE_SENT.
    pub message: Option<MessageInput>,
    /// RUN_STARTED: model; RUN_FINISHED: outcome and usage.
    pub run: Option<RunInput>,
    /// Required for SESSION_HANDOFF.
    pub handoff: Option<HandoffInput>,
    /// A flat object of string keys to string, number or boolean values.
    pub attributes: Option<Json<serde_json::Value>>,
    /// Optional profile of the user (email, name); the last write wins.
    pub user: Option<UserProfileInput>,
    /// Required for MODEL_CALL.
    pub model_call: Option<ModelCallInput>,
    /// Required for TOOL_CALL.
    pub tool: Option<ToolCallInput>,
    /// Required for CODE_CHANGE.
    pub code: Option<CodeChangeInput>,
}

/// One request to a model. runId, when present, ties it to a run of the session.
#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelCallInput {
    pub model: String,
    /// Input not read from or written to a cache.
    pub input_tokens: Option<i32>,
    /// Reasoning tokens included.
    pub output_tokens: Option<i32>,
    pub cache_read_tokens: Option<i32>,
    pub cache_creation_tokens: Option<i32>,
    /// As the producer reports it; absent: priced from the model price table.
    pub cost_usd: Option<String>,
    pub duration_ms: Option<i32>,
    /// Set when the call failed for good (after the producer's retries).
    pub error: Option<String>,
    pub error_category: Option<ErrorCategory>,
}

#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolCallInput {
    pub name: String,
    /// Null: not run (e.g. rejected).
    pub success: Option<bool>,
    pub duration_ms: Option<i32>,
    /// The permission decision, when one was made.
    pub decision: Option<ToolDecision>,
    pub error: Option<String>,
}

#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeChangeInput {
    pub lines_added: Option<i32>,
    pub lines_removed: Option<i32>,
    pub commits: Option<i32>,
    pub pull_requests: Option<i32>,
}

#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageInput {
    pub role: MessageRole,
    pub text: Option<String>,
}

#[derive(InputObject, Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunInput {
    pub model: Option<String>,
    /// RUN_FINISHED: SUCCEEDED, FAILED or CANCELLED.
    pub status: Option<RunStatus>,
    /// When FAILED.
    pub error_category: Option<ErrorCategory>,
    pub error_message: Option<String>,
    pub input_tokens: Option<i32>,
    pub output_tokens: Option<i32>,
    /// A decimal string such as "0.001234": exact, never a float.
    pub cost_usd: Option<String>,
    /// If absent: finished.occurredAt - started.occurredAt.
    pub duration_ms: Option<i32>,
}

#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HandoffInput {
    pub target: HandoffTarget,
}

#[derive(InputObject, Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserProfileInput {
    pub email: Option<String>,
    pub name: Option<String>,
}

impl From<EventInput> for domain::EventInput {
    fn from(e: EventInput) -> Self {
        domain::EventInput {
            event_id: e.event_id,
            org: e.org,
            event_type: e.event_type.into(),
            occurred_at: e.occurred_at,
            session_id: e.session_id,
            user_id: e.user_id,
            run_id: e.run_id,
            message: e.message.map(|m| domain::MessageInput {
                role: m.role.into(),
                text: m.text,
            }),
            run: e.run.map(|r| domain::RunInput {
                model: r.model,
                status: r.status.map(Into::into),
                error_category: r.error_category.map(Into::into),
                error_message: r.error_message,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                cost_usd: r.cost_usd,
                duration_ms: r.duration_ms,
                ends_implicitly: None,
            }),
            handoff: e.handoff.map(|h| domain::HandoffInput {
                target: h.target.into(),
            }),
            attributes: e.attributes.map(|a| a.0),
            user: e.user.map(|u| domain::UserProfileInput {
                email: u.email,
                name: u.name,
            }),
            model_call: e.model_call.map(|c| domain::ModelCallInput {
                model: c.model,
                input_tokens: c.input_tokens,
                output_tokens: c.output_tokens,
                cache_read_tokens: c.cache_read_tokens,
                cache_creation_tokens: c.cache_creation_tokens,
                cost_usd: c.cost_usd,
                duration_ms: c.duration_ms,
                error: c.error,
                error_category: c.error_category.map(Into::into),
                attempt: None,
            }),
            tool: e.tool.map(|t| domain::ToolCallInput {
                name: t.name,
                success: t.success,
                duration_ms: t.duration_ms,
                decision: t.decision.map(Into::into),
                error: t.error,
            }),
            code: e.code.map(|c| domain::CodeChangeInput {
                lines_added: c.lines_added,
                lines_removed: c.lines_removed,
                commits: c.commits,
                pull_requests: c.pull_requests,
            }),
        }
    }
}
