//! Codex CLI's log events (SPEC section 11): a prompt is a user message;
//! the `response.completed` event that carries usage is a model call (its
//! input count includes cached tokens, which are taken out; output includes
//! reasoning); a tool result is a tool call, a refused decision a rejected
//! one; a failed attempt marks its run's latest call failed (Codex logs
//! attempts, not requests). Codex reports no cost, and no turn on its logs: a prompt starts a
//! run that ends with the next prompt or a quiet spell, and the events
//! after it join it when stored (they name no run themselves).

use agentmon_core::event::{
    EventInput, EventType, MessageInput, MessageRole, ModelCallInput, RunInput, ToolCallInput,
    ToolDecision,
};

use crate::attrs::Attrs;
use crate::envelope::Envelope;
use crate::failure::failed_call;

pub fn events(name: &str, env: &Envelope, a: &Attrs) -> Vec<EventInput> {
    match name {
        "user_prompt" => {
            let mut start = env.event(EventType::RunStarted, "run");
            let run = Some(start.event_id.to_string());
            start.run_id = run.clone();
            start.run = Some(RunInput {
                ends_implicitly: Some(true),
                ..RunInput::default()
            });
            let mut message = env.event(EventType::MessageSent, "message");
            message.run_id = run;
            message.message = Some(MessageInput {
                role: MessageRole::User,
                text: a
                    .str("prompt")
                    .filter(|t| t != "[REDACTED]" && t != "<REDACTED>"),
            });
            vec![start, message]
        }
        "sse_event"
            if a.str("event.kind").as_deref() == Some("response.completed")
                && a.str("error.message").is_none() =>
        {
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
                attempt: None,
            });
            vec![call]
        }
        // Codex logs every attempt, and nothing when a request fails for
        // good: a failed attempt (an HTTP error, or a stream that failed)
        // stands as its run's latest call, so a run that ends on one ends
        // FAILED; a later success replaces it.
        "api_request" | "websocket_request" | "sse_event" => {
            let failed_stream = matches!(
                a.str("event.kind").as_deref(),
                Some("response.failed" | "response.completed")
            );
            if name == "sse_event" && !failed_stream {
                return Vec::new();
            }
            let Some(error) = a.str("error.message").filter(|e| !e.is_empty()) else {
                return Vec::new();
            };
            let mut attempt = env.event(EventType::ModelCall, "attempt");
            attempt.model_call = Some(ModelCallInput {
                attempt: Some(true),
                ..failed_call(
                    a.first(&["model", "slug"])
                        .unwrap_or_else(|| "unknown".into()),
                    &error,
                    a.count("duration_ms"),
                )
            });
            vec![attempt]
        }
        "tool_decision" => {
            // Spellings across versions: denied, denied_with_network_policy_deny,
            // abort, timedout / timed_out; approved* runs the tool.
            let refused = a.str("decision").is_some_and(|d| {
                let d = d.to_ascii_lowercase();
                d.starts_with("denied")
                    || matches!(
                        d.as_str(),
                        "abort" | "timedout" | "timed_out" | "rejected" | "reject"
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
