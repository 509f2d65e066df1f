//! The rules of SPEC section 2 that need nothing but the event itself. Each
//! broken rule rejects only its event, with a message naming the field.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use uuid::Uuid;

use super::{EventInput, EventType, RunStatus};

pub const MAX_EVENTS_PER_CALL: usize = 1_000;
const MAX_ID_CHARS: usize = 256;
const MAX_ATTRIBUTES: usize = 64;
const MAX_ATTRIBUTE_KEY_CHARS: usize = 128;
const MAX_ATTRIBUTE_VALUE_CHARS: usize = 1_024;
const MAX_TEXT_CHARS: usize = 100_000;
const MAX_SHORT_TEXT_CHARS: usize = 10_000;

static COST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{1,18}(\.[0-9]{1,9})?$").unwrap_or_else(|e| panic!("cost regex: {e}"))
});

/// Why one event of a call was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub index: usize,
    pub event_id: Option<Uuid>,
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(index: usize, event: &EventInput, code: &'static str, message: String) -> Self {
        Rejection {
            index,
            event_id: Some(event.event_id),
            code,
            message,
        }
    }
}

/// Checks one event against every rule that needs no stored state. The error
/// is the message for an `INVALID_EVENT` rejection.
pub fn validate(event: &EventInput, now: DateTime<Utc>) -> Result<(), String> {
    no_nul_character(event)?;
    check_id("sessionId", Some(&event.session_id))?;
    check_id("userId", Some(&event.user_id))?;
    check_id("runId", event.run_id.as_deref())?;
    check_id("org", Some(&event.org))?;

    let kind = event.event_type.as_str();
    match event.event_type {
        EventType::RunStarted | EventType::RunFinished if event.run_id.is_none() => {
            return Err(format!("runId is required for {kind}"));
        }
        EventType::MessageSent if event.message.is_none() => {
            return Err("message is required for MESSAGE_SENT: give message { role, text }".into());
        }
        EventType::SessionHandoff if event.handoff.is_none() => {
            return Err("handoff is required for SESSION_HANDOFF: give handoff { target }".into());
        }
        EventType::ModelCall if event.model_call.is_none() => {
            return Err("modelCall is required for MODEL_CALL: give modelCall { model, inputTokens, outputTokens, … }".into());
        }
        EventType::ToolCall if event.tool.is_none() => {
            return Err(
                "tool is required for TOOL_CALL: give tool { name, success, decision, … }".into(),
            );
        }
        EventType::CodeChange if event.code.is_none() => {
            return Err("code is required for CODE_CHANGE: give code { linesAdded, linesRemoved, commits, pullRequests }".into());
        }
        _ => {}
    }
    if event.event_type == EventType::RunFinished {
        match event.run.as_ref().and_then(|r| r.status) {
            Some(RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled) => {}
            Some(RunStatus::Running) => return Err(
                "run.status must be SUCCEEDED, FAILED or CANCELLED for RUN_FINISHED, not RUNNING"
                    .into(),
            ),
            None => {
                return Err(
                    "run.status is required for RUN_FINISHED: SUCCEEDED, FAILED or CANCELLED"
                        .into(),
                )
            }
        }
    }
    if let Some(run) = &event.run {
        non_negative("run.inputTokens", run.input_tokens)?;
        non_negative("run.outputTokens", run.output_tokens)?;
        non_negative("run.durationMs", run.duration_ms)?;
        check_cost("run.costUsd", run.cost_usd.as_deref())?;
        max_chars("run.model", run.model.as_deref(), MAX_ID_CHARS)?;
        max_chars(
            "run.errorMessage",
            run.error_message.as_deref(),
            MAX_SHORT_TEXT_CHARS,
        )?;
    }
    if let Some(message) = &event.message {
        max_chars("message.text", message.text.as_deref(), MAX_TEXT_CHARS)?;
    }
    check_agent_parts(event)?;
    if let Some(user) = &event.user {
        max_chars("user.email", user.email.as_deref(), MAX_ID_CHARS)?;
        max_chars("user.name", user.name.as_deref(), MAX_ID_CHARS)?;
    }
    if let Some(attributes) = &event.attributes {
        check_attributes(attributes)?;
    }
    if event.occurred_at > now + Duration::hours(24) {
        return Err(format!(
            "occurredAt {} is more than 24 h in the future; send the time the event happened, in UTC or with its offset",
            event.occurred_at.to_rfc3339()
        ));
    }
    Ok(())
}

