//! One generated session: its messages, runs and handoffs.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use uuid::Uuid;

use crate::event::{
    ErrorCategory, EventInput, EventType, HandoffInput, HandoffTarget, MessageInput, MessageRole,
    RunInput, RunStatus, UserProfileInput,
};

/// (model, USD per million input tokens, per million output tokens)
const MODELS: [(&str, u64, u64); 4] = [
    ("claude-sonnet-4", 3, 15),
    ("gpt-5", 2, 10),
    ("gemini-2.5-pro", 1, 10),
    ("claude-haiku-4", 1, 5),
];
const REPOS: [&str; 5] = ["web", "api", "mobile", "infra", "docs"];
const FIRST_NAMES: [&str; 10] = [
    "Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia",
];

/// How one user works.
#[derive(Debug, Clone)]
pub struct Habits {
    pub user_id: String,
    pub name: String,
    pub active_probability: f64,
    pub max_sessions_per_day: u32,
    pub max_runs_per_session: u32,
    pub handoff_probability: f64,
    pub iterate_probability: f64,
    pub failure_probability: f64,
    pub model: usize,
}

impl Habits {
    pub fn random(index: usize, rng: &mut StdRng) -> Habits {
        let first = FIRST_NAMES[index % FIRST_NAMES.len()];
        Habits {
            user_id: format!("user-{:03}", index + 1),
            name: format!("{first} {}", index + 1),
            active_probability: rng.random_range(0.2..0.9),
            max_sessions_per_day: rng.random_range(1..=4),
            max_runs_per_session: rng.random_range(1..=6),
            handoff_probability: rng.random_range(0.05..0.5),
            iterate_probability: rng.random_range(0.2..0.8),
            failure_probability: rng.random_range(0.03..0.25),
            model: rng.random_range(0..MODELS.len()),
        }
    }
}

pub fn generate(
    org: &str,
    user: &Habits,
    start: DateTime<Utc>,
    rng: &mut StdRng,
) -> Vec<EventInput> {
    let session_id = format!("sess-{}", Uuid::from_u128(rng.random()).simple());
    let attributes = serde_json::json!({
        "repo": REPOS[rng.random_range(0..REPOS.len())],
        "agentVersion": format!("1.{}.0", rng.random_range(0..4)),
        "branch": format!("feature/{}", rng.random_range(100..999)),
    });
    let session = Session {
        org,
        id: session_id.clone(),
        user: &user.user_id,
    };
    let base = |rng: &mut StdRng, event_type: EventType, at: DateTime<Utc>| {
        session.event(rng, event_type, at)
    };

    let mut events = Vec::new();
    let mut at = start;
    events.push(session.started(rng, at, attributes, user));

    for run_index in 0..rng.random_range(1..=user.max_runs_per_session) {
        at += Duration::seconds(rng.random_range(5..120));
        events.push(message(
            base(rng, EventType::MessageSent, at),
            MessageRole::User,
            "please fix the failing test",
        ));
        let run_id = format!("{session_id}-run-{run_index}");
        let model_index = if rng.random_bool(0.8) {
            user.model
        } else {
            rng.random_range(0..MODELS.len())
        };
        let (model, price_in, price_out) = MODELS[model_index];
        let mut started = base(rng, EventType::RunStarted, at);
        started.run_id = Some(run_id.clone());
        started.run = Some(RunInput {
            model: Some(model.into()),
            ..Default::default()
        });
        events.push(started);

        let duration_ms: i32 = rng.random_range(2_000..600_000);
        at += Duration::milliseconds(i64::from(duration_ms));
        let roll: f64 = rng.random();
        let (status, category) = if roll < user.failure_probability {
            let categories = [
                ErrorCategory::Tool,
                ErrorCategory::Model,
                ErrorCategory::Timeout,
                ErrorCategory::Other,
            ];
            (
                RunStatus::Failed,
                Some(categories[rng.random_range(0..categories.len())]),
            )
        } else if roll < user.failure_probability + 0.06 {
            (RunStatus::Cancelled, None)
        } else {
            (RunStatus::Succeeded, None)
        };
        let input_tokens: i32 = rng.random_range(500..60_000);
        let output_tokens: i32 = rng.random_range(100..8_000);
        // Cost in nano-dollars: exact, then printed as a decimal string.
        let nanos = (input_tokens as u64 * price_in + output_tokens as u64 * price_out) * 1_000;
        let mut finished = base(rng, EventType::RunFinished, at);
        finished.run_id = Some(run_id);
        finished.run = Some(RunInput {
            model: Some(model.into()),
            status: Some(status),
            error_category: category,
            error_message: category.map(|c| format!("{c:?} error while running the agent")),
            input_tokens: Some(input_tokens),
            output_tokens: Some(output_tokens),
            cost_usd: Some(format!(
                "{}.{:09}",
                nanos / 1_000_000_000,
                nanos % 1_000_000_000
            )),
            // Some producers leave the duration to be derived from the times.
            duration_ms: rng.random_bool(0.9).then_some(duration_ms),
            ends_implicitly: None,
        });
        events.push(finished);
        events.push(message(
            base(rng, EventType::MessageSent, at + Duration::seconds(1)),
            MessageRole::Agent,
            "done",
        ));
    }

    if rng.random_bool(user.handoff_probability) {
        at += Duration::seconds(rng.random_range(10..600));
        let mut handoff = base(rng, EventType::SessionHandoff, at);
        let target = if rng.random_bool(0.85) {
            HandoffTarget::Local
        } else {
            HandoffTarget::Other
        };
        handoff.handoff = Some(HandoffInput { target });
        events.push(handoff);
        if rng.random_bool(user.iterate_probability) {
            at += Duration::minutes(rng.random_range(5..300));
            events.push(message(
                base(rng, EventType::MessageSent, at),
                MessageRole::User,
                "one more change",
            ));
        }
    }
    at += Duration::seconds(rng.random_range(1..60));
    events.push(base(rng, EventType::SessionEnded, at));
    events
}

/// What every event of one generated session shares.
pub(super) struct Session<'a> {
    pub org: &'a str,
    pub id: String,
    pub user: &'a str,
}

impl Session<'_> {
    /// The session's first event: its attributes, and the user's profile.
    pub fn started(
        &self,
        rng: &mut StdRng,
        at: DateTime<Utc>,
        attributes: serde_json::Value,
        user: &Habits,
    ) -> EventInput {
        let mut first = self.event(rng, EventType::SessionStarted, at);
        first.attributes = Some(attributes);
        first.user = Some(UserProfileInput {
            email: Some(format!("{}@example.com", user.user_id)),
            name: Some(user.name.clone()),
        });
        first
    }

    /// An event of the session, of `event_type` at `at`, with nothing else set.
    pub fn event(&self, rng: &mut StdRng, event_type: EventType, at: DateTime<Utc>) -> EventInput {
        EventInput {
            event_id: Uuid::from_u128(rng.random()),
            org: self.org.to_string(),
            event_type,
            occurred_at: at,
            session_id: self.id.clone(),
            user_id: self.user.to_string(),
            run_id: None,
            message: None,
            run: None,
            handoff: None,
            attributes: None,
            user: None,
            model_call: None,
            tool: None,
            code: None,
        }
    }
}

pub(super) fn message(mut event: EventInput, role: MessageRole, text: &str) -> EventInput {
    event.message = Some(MessageInput {
        role,
        text: Some(text.into()),
    });
    event
}
