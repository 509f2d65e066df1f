//! One generated coding-agent session, as Claude Code or Codex report it:
//! prompts that start runs, model calls with tokens by kind (prompt-cache
//! reads and writes) and their cost, tool calls with permission decisions,
//! and the code the agent changed. The usage is on the calls, not on the
//! runs' ends.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use uuid::Uuid;

use super::session::{message, Session};
use super::Habits;
use crate::event::{
    CodeChangeInput, ErrorCategory, EventInput, EventType, MessageRole, ModelCallInput, RunInput,
    RunStatus, ToolCallInput, ToolDecision,
};

/// A coding agent as the demo draws it.
struct Agent {
    name: &'static str,
    model: &'static str,
    /// Nano-dollars per token: input, output, cache read, cache creation.
    prices: [u64; 4],
    /// Whether its calls write prompt caches (Codex reports none).
    writes_cache: bool,
    tools: &'static [&'static str],
}

const AGENTS: [Agent; 2] = [
    Agent {
        name: "claude-code",
        model: "claude-sonnet-4",
        prices: [3_000, 15_000, 300, 3_750],
        writes_cache: true,
        tools: &["Bash", "Edit", "Read", "Grep", "Write"],
    },
    Agent {
        name: "codex",
        model: "gpt-5-codex",
        prices: [1_250, 10_000, 125, 0],
        writes_cache: false,
        tools: &["shell", "apply_patch", "read_file"],
    },
];
const REPOS: [&str; 4] = ["web", "api", "mobile", "infra"];

/// Nano-dollars as an exact decimal string.
fn usd(nanos: u64) -> String {
    format!("{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000)
}

/// The user's agent: two in three use Claude Code.
fn agent_of(user: &Habits) -> &'static Agent {
    let n: usize = user.user_id.bytes().map(usize::from).sum();
    &AGENTS[usize::from(n % 3 == 2)]
}

pub fn generate(
    org: &str,
    user: &Habits,
    start: DateTime<Utc>,
    rng: &mut StdRng,
) -> Vec<EventInput> {
    let agent = agent_of(user);
    let session = Session {
        org,
        id: format!("{}-{}", agent.name, Uuid::from_u128(rng.random()).simple()),
        user: &user.user_id,
    };
    let mut events = Vec::new();
    let mut at = start;
    let attributes = serde_json::json!({
        "agent": agent.name,
        "repo": REPOS[rng.random_range(0..REPOS.len())],
        "branch": format!("agent/{}", rng.random_range(100..999)),
    });
    events.push(session.started(rng, at, attributes, user));

    for run_index in 0..rng.random_range(1..=user.max_runs_per_session) {
        at += Duration::seconds(rng.random_range(5..120));
        let run_id = format!("{}-prompt-{run_index}", session.id);
        events.push(message(
            session.event(rng, EventType::MessageSent, at),
            MessageRole::User,
            "make the change described in the issue",
        ));
        let mut started = session.event(rng, EventType::RunStarted, at);
        started.run_id = Some(run_id.clone());
        started.run = Some(RunInput {
            model: Some(agent.model.into()),
            ..Default::default()
        });
        events.push(started);

        let mut failed = false;
        for _ in 0..rng.random_range(2..=8) {
            at += Duration::milliseconds(rng.random_range(800..30_000));
            let call = model_call(agent, rng);
            failed = call.error.is_some();
            let mut e = session.event(rng, EventType::ModelCall, at);
            e.run_id = Some(run_id.clone());
            e.model_call = Some(call);
            events.push(e);
            if failed {
                break;
            }
            for _ in 0..rng.random_range(0..=2) {
                at += Duration::milliseconds(rng.random_range(50..20_000));
                let mut e = session.event(rng, EventType::ToolCall, at);
                e.run_id = Some(run_id.clone());
                e.tool = Some(tool_call(agent, rng));
                events.push(e);
            }
        }
        let status = if failed {
            RunStatus::Failed
        } else if rng.random_bool(0.04) {
            RunStatus::Cancelled
        } else {
            RunStatus::Succeeded
        };
        if status == RunStatus::Succeeded && rng.random_bool(0.7) {
            at += Duration::seconds(rng.random_range(1..30));
            let mut e = session.event(rng, EventType::CodeChange, at);
            e.code = Some(CodeChangeInput {
                lines_added: Some(rng.random_range(1..240)),
                lines_removed: Some(rng.random_range(0..90)),
                commits: Some(i32::from(rng.random_bool(0.35))),
                pull_requests: Some(i32::from(rng.random_bool(0.08))),
            });
            events.push(e);
        }
        at += Duration::seconds(1);
        let mut finished = session.event(rng, EventType::RunFinished, at);
        finished.run_id = Some(run_id);
        finished.run = Some(RunInput {
            model: Some(agent.model.into()),
            status: Some(status),
            error_category: failed.then_some(ErrorCategory::Model),
            error_message: failed.then(|| "the model stayed overloaded".into()),
            ..Default::default()
        });
        events.push(finished);
    }
    at += Duration::seconds(rng.random_range(1..60));
    events.push(session.event(rng, EventType::SessionEnded, at));
    events
}

/// One request to the agent's model; one in forty fails for good.
fn model_call(agent: &Agent, rng: &mut StdRng) -> ModelCallInput {
    let input = rng.random_range(50..4_000);
    let output = rng.random_range(20..3_000);
    let cache_read = rng.random_range(0..180_000);
    let cache_creation = if agent.writes_cache {
        rng.random_range(0..20_000)
    } else {
        0
    };
    let duration = rng.random_range(600..40_000);
    if rng.random_bool(0.025) {
        return ModelCallInput {
            model: agent.model.into(),
            input_tokens: Some(input),
            cost_usd: Some("0".into()),
            duration_ms: Some(duration),
            error: Some("overloaded_error".into()),
            error_category: Some(ErrorCategory::Model),
            ..Default::default()
        };
    }
    let [p_in, p_out, p_read, p_create] = agent.prices;
    let tokens = |n: i32| u64::try_from(n).unwrap_or(0);
    let nanos = tokens(input) * p_in
        + tokens(output) * p_out
        + tokens(cache_read) * p_read
        + tokens(cache_creation) * p_create;
    ModelCallInput {
        model: agent.model.into(),
        input_tokens: Some(input),
        output_tokens: Some(output),
        cache_read_tokens: Some(cache_read),
        cache_creation_tokens: agent.writes_cache.then_some(cache_creation),
        cost_usd: Some(usd(nanos)),
        duration_ms: Some(duration),
        ..Default::default()
    }
}

/// One tool use: mostly accepted and successful.
fn tool_call(agent: &Agent, rng: &mut StdRng) -> ToolCallInput {
    let name = agent.tools[rng.random_range(0..agent.tools.len())].to_string();
    if rng.random_bool(0.06) {
        return ToolCallInput {
            name,
            decision: Some(ToolDecision::Rejected),
            ..Default::default()
        };
    }
    let success = rng.random_bool(0.9);
    ToolCallInput {
        name,
        success: Some(success),
        duration_ms: Some(rng.random_range(20..25_000)),
        // Codex never reports an accepted decision.
        decision: (agent.name != "codex").then_some(ToolDecision::Accepted),
        error: (!success).then(|| "exit status 1".into()),
    }
}
