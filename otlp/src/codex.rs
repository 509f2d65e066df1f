//! Codex CLI's log events (SPEC section 11): a prompt is a user message;
//! the `response.completed` event that carries usage is a model call (its
//! input count includes cached tokens, which are taken out; output includes
//! reasoning); a tool result is a tool call, a refused decision a rejected
//! one. Codex reports no cost, and no turn on its logs: its calls count for
//! their session.

use agentmon_core::event::{
    EventInput, EventType, MessageInput, MessageRole, ModelCallInput, ToolCallInput, ToolDecision,
};

use crate::attrs::Attrs;
use crate::envelope::Envelope;

pub fn events(name: &str, env: &Envelope, a: &Attrs) -> Vec<EventInput> {
    match name {
        "user_prompt" => {
            let mut message = env.event(EventType::MessageSent, "message");
            message.message = Some(MessageInput {
                role: MessageRole::User,
                text: a
                    .str("prompt")
                    .filter(|t| t != "[REDACTED]" && t != "<REDACTED>"),
            });
            vec![message]
        }
        "sse_event" if a.str("event.kind").as_deref() == Some("response.completed") => {
            let Some(input) = a.int("input_token_count") else {
                return Vec::new(); // the first of the two carries no usage
            };
            let cached = a.int("cached_token_count").unwrap_or(0);
            let written = a.int("cache_write_token_count").unwrap_or(0);
            let fit = |n: i64| i32::try_from(n.max(0)).ok();
            let mut call = env.event(EventType::ModelCall, "call");
            call.model_call = Some(ModelCallInput {
                model: a
                    .first(&["model", "slug"])
                    .unwrap_or_else(|| "unknown".into()),
                input_tokens: fit(input - cached - written),
                output_tokens: a.count("output_token_count"),
                cache_read_tokens: fit(cached),
                cache_creation_tokens: fit(written),
                cost_usd: None,
                duration_ms: a.count("duration_ms"),
                error: None,
                error_category: None,
            });
            vec![call]
        }
        "tool_decision" => {
            let refused = a.str("decision").is_some_and(|d| {
                matches!(
                    d.to_ascii_lowercase().as_str(),
                    "denied" | "abort" | "rejected" | "reject"
                )
            });
            if !refused {
                return Vec::new();
            }
            let mut tool = env.event(EventType::ToolCall, "tool");
            tool.tool = Some(ToolCallInput {
                name: a.str("tool_name").unwrap_or_else(|| "unknown".into()),
                decision: Some(ToolDecision::Rejected),
                ..ToolCallInput::default()
            });
            vec![tool]
        }
        "tool_result" => {
            let success = a.bool("success");
            let mut tool = env.event(EventType::ToolCall, "tool");
            tool.tool = Some(ToolCallInput {
                name: a.str("tool_name").unwrap_or_else(|| "unknown".into()),
                success,
                duration_ms: a.count("duration_ms"),
                decision: None,
                error: None,
            });
            vec![tool]
        }
        _ => Vec::new(),
    }
}
