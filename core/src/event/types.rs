//! The event envelope as producers send it, shared by ingest, the
//! projectors and the demo generator. Names follow the GraphQL contract;
//! the API mirrors these types as GraphQL inputs and enums.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::agents::{CodeChangeInput, ModelCallInput, ToolCallInput};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SessionStarted => "SESSION_STARTED",
            EventType::MessageSent => "MESSAGE_SENT",
            EventType::RunStarted => "RUN_STARTED",
            EventType::RunFinished => "RUN_FINISHED",
            EventType::SessionHandoff => "SESSION_HANDOFF",
            EventType::SessionEnded => "SESSION_ENDED",
            EventType::ModelCall => "MODEL_CALL",
            EventType::ToolCall => "TOOL_CALL",
            EventType::CodeChange => "CODE_CHANGE",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageRole {
    User,
    Agent,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Succeeded => "SUCCEEDED",
            RunStatus::Failed => "FAILED",
            RunStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Running,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCategory {
    Tool,
    Model,
    Timeout,
    Other,
}

impl ErrorCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Tool => "TOOL",
            ErrorCategory::Model => "MODEL",
            ErrorCategory::Timeout => "TIMEOUT",
            ErrorCategory::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCategory> {
        [
            ErrorCategory::Tool,
            ErrorCategory::Model,
            ErrorCategory::Timeout,
            ErrorCategory::Other,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HandoffTarget {
    Local,
    Other,
}

/// One event from a producer. `eventId` is the idempotency key within an org.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    pub event_id: Uuid,
    /// Org slug; the org must exist.
    pub org: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// The producer's session id, unique within the org.
    pub session_id: String,
    /// The producer's user id, unique within the org; unknown users are created.
    pub user_id: String,
    /// Required for RUN_STARTED and RUN_FINISHED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Required for MESSAGE_SENT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<MessageInput>,
    /// RUN_STARTED: model; RUN_FINISHED: outcome and usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunInput>,
    /// Required for SESSION_HANDOFF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffInput>,
    /// A flat object of string keys to string, number or boolean values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    /// Optional profile of the user (email, name); the last write wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserProfileInput>,
    /// Required for MODEL_CALL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_call: Option<ModelCallInput>,
    /// Required for TOOL_CALL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolCallInput>,
    /// Required for CODE_CHANGE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeChangeInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageInput {
    pub role: MessageRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// RUN_FINISHED: SUCCEEDED, FAILED or CANCELLED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// When FAILED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_category: Option<ErrorCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i32>,
    /// A decimal string such as "0.001234": exact, never a float.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<String>,
    /// If absent: finished.occurredAt - started.occurredAt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i32>,
    /// RUN_STARTED of a source that sends no end (the OpenTelemetry
    /// receiver sets it): the run ends at its last event once its session
    /// has a later run, or after a quiet spell. Not part of the GraphQL input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_implicitly: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HandoffInput {
    pub target: HandoffTarget,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserProfileInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl EventInput {
    /// What is stored in `events.payload`: the parts beyond the indexed
    /// columns, as the producer sent them.
    pub fn payload(&self) -> serde_json::Value {
        serde_json::to_value(self.payload_parts()).unwrap_or_default()
    }

    /// The payload as JSON text, written straight from the event (ingest
    /// binds it as `jsonb`; no tree of values is built on the way).
    pub fn payload_text(&self) -> String {
        serde_json::to_string(&self.payload_parts()).unwrap_or_else(|_| "{}".into())
    }

    fn payload_parts(&self) -> PayloadParts<'_> {
        PayloadParts {
            message: self.message.as_ref(),
            run: self.run.as_ref(),
            handoff: self.handoff.as_ref(),
            attributes: self.attributes.as_ref().filter(|a| !a.is_null()),
            user: self.user.as_ref(),
            model_call: self.model_call.as_ref(),
            tool: self.tool.as_ref(),
            code: self.code.as_ref(),
        }
    }
}

/// The parts of an event kept in its payload; absent ones are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadParts<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a MessageInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a RunInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<&'a HandoffInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a UserProfileInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_call: Option<&'a ModelCallInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<&'a ToolCallInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a CodeChangeInput>,
}
