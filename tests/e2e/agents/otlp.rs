//! The OpenTelemetry receiver against what real agents sent: exports that
//! Claude Code and Codex made (run offline against a scripted model API,
//! kept in `tests/fixtures/otlp`) posted as they were sent. The figures
//! agentmon shows equal what the agent itself reported at the end of its
//! run; the same exports sent again change nothing. What the receiver
//! refuses, and how it meets limits and timeouts: [`super::receiver`].

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::TestApp;

pub fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/otlp")
        .join(name)
}

/// The agent's own account of the run: the last JSON line of its output
/// that carries usage.
pub fn reported(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures(name).join("agent-output.txt")).unwrap_or_default();
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| !v["usage"].is_null())
        .unwrap_or_default()
}

pub async fn key_of(app: &TestApp, org: &str) -> String {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "mutation($org: String, $name: String!) { createApiKey(org: $org, name: $name) { secret } }",
            json!({ "org": org, "name": "agents" }),
        )
        .await;
    body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

/// Posts one recorded export as it was sent.
async fn post(app: &TestApp, key: &str, file: &Path) -> (StatusCode, Vec<u8>) {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let signal = ["logs", "metrics", "traces"]
        .into_iter()
        .find(|s| name.contains(s))
        .unwrap_or("logs");
    let kind = if name.contains(".json") {
        "application/json"
    } else {
        "application/x-protobuf"
    };
    let mut request = Request::post(format!("/otlp/v1/{signal}"))
        .header(header::CONTENT_TYPE, kind)
        .header("x-api-key", key);
    if name.ends_with(".gz") {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    let body = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let response = app
        .respond(
            request
                .body(Body::from(body))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    (status, bytes.to_vec())
}

/// Posts every recorded export of `name` in the order it was sent.
pub async fn replay_exports(app: &TestApp, key: &str, name: &str) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("00"))
        })
        .collect();
    files.sort();
    for file in files {
        let (status, body) = post(app, key, &file).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&body)
        );
    }
}

async fn session(app: &TestApp, id: &str) -> Value {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { agent user { id } attributes \
             modelCalls inputTokens outputTokens cacheReadTokens cacheCreationTokens costUsd toolCalls \
             failedToolCalls runCount messageCount runs { id status errorCategory modelCalls costUsd inputTokens } } \
             overview(range: {from: \"2026-01-01\", to: \"2027-12-31\"}) { kpis { rejectedToolCalls toolCalls failedModelCalls modelCalls } } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["org"].clone()
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => s.parse().unwrap_or(Decimal::MIN),
        Value::Number(n) => n.to_string().parse().unwrap_or(Decimal::MIN),
        _ => Decimal::MIN,
    }
}

/// A Claude Code run, its figures against its own final report.
async fn check_claude(name: &str) -> (TestApp, String, Value) {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, name).await;
    app.project_all().await;
    let agent = reported(name);
    let id = agent["session_id"].as_str().unwrap_or_default().to_string();
    let org = session(&app, &id).await;
    let s = &org["session"];
    assert!(!s.is_null(), "{name}: session {id} not found");
    let usage = &agent["usage"];
    assert_eq!(s["agent"], "claude-code");
    assert_eq!(
        s["user"]["id"], "dev-42",
        "enduser.id from OTEL_RESOURCE_ATTRIBUTES"
    );
    assert_eq!(s["attributes"]["repository"], "acme/widgets");
    assert_eq!(
        s["inputTokens"].as_f64(),
        usage["input_tokens"].as_f64(),
        "{name}: {s}"
    );
    assert_eq!(
        s["outputTokens"].as_f64(),
        usage["output_tokens"].as_f64(),
        "{name}: {s}"
    );
    assert_eq!(
        s["cacheReadTokens"].as_f64(),
        usage["cache_read_input_tokens"].as_f64(),
        "{name}: {s}"
    );
    assert_eq!(
        s["cacheCreationTokens"].as_f64(),
        usage["cache_creation_input_tokens"].as_f64(),
        "{name}: {s}"
    );
    assert_eq!(
        dec(&s["costUsd"]),
        dec(&agent["total_cost_usd"]),
        "{name}: the cost the agent reported"
    );
    assert_eq!(s["runCount"], 1, "one prompt, one run: {s}");
    (app, key, org)
}

