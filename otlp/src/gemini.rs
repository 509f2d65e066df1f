//! Gemini CLI's log events (SPEC section 11): a prompt (`prompt_id`)
//! starts a run with a user message; `api_response` is a model call, the
//! model router's included (its input count includes cached tokens, taken
//! out here; thinking tokens are output); `api_error` a failed call, unless
//! the API answered "try again" (429, 5xx), which the CLI retries; a tool
//! call with its decision and outcome. Its
//! `gen_ai.client.inference.operation.details` records describe the same
//! calls again and are not counted.

use agentmon_core::event::{
    EventInput, EventType, MessageInput, MessageRole, ModelCallInput, RunInput, ToolCallInput,
    ToolDecision,
};

use crate::attrs::Attrs;
use crate::envelope::Envelope;
use crate::failure::failed_call;

pub fn events(name: &str, env: &Envelope, a: &Attrs) -> Vec<EventInput> {
    let run = a.str("prompt_id");
    let with_run = |mut e: EventInput| {
        e.run_id = run.clone();
        e
    };
    let fit = |n: i64| i32::try_from(n.max(0)).ok();
    match name {
        "user_prompt" => {
            let mut message = env.event(EventType::MessageSent, "message");
            message.message = Some(MessageInput {
                role: MessageRole::User,
                text: a.str("prompt"),
            });
            let Some(_) = run else {
                return vec![message];
            };
            // Gemini CLI logs no end of a turn: a later prompt or a quiet spell ends it.
            let mut start = env.event(EventType::RunStarted, "run");
            start.run = Some(RunInput {
                ends_implicitly: Some(true),
                ..RunInput::default()
            });
            vec![with_run(start), message]
        }
        "api_response" => {
            let input = a.int("input_token_count").unwrap_or(0);
            let cached = a.int("cached_content_token_count").unwrap_or(0);
            let output = a.int("output_token_count").unwrap_or(0)
                + a.int("thoughts_token_count").unwrap_or(0);
            let mut call = env.event(EventType::ModelCall, "call");
            call.model_call = Some(ModelCallInput {
                model: a.str("model").unwrap_or_else(|| "unknown".into()),
                input_tokens: fit(input - cached),
                output_tokens: fit(output),
                cache_read_tokens: fit(cached),
                cache_creation_tokens: None,
                cost_usd: None,
                duration_ms: a.count("duration_ms"),
                error: None,
                error_category: None,
                attempt: None,
            });
            vec![with_run(call)]
        }
        "api_error" => {
            let status = a.int("status_code").or_else(|| a.int("http.status_code"));
            if status.is_some_and(|s| s == 429 || s >= 500) {
                return Vec::new(); // retried by the CLI: not a failure for good
            }
            let error = a
                .first(&["error.message", "error"])
                .unwrap_or_else(|| "the model API failed".into());
            let mut call = env.event(EventType::ModelCall, "call");
            call.model_call = Some(failed_call(
                a.first(&["model", "model_name"])
                    .unwrap_or_else(|| "unknown".into()),
                &error,
                a.count("duration_ms"),
            ));
            vec![with_run(call)]
        }
        "tool_call" => {
            let decision = match a.str("decision").as_deref() {
                Some("accept" | "auto_accept" | "modify") => Some(ToolDecision::Accepted),
                Some("reject") => Some(ToolDecision::Rejected),
                _ => None,
            };
            let mut tool = env.event(EventType::ToolCall, "tool");
            tool.tool = Some(ToolCallInput {
                name: a.str("function_name").unwrap_or_else(|| "unknown".into()),
                success: a
                    .bool("success")
                    .filter(|_| decision != Some(ToolDecision::Rejected)),
                duration_ms: a.count("duration_ms"),
                decision,
                error: a.str("error").filter(|_| a.bool("success") == Some(false)),
            });
            vec![with_run(tool)]
        }
        _ => Vec::new(),
    }
}
