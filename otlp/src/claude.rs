//! Claude Code's log events (SPEC section 11): a prompt starts a run (its
//! `prompt.id`) with a user message; `api_request` is a model call with its
//! cost as reported; `api_error` a call that failed for good
//! (Claude Code logs no error for a retry that later succeeded); a tool use
//! rejected at its decision, or its result; the answer an agent message.
//! Startup events and unknown names make nothing.

use std::collections::HashSet;

use agentmon_core::event::{
    EventInput, EventType, MessageInput, MessageRole, ModelCallInput, RunInput, ToolCallInput,
    ToolDecision,
};

use crate::attrs::Attrs;
use crate::envelope::Envelope;
use crate::failure::failed_call;

/// Texts Claude Code sends in place of a prompt it was told not to log.
const REDACTED: [&str; 2] = ["<REDACTED>", "[REDACTED]"];

pub fn events(
    name: &str,
    env: &Envelope,
    a: &Attrs,
    accepted_uses: &HashSet<String>,
) -> Vec<EventInput> {
    let run = a.str("prompt.id");
    let with_run = |mut e: EventInput| {
        e.run_id = run.clone();
        e
    };
    match name {
        "user_prompt" => {
            let mut start = env.event(EventType::RunStarted, "run");
            // Claude Code logs no end: the next prompt, or a quiet spell, ends it.
            start.run = Some(RunInput {
                ends_implicitly: Some(true),
                ..RunInput::default()
            });
            let mut message = env.event(EventType::MessageSent, "message");
            message.message = Some(MessageInput {
                role: MessageRole::User,
                text: a
                    .first(&["prompt", "prompt_text"])
                    .filter(|t| !REDACTED.contains(&t.as_str())),
            });
            match run {
                Some(_) => vec![with_run(start), message],
                None => vec![message],
            }
        }
        "api_request" => {
            let mut call = env.event(EventType::ModelCall, "call");
            call.model_call = Some(ModelCallInput {
                model: a.str("model").unwrap_or_else(|| "unknown".into()),
                input_tokens: a.count("input_tokens"),
                output_tokens: a.count("output_tokens"),
                cache_read_tokens: a.count("cache_read_tokens"),
                cache_creation_tokens: a.count("cache_creation_tokens"),
                cost_usd: cost(a),
                duration_ms: a.count("duration_ms"),
                error: None,
                error_category: None,
                attempt: None,
            });
            vec![with_run(call)]
        }
        "api_error" => {
            let error = a
                .str("error")
                .unwrap_or_else(|| "the model API failed".into());
            let mut call = env.event(EventType::ModelCall, "call");
            call.model_call = Some(failed_call(
                a.str("model").unwrap_or_else(|| "unknown".into()),
                &error,
                a.count("duration_ms"),
            ));
            vec![with_run(call)]
        }
        "tool_decision" => {
            // An accepted use is counted with its result; a rejected one
            // has no result and is counted here.
            if a.str("decision").as_deref() != Some("reject") {
                return Vec::new();
            }
            let mut tool = env.event(EventType::ToolCall, "tool");
            tool.tool = Some(ToolCallInput {
                name: a.str("tool_name").unwrap_or_else(|| "unknown".into()),
                success: None,
                duration_ms: None,
                decision: Some(ToolDecision::Rejected),
                error: None,
            });
            vec![with_run(tool)]
        }
        "tool_result" => {
            let accepted = a
                .str("tool_use_id")
                .is_some_and(|id| accepted_uses.contains(&id));
            let success = a.bool("success");
            let mut tool = env.event(EventType::ToolCall, "tool");
            tool.tool = Some(ToolCallInput {
                name: a.str("tool_name").unwrap_or_else(|| "unknown".into()),
                success,
                duration_ms: a.count("duration_ms"),
                decision: accepted.then_some(ToolDecision::Accepted),
                error: a.str("error").filter(|_| success == Some(false)),
            });
            vec![with_run(tool)]
        }
        "assistant_response" => {
            let mut message = env.event(EventType::MessageSent, "message");
            message.message = Some(MessageInput {
                role: MessageRole::Agent,
                text: a
                    .str("response")
                    .filter(|t| !REDACTED.contains(&t.as_str())),
            });
            vec![with_run(message)]
        }
        _ => Vec::new(),
    }
}

/// The cost as reported: `cost_usd` to 9 decimals (the double Claude Code
/// sends, e.g. 0.0037793999999999996, is 0.0037794, which sums to the
/// CLI's own total), else `cost_usd_micros` (whole micro-dollars: it drops
/// the fraction of a micro-dollar).
fn cost(a: &Attrs) -> Option<String> {
    let dollars = a
        .get("cost_usd")
        .and_then(|v| match v {
            serde_json::Value::Number(n) => {
                n.as_f64().and_then(rust_decimal::Decimal::from_f64_retain)
            }
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|c| !c.is_sign_negative())
        .map(|c| c.round_dp(9).normalize().to_string());
    dollars.or_else(|| {
        a.int("cost_usd_micros")
            .filter(|m| *m >= 0)
            .map(|m| rust_decimal::Decimal::new(m, 6).normalize().to_string())
    })
}

/// The tool uses of a batch whose permission was granted.
pub fn accepted_uses(name: &str, a: &Attrs) -> Option<String> {
    (name == "tool_decision" && a.str("decision").as_deref() == Some("accept"))
        .then(|| a.str("tool_use_id"))
        .flatten()
}