#[tokio::test]
async fn claude_code_logs_and_metrics_in_json_equal_what_claude_code_reported() {
    let (app, key, org) = check_claude("claude-basic-json").await;
    let s = &org["session"];
    // One Bash use, accepted and run.
    assert_eq!(s["toolCalls"], 1, "{s}");
    assert_eq!(s["failedToolCalls"], 0, "{s}");
    let calls = s["modelCalls"].as_i64().unwrap_or_default();
    assert_eq!(calls, 2, "two requests to the model: {s}");
    // Sent again: nothing changes.
    replay_exports(&app, &key, "claude-basic-json").await;
    app.project_all().await;
    let id = reported("claude-basic-json")["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        session(&app, &id).await,
        org,
        "a resent export is a duplicate"
    );
}

#[tokio::test]
async fn claude_code_protobuf_with_gzip_and_spans_counts_the_same_and_spans_do_not_count_twice() {
    check_claude("claude-basic-protobuf-spans-gzip").await;
}

#[tokio::test]
async fn a_rejected_tool_use_is_a_rejected_tool_call() {
    let (_, _, org) = check_claude("claude-reject-json-spans").await;
    assert_eq!(org["overview"]["kpis"]["rejectedToolCalls"], 1, "{org}");
}

#[tokio::test]
async fn a_model_call_that_failed_for_good_is_a_failed_call() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "claude-fail-json-spans").await;
    app.project_all().await;
    let id = reported("claude-fail-json-spans")["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let org = session(&app, &id).await;
    assert_eq!(org["overview"]["kpis"]["failedModelCalls"], 1, "{org}");
    assert_eq!(org["overview"]["kpis"]["modelCalls"], 1, "{org}");
    assert_eq!(dec(&org["session"]["costUsd"]), Decimal::ZERO);
}

#[tokio::test]
async fn codex_protobuf_logs_give_its_tokens_with_cached_input_taken_out() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "codex-basic-protobuf").await;
    app.project_all().await;
    let text = std::fs::read_to_string(fixtures("codex-basic-protobuf").join("agent-output.txt"))
        .unwrap_or_default();
    let thread = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "thread.started")
        .unwrap_or_default();
    let usage = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| !v["usage"].is_null())
        .unwrap_or_default()["usage"]
        .clone();
    let id = thread["thread_id"].as_str().unwrap_or_default().to_string();
    let org = session(&app, &id).await;
    let s = &org["session"];
    assert_eq!(s["agent"], "codex_exec", "{s}");
    let input = usage["input_tokens"].as_i64().unwrap_or(-1);
    let cached = usage["cached_input_tokens"].as_i64().unwrap_or(-1);
    assert_eq!(
        s["inputTokens"].as_f64(),
        Some((input - cached) as f64),
        "{s} vs {usage}"
    );
    assert_eq!(s["cacheReadTokens"].as_f64(), Some(cached as f64), "{s}");
    assert_eq!(
        s["outputTokens"].as_f64(),
        usage["output_tokens"].as_f64(),
        "{s}"
    );
    assert_eq!(s["toolCalls"], 1, "{s}");
    // Codex names no turn on its logs: the prompt starts a run and what
    // follows joins it, though each came in an export of its own.
    let turns = text.matches("\"turn.completed\"").count();
    assert_eq!(turns, 1, "the CLI's own account: {text}");
    assert_eq!(s["runCount"], 1, "{s}");
    let run = &s["runs"][0];
    assert_eq!(run["modelCalls"], s["modelCalls"], "{s}");
    assert_eq!(run["inputTokens"], s["inputTokens"], "{s}");
    assert_eq!(run["status"], "RUNNING", "no later prompt, not yet quiet");
    assert_eq!(super::runs::end_quiet(&app).await, 1);
    let after = session(&app, &id).await;
    assert_eq!(
        after["session"]["runs"][0]["status"], "SUCCEEDED",
        "{after}"
    );
    assert_eq!(after["overview"]["kpis"]["failedModelCalls"], 0, "{after}");
}

