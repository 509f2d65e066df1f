//! Runs of a source that sends no end (Claude Code's logs): a later prompt
//! ends a run at its last event; a run quiet for `AGENTMON_RUN_IDLE` is
//! ended by the worker, FAILED when its last model call failed for good.

use std::time::Duration;

use serde_json::{json, Value};

use super::otlp::{key_of, replay_exports, reported};
use crate::harness::TestApp;

async fn runs(app: &TestApp, session: &str) -> Vec<Value> {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { runs { id status startedAt finishedAt errorCategory modelCalls } \
             timeline { type occurredAt runId } } } }",
            json!({ "id": session }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["org"]["session"]["runs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The time of the last event of `run` in the session's timeline.
async fn last_event_of(app: &TestApp, session: &str, run: &str) -> String {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { timeline { occurredAt runId } } } }",
            json!({ "id": session }),
        )
        .await;
    body["data"]["org"]["session"]["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["runId"] == run)
        .filter_map(|e| e["occurredAt"].as_str().map(str::to_string))
        .max()
        .unwrap_or_default()
}

pub(super) async fn end_quiet(app: &TestApp) -> usize {
    let ended = agentmon_projectors::quiet::end_quiet_runs(
        &app.db,
        Duration::ZERO,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    app.project_all().await;
    ended
}

#[tokio::test]
async fn a_later_prompt_ends_a_run_and_a_quiet_run_ends_at_its_last_event() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "claude-two-prompts-json-spans").await;
    app.project_all().await;
    let session = reported("claude-two-prompts-json-spans")["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut listed = runs(&app, &session).await;
    listed.sort_by_key(|r| r["startedAt"].as_str().unwrap_or_default().to_string());
    assert_eq!(listed.len(), 2, "{listed:?}");
    let (first, second) = (&listed[0], &listed[1]);
    assert_eq!(
        first["status"], "SUCCEEDED",
        "the second prompt ended the first run: {first}"
    );
    let first_id = first["id"].as_str().unwrap_or_default();
    assert_eq!(
        first["finishedAt"].as_str().map(|t| t[..23].to_string()),
        Some(last_event_of(&app, &session, first_id).await[..23].to_string()),
        "it ends at its last event"
    );
    assert_eq!(second["status"], "RUNNING", "{second}");

    // Not quiet long enough: nothing ends.
    let ended = agentmon_projectors::quiet::end_quiet_runs(
        &app.db,
        Duration::from_secs(86_400 * 365),
        chrono::Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ended, 0);
    assert_eq!(end_quiet(&app).await, 1, "the last run has been quiet");
    let listed = runs(&app, &session).await;
    let second = listed
        .iter()
        .find(|r| r["id"] == second["id"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(second["status"], "SUCCEEDED", "{second}");
    let second_id = second["id"].as_str().unwrap_or_default();
    assert_eq!(
        second["finishedAt"].as_str().map(|t| t[..23].to_string()),
        Some(last_event_of(&app, &session, second_id).await[..23].to_string())
    );
    // Twice: the same end, stored once.
    assert_eq!(end_quiet(&app).await, 0);
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { overview(range: {from: \"2026-01-01\", to: \"2027-12-31\"}) { kpis { runs succeededRuns } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["org"]["overview"]["kpis"],
        json!({"runs": 2, "succeededRuns": 2}),
        "{body}"
    );
}

#[tokio::test]
async fn a_quiet_run_whose_last_call_failed_for_good_failed() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "claude-fail-json-spans").await;
    app.project_all().await;
    let session = reported("claude-fail-json-spans")["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(runs(&app, &session).await[0]["status"], "RUNNING");
    assert_eq!(end_quiet(&app).await, 1);
    let run = runs(&app, &session).await[0].clone();
    assert_eq!(run["status"], "FAILED", "{run}");
    assert_eq!(run["errorCategory"], "MODEL", "{run}");
}
