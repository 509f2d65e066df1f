//! The data lifecycle: retention, a user's export and erasure, jobs and
//! dead letters.

mod dead_letters;
mod erasure;
mod job_fairness;
mod jobs;
mod retention;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::harness::event;

/// The events of one short session of `user` starting at `at`: a start, a
/// user message, a run that finishes (failing every third session), and a
/// local handoff.
pub fn session(org: &str, id: &str, user: &str, at: DateTime<Utc>, n: usize) -> Vec<Value> {
    let run = format!("{id}-r");
    let failed = n.is_multiple_of(3);
    let finished = if failed {
        json!({"status": "FAILED", "errorCategory": "TIMEOUT", "durationMs": 1_000 + n as i64,
               "inputTokens": 10, "outputTokens": 5, "costUsd": "0.010000000"})
    } else {
        json!({"status": "SUCCEEDED", "durationMs": 2_000 + 7 * n as i64,
               "inputTokens": 100 + n as i64, "outputTokens": 50, "costUsd": format!("0.{:03}000001", n % 1000)})
    };
    let e = |t: &str, minutes: i64| {
        event(org, t)
            .session(id)
            .user(user)
            .at(at + Duration::minutes(minutes))
    };
    vec![
        e("SESSION_STARTED", 0)
            .set("attributes", json!({"repo": "api"}))
            .set(
                "user",
                json!({"email": format!("{user}@example.com"), "name": user}),
            )
            .build(),
        e("MESSAGE_SENT", 1)
            .set("message", json!({"role": "USER", "text": "fix the build"}))
            .build(),
        e("RUN_STARTED", 2)
            .run(&run)
            .set("run", json!({"model": "m-1"}))
            .build(),
        e("RUN_FINISHED", 3).run(&run).set("run", finished).build(),
        e("SESSION_HANDOFF", 4)
            .set("handoff", json!({"target": "LOCAL"}))
            .build(),
        e("MESSAGE_SENT", 5)
            .set("message", json!({"role": "USER", "text": "thanks"}))
            .build(),
    ]
}

/// Ingests events in chunks; panics unless each is accepted.
pub async fn ingest_all(app: &crate::harness::TestApp, events: &[Value]) {
    for chunk in events.chunks(500) {
        let body = app.ingest(chunk).await;
        assert_eq!(
            body["data"]["ingestEvents"]["accepted"].as_u64(),
            Some(chunk.len() as u64),
            "{body}"
        );
    }
}

/// `days` ago at 12:00 UTC.
pub fn days_ago(days: i64) -> DateTime<Utc> {
    let noon = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default();
    noon.and_utc() - Duration::days(days)
}