#[tokio::test]
async fn a_codex_request_that_failed_for_good_fails_its_run_and_its_retries_count_for_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "codex-fail-json").await;
    app.project_all().await;
    let text = std::fs::read_to_string(fixtures("codex-fail-json").join("agent-output.txt"))
        .unwrap_or_default();
    // The CLI's own account: four attempts answered 500, then the turn failed.
    assert!(text.contains("\"turn.failed\""), "{text}");
    let thread = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "thread.started")
        .unwrap_or_default();
    let id = thread["thread_id"].as_str().unwrap_or_default().to_string();
    let org = session(&app, &id).await;
    let s = &org["session"];
    assert_eq!(s["runCount"], 1, "{s}");
    assert_eq!(s["modelCalls"], 0, "attempts are not calls: {s}");
    assert_eq!(s["runs"][0]["status"], "RUNNING", "{s}");
    assert_eq!(super::runs::end_quiet(&app).await, 1);
    let after = session(&app, &id).await;
    let run = &after["session"]["runs"][0];
    assert_eq!(run["status"], "FAILED", "{after}");
    assert_eq!(run["errorCategory"], "MODEL", "{after}");
    assert_eq!(after["overview"]["kpis"]["modelCalls"], 0, "{after}");
    // The same exports again change nothing.
    replay_exports(&app, &key, "codex-fail-json").await;
    app.project_all().await;
    assert_eq!(session(&app, &id).await, after);
}

/// The session id Gemini CLI put on its resource in a recorded export.
fn gemini_session(name: &str) -> String {
    let logs = std::fs::read_to_string(fixtures(name).join("0002-logs.json")).unwrap_or_default();
    let doc: Value = serde_json::from_str(&logs).unwrap_or_default();
    doc["resourceLogs"][0]["resource"]["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["key"] == "session.id")
        .and_then(|a| a["value"]["stringValue"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn gemini_cli_logs_give_every_model_call_the_router_included_as_gemini_reported() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "gemini-basic-http").await;
    app.project_all().await;
    let stats = reported_stats("gemini-basic-http");
    // Gemini's own account, per model: prompt (cached included), cached,
    // candidates and thoughts (both output).
    let (mut input, mut cached, mut output, mut requests) = (0, 0, 0, 0);
    for m in stats["models"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, m)| m)
    {
        let t = &m["tokens"];
        let n = |k: &str| t[k].as_i64().unwrap_or(0);
        input += n("prompt") - n("cached");
        cached += n("cached");
        output += n("candidates") + n("thoughts");
        requests += m["api"]["totalRequests"].as_i64().unwrap_or(0);
    }
    let org = session(&app, &gemini_session("gemini-basic-http")).await;
    let s = &org["session"];
    assert_eq!(s["agent"], "gemini-cli", "{s}");
    assert_eq!(s["inputTokens"].as_f64(), Some(input as f64), "{s}");
    assert_eq!(s["cacheReadTokens"].as_f64(), Some(cached as f64), "{s}");
    assert_eq!(s["outputTokens"].as_f64(), Some(output as f64), "{s}");
    assert_eq!(
        s["modelCalls"].as_i64(),
        Some(requests),
        "the router's call counts: {s}"
    );
    assert_eq!(s["toolCalls"], stats["tools"]["totalCalls"], "{s}");
    assert_eq!(
        org["overview"]["kpis"]["modelCalls"].as_i64(),
        Some(requests),
        "spans are not counted again: {org}"
    );
}

#[tokio::test]
async fn a_gemini_call_refused_for_good_is_a_failed_call() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    replay_exports(&app, &key, "gemini-fail-400-http-spans-text").await;
    app.project_all().await;
    let org = session(&app, &gemini_session("gemini-fail-400-http-spans-text")).await;
    assert_eq!(org["overview"]["kpis"]["failedModelCalls"], 1, "{org}");
}

/// Gemini CLI's `stats` from its JSON output.
fn reported_stats(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures(name).join("agent-output.txt")).unwrap_or_default();
    serde_json::from_str::<Value>(&text).unwrap_or_default()["stats"].clone()
}
