//! OTLP logs: each record placed (org, session, user, time) and read by the
//! agent that sent it, named by its `event.name` (else its body).

use std::collections::HashSet;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;

use crate::attrs::Attrs;
use crate::envelope::{identity, Envelope, Origin, Target};
use crate::{claude, codex, gemini, Mapped};

pub fn map(request: &ExportLogsServiceRequest, target: Target<'_>) -> Mapped {
    let mut out = Mapped::default();
    for rl in &request.resource_logs {
        let resource = rl
            .resource
            .as_ref()
            .map(|r| Attrs::of(&r.attributes))
            .unwrap_or_default();
        let origin = Origin::of(resource);
        for sl in &rl.scope_logs {
            let scope = sl.scope.as_ref().map(|s| s.name.as_str()).unwrap_or("");
            let named: Vec<(String, Attrs, &_)> = sl
                .log_records
                .iter()
                .map(|r| {
                    let attrs = Attrs::of(&r.attributes);
                    (name_of(r, &attrs), attrs, r)
                })
                .collect();
            let accepted: HashSet<String> = named
                .iter()
                .filter_map(|(n, a, _)| claude::accepted_uses(n, a))
                .collect();
            for (name, attrs, record) in &named {
                let Some((agent, short)) = agent_of(name) else {
                    out.ignored += 1;
                    continue;
                };
                let id = identity(
                    &[
                        scope,
                        &record.time_unix_nano.to_string(),
                        &record.observed_time_unix_nano.to_string(),
                        name,
                    ],
                    attrs,
                );
                let env = match Envelope::read(
                    target,
                    &origin,
                    attrs,
                    [record.time_unix_nano, record.observed_time_unix_nano],
                    id,
                ) {
                    Ok(env) => env,
                    Err(why) => {
                        out.unplaced(why);
                        continue;
                    }
                };
                let events = match agent {
                    Agent::Claude => claude::events(short, &env, attrs, &accepted),
                    Agent::Codex => {
                        let events = codex::events(short, &env, attrs);
                        let first = out.events.len();
                        out.joining.extend(
                            (first..first + events.len())
                                .filter(|&k| events[k - first].run_id.is_none()),
                        );
                        events
                    }
                    Agent::Gemini => gemini::events(short, &env, attrs),
                };
                out.add(events);
            }
        }
    }
    out.tidy()
}

enum Agent {
    Claude,
    Codex,
    Gemini,
}

/// The record's event name: its `event.name`, else a text body.
fn name_of(record: &opentelemetry_proto::tonic::logs::v1::LogRecord, attrs: &Attrs) -> String {
    attrs.str("event.name").unwrap_or_else(|| {
        match record.body.as_ref().and_then(|b| b.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => s.clone(),
            _ => String::new(),
        }
    })
}

/// Which agent's vocabulary a name belongs to, and the name within it.
fn agent_of(name: &str) -> Option<(Agent, &str)> {
    if let Some(short) = name.strip_prefix("claude_code.") {
        return Some((Agent::Claude, short));
    }
    if let Some(short) = name.strip_prefix("codex.") {
        return Some((Agent::Codex, short));
    }
    if let Some(short) = name.strip_prefix("gemini_cli.") {
        return Some((Agent::Gemini, short));
    }
    const CLAUDE: [&str; 6] = [
        "user_prompt",
        "api_request",
        "api_error",
        "tool_decision",
        "tool_result",
        "assistant_response",
    ];
    CLAUDE.contains(&name).then_some((Agent::Claude, name))
}
