//! GenAI semantic-convention spans (Copilot, OpenLIT, OpenLLMetry, any
//! SDK): `invoke_agent` is a run (status ERROR: FAILED), an inference span
//! (`chat`, `text_completion`, `generate_content`) a model call, whose
//! `gen_ai.usage.input_tokens` includes cached tokens (taken out here),
//! `execute_tool` a tool call. The spans of one trace make one run. Spans
//! of Claude Code and Codex are skipped: their log events carry the same
//! calls, and counting both would count twice.

use std::collections::HashMap;

use agentmon_core::event::{
    ErrorCategory, EventType, ModelCallInput, RunInput, RunStatus, ToolCallInput,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{status::StatusCode, Span};

use crate::attrs::Attrs;
use crate::envelope::{identity, Envelope, Origin, Target};
use crate::Mapped;

/// Agents whose spans repeat their log events.
const LOGGED_AGENTS: [&str; 4] = ["claude-code", "codex_exec", "codex", "gemini-cli"];
/// The span names of those agents, however their service is named.
const LOGGED_PREFIXES: [&str; 2] = ["claude_code.", "codex."];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn map(request: &ExportTraceServiceRequest, target: Target<'_>) -> Mapped {
    let mut out = Mapped::default();
    for rs in &request.resource_spans {
        let resource = rs
            .resource
            .as_ref()
            .map(|r| Attrs::of(&r.attributes))
            .unwrap_or_default();
        let spans: Vec<(&Span, Attrs)> = rs
            .scope_spans
            .iter()
            .flat_map(|ss| ss.spans.iter())
            .map(|s| (s, Attrs::of(&s.attributes)))
            .collect();
        let origin = Origin::of(resource);
        if origin
            .attrs
            .str("service.name")
            .is_some_and(|n| LOGGED_AGENTS.contains(&n.as_str()))
        {
            out.ignored += spans.len() as u64;
            continue;
        }
        // A span without a conversation takes its trace's.
        let mut conversations: HashMap<Vec<u8>, String> = HashMap::new();
        for (span, a) in &spans {
            if let Some(c) = a.first(&["gen_ai.conversation.id", "session.id", "conversation.id"]) {
                conversations.entry(span.trace_id.clone()).or_insert(c);
            }
        }
        for (span, a) in &spans {
            let Some(kind) = kind_of(span, a) else {
                out.ignored += 1;
                continue;
            };
            let mut attrs = a.clone();
            if attrs
                .first(&["gen_ai.conversation.id", "session.id", "conversation.id"])
                .is_none()
            {
                if let Some(c) = conversations.get(&span.trace_id) {
                    attrs
                        .0
                        .insert("gen_ai.conversation.id".into(), c.clone().into());
                }
            }
            let id = identity(
                &[&hex(&span.trace_id), &hex(&span.span_id), &span.name],
                &attrs,
            );
            let env = match Envelope::read(
                target,
                &origin,
                &attrs,
                [span.end_time_unix_nano, span.start_time_unix_nano],
                id,
            ) {
                Ok(env) => env,
                Err(why) => {
                    out.unplaced(why);
                    continue;
                }
            };
            let run = format!("trace-{}", hex(&span.trace_id));
            let failed = span
                .status
                .as_ref()
                .is_some_and(|s| s.code == StatusCode::Error as i32);
            let error = || {
                attrs
                    .first(&["error.type", "error.message"])
                    .or_else(|| {
                        span.status
                            .as_ref()
                            .map(|s| s.message.clone())
                            .filter(|m| !m.is_empty())
                    })
                    .unwrap_or_else(|| "error".into())
            };
            let duration = i32::try_from(
                span.end_time_unix_nano
                    .saturating_sub(span.start_time_unix_nano)
                    / 1_000_000,
            )
            .ok();
            let model = attrs.first(&["gen_ai.response.model", "gen_ai.request.model"]);
            match kind {
                Kind::Agent => {
                    let mut start = env.event(EventType::RunStarted, "start");
                    // A span without its start time (0) starts when it
                    // ends: dated 1970, its start would be refused.
                    if span.start_time_unix_nano > 0 {
                        start.occurred_at = crate::envelope::from_nanos(span.start_time_unix_nano);
                    }
                    start.run_id = Some(run.clone());
                    start.run = Some(RunInput {
                        model: model.clone(),
                        ..RunInput::default()
                    });
                    let mut finish = env.event(EventType::RunFinished, "finish");
                    finish.run_id = Some(run);
                    finish.run = Some(RunInput {
                        model,
                        status: Some(if failed {
                            RunStatus::Failed
                        } else {
                            RunStatus::Succeeded
                        }),
                        error_category: failed.then_some(ErrorCategory::Other),
                        error_message: failed.then(error),
                        duration_ms: duration,
                        ..RunInput::default()
                    });
                    out.add([start, finish]);
                }
                Kind::Inference => {
                    let read = attrs
                        .int("gen_ai.usage.cache_read.input_tokens")
                        .or_else(|| attrs.int("gen_ai.usage.cache_read_input_tokens"))
                        .unwrap_or(0);
                    let written = attrs
                        .int("gen_ai.usage.cache_write.input_tokens")
                        .or_else(|| attrs.int("gen_ai.usage.cache_creation.input_tokens"))
                        .or_else(|| attrs.int("gen_ai.usage.cache_creation_input_tokens"))
                        .unwrap_or(0);
                    let input = attrs.int("gen_ai.usage.input_tokens").unwrap_or(0);
                    let fit = |n: i64| i32::try_from(n.max(0)).ok();
                    let mut call = env.event(EventType::ModelCall, "call");
                    call.run_id = Some(run);
                    call.model_call = Some(ModelCallInput {
                        model: model.unwrap_or_else(|| "unknown".into()),
                        input_tokens: fit(input - read - written),
                        output_tokens: attrs.count("gen_ai.usage.output_tokens"),
                        cache_read_tokens: fit(read),
                        cache_creation_tokens: fit(written),
                        cost_usd: None,
                        duration_ms: duration,
                        error: failed.then(error),
                        error_category: failed.then_some(ErrorCategory::Model),
                        attempt: None,
                    });
                    out.add([call]);
                }
                Kind::Tool => {
                    let mut tool = env.event(EventType::ToolCall, "tool");
                    tool.run_id = Some(run);
                    tool.tool = Some(ToolCallInput {
                        name: attrs
                            .first(&["gen_ai.tool.name"])
                            .unwrap_or_else(|| span.name.clone()),
                        success: Some(!failed),
                        duration_ms: duration,
                        decision: None,
                        error: failed.then(error),
                    });
                    out.add([tool]);
                }
            }
        }
    }
    out.tidy()
}

enum Kind {
    Agent,
    Inference,
    Tool,
}

fn kind_of(span: &Span, a: &Attrs) -> Option<Kind> {
    // Claude Code's and Codex's spans repeat their log events, whatever
    // service name they run under.
    if LOGGED_PREFIXES.iter().any(|p| span.name.starts_with(p)) {
        return None;
    }
    let operation = a
        .str("gen_ai.operation.name")
        .unwrap_or_else(|| span.name.split(' ').next().unwrap_or_default().to_string());
    match operation.as_str() {
        "invoke_agent" => Some(Kind::Agent),
        "chat" | "text_completion" | "generate_content" => Some(Kind::Inference),
        "execute_tool" => Some(Kind::Tool),
        _ => None,
    }
}
