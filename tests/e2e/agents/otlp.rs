//! The OpenTelemetry receiver against what real agents sent: exports that
//! Claude Code and Codex made (run offline against a scripted model API,
//! kept in `tests/fixtures/otlp`) posted as they were sent. The figures
//! agentmon shows equal what the agent itself reported at the end of its
//! run; the same exports sent again change nothing; bodies it cannot take
//! get the OTLP answers and store nothing.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures::StreamExt;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::TestApp;

fn fixtures(name: &str) -> PathBuf {
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

#[tokio::test]
async fn bodies_the_receiver_cannot_take_get_the_otlp_answers_and_store_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let send = |kind: &'static str,
                encoding: Option<&'static str>,
                auth: Option<String>,
                body: Vec<u8>| {
        let mut r = Request::post("/otlp/v1/logs").header(header::CONTENT_TYPE, kind);
        if let Some(e) = encoding {
            r = r.header(header::CONTENT_ENCODING, e);
        }
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"))
    };
    let good =
        std::fs::read(fixtures("claude-basic-json").join("0001-logs.json")).unwrap_or_default();
    let bearer = Some(format!("Bearer {key}"));
    let cases = [
        (
            send("application/json", None, None, good.clone()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                Some("Bearer amk_not_a_key_at_all_0000000000000000000000".into()),
                good.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                Some(format!("Bearer {}", app.super_admin())),
                good.clone(),
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            send("text/plain", None, bearer.clone(), good.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            send(
                "application/json",
                None,
                bearer.clone(),
                b"{\"resourceLogs\": 7}".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send(
                "application/x-protobuf",
                None,
                bearer.clone(),
                vec![0xff, 0xff, 0xff, 0x0f],
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send(
                "application/json",
                Some("gzip"),
                bearer.clone(),
                good.clone(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send("application/json", Some("br"), bearer.clone(), good.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // The key is checked before the body is read: without one, a body
        // over the 8 MiB limit is refused for the key (it was read first,
        // and refused for its size).
        (
            send("application/json", None, None, vec![b' '; 9 << 20]),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                bearer.clone(),
                vec![b' '; 9 << 20],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (request, want) in cases {
        let (status, body) = app.request(request).await;
        assert_eq!(status, want, "{body}");
        // A Status that says why, in the request's encoding.
        let says = match &body {
            Value::String(protobuf) => protobuf.contains("not an OTLP protobuf message"),
            json => json["message"].as_str().is_some_and(|m| m.len() > 10),
        };
        assert!(says, "a Status body that says why: {body}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events").await,
        0,
        "nothing stored"
    );
    // A record without a session is dropped and said so, the others kept.
    let mut doc: Value = serde_json::from_slice(&good).unwrap_or_default();
    let records = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array_mut()
        .map(|r| {
            let prompt = r
                .iter_mut()
                .find(|r| r["body"]["stringValue"] == "claude_code.user_prompt");
            for a in prompt
                .and_then(|p| p["attributes"].as_array_mut())
                .into_iter()
                .flatten()
            {
                if a["key"] == "session.id" {
                    a["key"] = json!("not.session");
                }
            }
            r.len()
        });
    let (status, body) = app
        .request(send(
            "application/json",
            None,
            bearer,
            serde_json::to_vec(&doc).unwrap_or_default(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["partialSuccess"]["rejectedLogRecords"], 1,
        "{body} of {records:?}"
    );
    assert!(
        body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("no session"),
        "{body}"
    );
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

#[tokio::test]
async fn an_export_that_cannot_be_stored_in_time_gets_a_503_to_retry_not_a_408() {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    use tower::ServiceExt;
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let router = app.router_with_timeout(std::time::Duration::from_secs(3));
    let body =
        std::fs::read(fixtures("claude-basic-json").join("0001-logs.json")).unwrap_or_default();
    let request = |body: Body| {
        Request::post("/otlp/v1/logs")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-api-key", &key)
            .body(body)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Sent at once, and sent slowly: half of it, then the rest 1.5 s later
    // (the time to read it counts against the server's timeout too).
    let (first, rest) = body.split_at(body.len() / 2);
    let (first, rest) = (
        bytes::Bytes::copy_from_slice(first),
        bytes::Bytes::copy_from_slice(rest),
    );
    let slowly = futures::stream::iter([Ok::<_, std::io::Error>(first)]).chain(
        futures::stream::once(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            Ok(rest)
        }),
    );
    let requests = [
        ("sent at once", request(Body::from(body.clone()))),
        ("sent slowly", request(Body::from_stream(slowly))),
    ];
    // Storage stalls: another transaction holds the event ledger.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let answers = owner
        .transaction::<_, diesel::result::Error, _>(async |tx| {
            diesel::sql_query("LOCK TABLE event_keys IN ACCESS EXCLUSIVE MODE")
                .execute(tx)
                .await?;
            let mut answers = Vec::new();
            for (how, request) in requests {
                let response = router
                    .clone()
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let retry = response.headers().get(header::RETRY_AFTER).cloned();
                answers.push((how, response.status(), retry));
            }
            Ok(answers)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (how, status, retry) in answers {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{how}");
        assert!(retry.is_some(), "{how}: with Retry-After");
    }
}

/// An OTLP/JSON traces export sent with `key`.
fn traces(key: &str, export: String) -> Request<Body> {
    Request::post("/otlp/v1/traces")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(export))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An agent span without its start time starts when it ends, and a
/// service name longer than an attribute may be (with a NUL in it) is
/// shortened: before, the run's start was dated 1970 and refused, and
/// every event carrying the name was refused.
#[tokio::test]
async fn a_span_without_a_start_and_a_long_service_name_still_give_the_run() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let end = chrono::Utc::now() - chrono::Duration::hours(1);
    let name = format!("{}\u{0}", "n".repeat(2_000));
    let export = json!({ "resourceSpans": [{
        "resource": { "attributes": [
            { "key": "service.name", "value": { "stringValue": name } } ] },
        "scopeSpans": [{ "spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": "eee19b7ec3c1b174",
            "name": "invoke_agent helper",
            "startTimeUnixNano": "0",
            "endTimeUnixNano": end.timestamp_nanos_opt().unwrap_or_default().to_string(),
            "attributes": [
                { "key": "gen_ai.operation.name", "value": { "stringValue": "invoke_agent" } },
                { "key": "gen_ai.conversation.id", "value": { "stringValue": "conv-1" } },
                { "key": "user.id", "value": { "stringValue": "ada" } } ] }] }] }] });
    let (status, body) = app.request(traces(&key, export.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["partialSuccess"].is_null(), "nothing refused: {body}");
    app.project_all().await;
    let answer = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { session(id: \"conv-1\") { agent runCount runs { status startedAt finishedAt } } } }",
            json!({}),
        )
        .await;
    let session = &answer["data"]["org"]["session"];
    assert_eq!(session["runCount"], 1, "{answer}");
    let agent = session["agent"].as_str().unwrap_or_default();
    assert_eq!(
        agent,
        "n".repeat(1_024),
        "cut to 1,024 characters, without the NUL"
    );
    let run = &session["runs"][0];
    assert_eq!(run["status"], "SUCCEEDED", "{answer}");
    assert_eq!(run["startedAt"], run["finishedAt"], "{answer}");
}

/// An export larger than an org's rate limit lets through at once lands
/// whole over its retries: each retry pays only for what it adds. Before,
/// a retry paid again for the part stored by the last one, and an export
/// over what the budget refills between retries never landed.
#[tokio::test]
async fn an_export_over_the_rate_limit_lands_whole_over_its_retries() {
    let app = TestApp::with_rates(1_000, 10_000, None).await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let end = chrono::Utc::now() - chrono::Duration::hours(1);
    let nanos = |at: chrono::DateTime<chrono::Utc>| at.timestamp_nanos_opt().unwrap_or_default();
    // 1,500 agent spans, each a run of its own: 3,000 events, three times
    // what the limit lets through at once.
    let spans: Vec<Value> = (0..1_500u32)
        .map(|i| {
            json!({
                "traceId": format!("{i:032x}"),
                "spanId": format!("{:016x}", i + 1),
                "name": "invoke_agent helper",
                "startTimeUnixNano": (nanos(end) - 1_000_000_000).to_string(),
                "endTimeUnixNano": nanos(end).to_string(),
                "attributes": [
                    { "key": "gen_ai.operation.name", "value": { "stringValue": "invoke_agent" } },
                    { "key": "gen_ai.conversation.id", "value": { "stringValue": "big" } },
                    { "key": "user.id", "value": { "stringValue": "ada" } } ]
            })
        })
        .collect();
    let export = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": spans }] }] }).to_string();
    let mut answers = Vec::new();
    loop {
        let (status, body) = app.request(traces(&key, export.clone())).await;
        answers.push(status);
        if status == StatusCode::OK {
            assert!(body["partialSuccess"].is_null(), "{body}");
            break;
        }
        assert!(
            answers.len() < 6,
            "the export never landed whole: {answers:?}, {} events stored; {body}",
            app.count("SELECT count(*) AS n FROM events").await
        );
        // The exporter's backoff: the budget refills 1,000 events a second.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 3_000);
    assert_eq!(answers.len(), 3, "one call's budget per try: {answers:?}");
}

/// An export whose events are all stored already still costs one request
/// of the producer's budget: sent over and over, it is refused like any
/// other call past the budget (it was free, each one a ledger lookup).
/// An export with nothing agentmon reads stays free.
#[tokio::test]
async fn an_export_sent_over_and_over_is_rate_limited() {
    let app = TestApp::with_rates(1_000, 3, None).await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let end = chrono::Utc::now() - chrono::Duration::hours(1);
    let export = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "invoke_agent helper",
        "startTimeUnixNano": (end.timestamp_nanos_opt().unwrap_or_default() - 1_000_000_000).to_string(),
        "endTimeUnixNano": end.timestamp_nanos_opt().unwrap_or_default().to_string(),
        "attributes": [
            { "key": "gen_ai.operation.name", "value": { "stringValue": "invoke_agent" } },
            { "key": "gen_ai.conversation.id", "value": { "stringValue": "again" } } ] }] }] }] })
    .to_string();
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(app.request(traces(&key, export.clone())).await.0);
    }
    assert_eq!(answers[0], StatusCode::OK, "{answers:?}");
    assert!(
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "resends past 3 a minute are refused: {answers:?}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 2);
    let nothing_read = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [{
        "traceId": "6b8efff798038103d269b633813fc60c",
        "spanId": "fee19b7ec3c1b174",
        "name": "GET /index.html",
        "endTimeUnixNano": end.timestamp_nanos_opt().unwrap_or_default().to_string() }] }] }] })
    .to_string();
    assert_eq!(
        app.request(traces(&key, nothing_read)).await.0,
        StatusCode::OK,
        "an export of nothing agentmon reads stays free, the budget spent"
    );
}