/// PostgreSQL stores no NUL character (`\u0000`) in text or JSON: an event
/// holding one is refused alone, naming the field, rather than failing the
/// whole call at the database.
fn no_nul_character(event: &EventInput) -> Result<(), String> {
    fn find(value: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
        use serde_json::Value;
        match value {
            Value::String(s) if s.contains('\0') => Some(path.join(".")),
            Value::Object(map) => map.iter().find_map(|(key, value)| {
                if key.contains('\0') {
                    return Some(format!(
                        "{} (a key)",
                        [&path[..], &[key.replace('\0', "\\u0000")]]
                            .concat()
                            .join(".")
                    ));
                }
                path.push(key.clone());
                let found = find(value, path);
                path.pop();
                found
            }),
            Value::Array(items) => items.iter().find_map(|v| find(v, path)),
            _ => None,
        }
    }
    // Written as JSON text, a NUL shows as its escape: most events hold
    // none, and the text is cheaper to make than a tree of values. (A
    // backslash sent before `u0000` shows the same; the walk tells.)
    let text =
        serde_json::to_string(event).map_err(|e| format!("the event cannot be read: {e}"))?;
    if !text.contains(r"\u0000") {
        return Ok(());
    }
    let value =
        serde_json::to_value(event).map_err(|e| format!("the event cannot be read: {e}"))?;
    match find(&value, &mut Vec::new()) {
        Some(field) => Err(format!(
            "{field} holds a NUL character (\\u0000), which cannot be stored; remove it"
        )),
        None => Ok(()),
    }
}

/// The parts of MODEL_CALL, TOOL_CALL and CODE_CHANGE events.
fn check_agent_parts(event: &EventInput) -> Result<(), String> {
    if let Some(call) = &event.model_call {
        check_id("modelCall.model", Some(&call.model))?;
        non_negative("modelCall.inputTokens", call.input_tokens)?;
        non_negative("modelCall.outputTokens", call.output_tokens)?;
        non_negative("modelCall.cacheReadTokens", call.cache_read_tokens)?;
        non_negative("modelCall.cacheCreationTokens", call.cache_creation_tokens)?;
        non_negative("modelCall.durationMs", call.duration_ms)?;
        check_cost("modelCall.costUsd", call.cost_usd.as_deref())?;
        max_chars(
            "modelCall.error",
            call.error.as_deref(),
            MAX_SHORT_TEXT_CHARS,
        )?;
    }
    if let Some(tool) = &event.tool {
        check_id("tool.name", Some(&tool.name))?;
        non_negative("tool.durationMs", tool.duration_ms)?;
        max_chars("tool.error", tool.error.as_deref(), MAX_SHORT_TEXT_CHARS)?;
    }
    if let Some(code) = &event.code {
        non_negative("code.linesAdded", code.lines_added)?;
        non_negative("code.linesRemoved", code.lines_removed)?;
        non_negative("code.commits", code.commits)?;
        non_negative("code.pullRequests", code.pull_requests)?;
    }
    Ok(())
}

fn check_cost(field: &str, cost: Option<&str>) -> Result<(), String> {
    match cost {
        Some(cost) if !COST.is_match(cost) => Err(format!(
            "{field} must be a non-negative decimal string with at most 9 fractional \
             digits, such as \"0.001234\"; got {cost:?}"
        )),
        _ => Ok(()),
    }
}

fn check_id(field: &str, value: Option<&str>) -> Result<(), String> {
    match value {
        Some("") => Err(format!("{field} must not be empty")),
        Some(v) if v.chars().count() > MAX_ID_CHARS => Err(format!(
            "{field} is {} characters long; at most {MAX_ID_CHARS} are allowed",
            v.chars().count()
        )),
        _ => Ok(()),
    }
}

fn non_negative(field: &str, value: Option<i32>) -> Result<(), String> {
    match value {
        Some(v) if v < 0 => Err(format!("{field} must be 0 or more; got {v}")),
        _ => Ok(()),
    }
}

fn max_chars(field: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    match value {
        Some(v) if v.chars().count() > max => Err(format!(
            "{field} is {} characters long; at most {max} are allowed",
            v.chars().count()
        )),
        _ => Ok(()),
    }
}

fn check_attributes(value: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    let object = match value {
        Value::Object(o) => o,
        Value::Null => return Ok(()),
        other => {
            return Err(format!(
                "attributes must be a flat JSON object of string keys to string, number or boolean values; got {}",
                json_kind(other)
            ))
        }
    };
    if object.len() > MAX_ATTRIBUTES {
        return Err(format!(
            "attributes has {} keys; at most {MAX_ATTRIBUTES} are allowed",
            object.len()
        ));
    }
    for (key, value) in object {
        if key.is_empty() {
            return Err("attributes keys must not be empty".into());
        }
        if key.chars().count() > MAX_ATTRIBUTE_KEY_CHARS {
            return Err(format!(
                "attributes key {:?}… is longer than {MAX_ATTRIBUTE_KEY_CHARS} characters",
                key.chars().take(32).collect::<String>()
            ));
        }
        match value {
            Value::String(s) if s.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS => {
                return Err(format!(
                    "attributes.{key} is longer than {MAX_ATTRIBUTE_VALUE_CHARS} characters"
                ))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            other => {
                return Err(format!(
                    "attributes.{key} must be a string, number or boolean; got {}",
                    json_kind(other)
                ))
            }
        }
    }
    Ok(())
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
