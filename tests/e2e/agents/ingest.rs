//! Model calls, tool calls and code changes sent through `ingestEvents`:
//! the figures of the overview, the session and its runs equal a
//! computation from the events as sent; a run with calls takes its usage
//! from them and not from its finish; resending or reordering changes
//! nothing; malformed parts are refused alone.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::reference::{figures, run_calls, Figures};
use crate::harness::event;
use crate::harness::TestApp;

fn at(minute: u32) -> String {
    format!("2026-11-20T10:{minute:02}:00Z")
}

fn call(session: &str, run: Option<&str>, minute: u32, model_call: Value) -> Value {
    let e = event("acme", "MODEL_CALL")
        .session(session)
        .set("occurredAt", json!(at(minute)))
        .set("modelCall", model_call);
    match run {
        Some(r) => e.run(r).build(),
        None => e.build(),
    }
}

fn of(session: &str, kind: &str, minute: u32, key: &str, value: Value) -> Value {
    event("acme", kind)
        .session(session)
        .set("occurredAt", json!(at(minute)))
        .set(key, value)
        .build()
}

/// One session of every kind: a run with calls (its finish reports usage
/// that must not count), a run without (its finish's usage counts), a
/// call without a run, a failed unpriced call, tools and code.
fn session(s: &str) -> Vec<Value> {
    vec![
        of(s, "RUN_STARTED", 0, "run", json!({"model": "claude-x"})),
        call(s, Some(&format!("{s}-r1")), 1, json!({"model": "claude-x", "inputTokens": 100, "outputTokens": 50,
            "cacheReadTokens": 1000, "cacheCreationTokens": 200, "costUsd": "0.0125", "durationMs": 900})),
        call(s, Some(&format!("{s}-r1")), 2, json!({"model": "claude-haiku", "inputTokens": 10, "outputTokens": 5, "costUsd": "0.0003"})),
        call(s, Some(&format!("{s}-r1")), 3, json!({"model": "claude-x", "inputTokens": 7, "error": "overloaded", "errorCategory": "MODEL"})),
        of(s, "RUN_FINISHED", 4, "run", json!({"status": "SUCCEEDED", "inputTokens": 999_999, "outputTokens": 999, "costUsd": "9.99"})),
        of(s, "RUN_STARTED", 5, "run", json!({"model": "claude-x"})),
        of(s, "RUN_FINISHED", 6, "run", json!({"status": "FAILED", "errorCategory": "TOOL", "inputTokens": 40, "outputTokens": 20, "costUsd": "0.5"})),
        call(s, None, 7, json!({"model": "gpt-x", "inputTokens": 3, "outputTokens": 4, "costUsd": "0.001"})),
        of(s, "TOOL_CALL", 2, "tool", json!({"name": "Bash", "success": true, "decision": "ACCEPTED", "durationMs": 120})),
        of(s, "TOOL_CALL", 3, "tool", json!({"name": "Edit", "decision": "REJECTED"})),
        of(s, "TOOL_CALL", 8, "tool", json!({"name": "Bash", "success": false, "error": "exit 1"})),
        of(s, "CODE_CHANGE", 9, "code", json!({"linesAdded": 12, "linesRemoved": 3, "commits": 1})),
        of(s, "CODE_CHANGE", 10, "code", json!({"linesAdded": 1, "pullRequests": 1})),
    ]
    .into_iter()
    .map(|mut e| {
        // Runs by time: before minute 5 the session's first run, then its second.
        let kind = e["type"].as_str().unwrap_or_default().to_string();
        if kind.starts_with("RUN_") {
            let minute = e["occurredAt"].as_str().unwrap_or_default()[14..16].to_string();
            e["runId"] = json!(if minute.as_str() < "05" { format!("{s}-r1") } else { format!("{s}-r2") });
        }
        if kind == "TOOL_CALL" && e["tool"]["name"] == "Bash" && e["tool"]["success"] == true {
            e["runId"] = json!(format!("{s}-r1"));
        }
        e
    })
    .collect()
}

const KPIS: &str = "runs modelCalls failedModelCalls inputTokens outputTokens cacheReadTokens \
    cacheCreationTokens cacheHitRate costUsd estimatedCostUsd unpricedModelCalls toolCalls \
    failedToolCalls rejectedToolCalls linesAdded linesRemoved commits pullRequests costPerPullRequest costPerCommit";

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(Decimal::MIN)
}

fn assert_kpis(k: &Value, f: &Figures, what: &str) {
    let pairs: [(&str, i64); 16] = [
        ("runs", f.runs),
        ("modelCalls", f.model_calls),
        ("failedModelCalls", f.failed_model_calls),
        ("inputTokens", f.input_tokens),
        ("outputTokens", f.output_tokens),
        ("cacheReadTokens", f.cache_read_tokens),
        ("cacheCreationTokens", f.cache_creation_tokens),
        ("unpricedModelCalls", f.unpriced_model_calls),
        ("toolCalls", f.tool_calls),
        ("failedToolCalls", f.failed_tool_calls),
        ("rejectedToolCalls", f.rejected_tool_calls),
        ("linesAdded", f.lines_added),
        ("linesRemoved", f.lines_removed),
        ("commits", f.commits),
        ("pullRequests", f.pull_requests),
        ("modelCalls", f.model_calls),
    ];
    for (field, want) in pairs {
        assert_eq!(
            k[field].as_f64(),
            Some(want as f64),
            "{what}: {field} in {k}"
        );
    }
    assert_eq!(dec(&k["costUsd"]), f.cost, "{what}: costUsd in {k}");
    for (field, n) in [
        ("costPerPullRequest", f.pull_requests),
        ("costPerCommit", f.commits),
    ] {
        let want = (n > 0).then(|| {
            (f.cost / Decimal::from(n))
                .round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .normalize()
        });
        let got = k[field].as_str().and_then(|s| s.parse::<Decimal>().ok());
        assert_eq!(got, want, "{what}: {field} in {k}");
        assert_eq!(k[field].is_null(), n == 0, "{what}: {field} in {k}");
    }
    assert_eq!(
        k["estimatedCostUsd"], "0",
        "{what}: nothing is priced by agentmon here"
    );
    let input = (f.input_tokens + f.cache_read_tokens + f.cache_creation_tokens) as f64;
    let rate = k["cacheHitRate"].as_f64().unwrap_or(-1.0);
    assert!(
        (rate - f.cache_read_tokens as f64 / input).abs() < 1e-12,
        "{what}: cacheHitRate {rate}"
    );
}

async fn overview(app: &TestApp) -> Value {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            &format!("{{ org(slug: \"acme\") {{ overview(range: {{from: \"2026-11-20\", to: \"2026-11-20\"}}) {{ kpis {{ {KPIS} }} }} }} }}"),
            json!({}),
        )
        .await;
    body["data"]["org"]["overview"]["kpis"].clone()
}

async fn session_of(app: &TestApp, id: &str) -> Value {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { modelCalls cacheReadTokens \
             cacheCreationTokens toolCalls failedToolCalls linesAdded linesRemoved inputTokens outputTokens costUsd \
             runs { id inputTokens outputTokens costUsd modelCalls cacheReadTokens cacheCreationTokens toolCalls costSource } \
             timeline { type summary } } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["org"]["session"].clone()
}

#[tokio::test]
async fn calls_tools_and_code_count_once_and_a_run_with_calls_takes_usage_from_them() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let events = session("s1");
    app.seed(&events).await;
    let want = figures(&events);
    // The reference itself: the finish's 999,999 input tokens are not counted.
    assert_eq!(want.input_tokens, 100 + 10 + 7 + 40 + 3);
    assert_kpis(&overview(&app).await, &want, "overview");

    let s = session_of(&app, "s1").await;
    assert_eq!(s["modelCalls"], want.model_calls);
    assert_eq!(s["toolCalls"], want.tool_calls);
    assert_eq!(s["failedToolCalls"], want.failed_tool_calls);
    assert_eq!(
        s["cacheReadTokens"].as_f64(),
        Some(want.cache_read_tokens as f64)
    );
    assert_eq!(s["linesAdded"].as_f64(), Some(want.lines_added as f64));
    assert_eq!(s["inputTokens"].as_f64(), Some(want.input_tokens as f64));
    assert_eq!(dec(&s["costUsd"]), want.cost);
    let runs = s["runs"].as_array().cloned().unwrap_or_default();
    let r1 = runs
        .iter()
        .find(|r| r["id"] == "s1-r1")
        .cloned()
        .unwrap_or_default();
    let calls = run_calls(&events, "s1-r1");
    assert_eq!(r1["modelCalls"], calls.model_calls, "{r1}");
    assert_eq!(
        r1["inputTokens"].as_f64(),
        Some(calls.input_tokens as f64),
        "{r1}"
    );
    assert_eq!(
        r1["outputTokens"].as_f64(),
        Some(calls.output_tokens as f64),
        "{r1}"
    );
    assert_eq!(dec(&r1["costUsd"]), calls.cost, "{r1}");
    assert_eq!(r1["toolCalls"], calls.tool_calls, "{r1}");
    assert_eq!(
        r1["costSource"], "UNPRICED",
        "a call without cost or price: {r1}"
    );
    let r2 = runs
        .iter()
        .find(|r| r["id"] == "s1-r2")
        .cloned()
        .unwrap_or_default();
    assert_eq!(r2["modelCalls"], 0);
    assert_eq!(
        dec(&r2["costUsd"]),
        Decimal::new(5, 1),
        "a run without calls keeps its finish's usage"
    );
    assert_eq!(r2["costSource"], "REPORTED");
    let summaries: Vec<&str> = s["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert!(
        summaries.iter().any(|l| l.starts_with(
            "claude-x call: 100 in, 50 out, 1000 cache read, 200 cache written, $0.0125"
        )),
        "{summaries:?}"
    );
    assert!(summaries.contains(&"Tool Edit rejected"), "{summaries:?}");
    assert!(
        summaries.contains(&"Code: +12 −3 lines, 1 commit(s)"),
        "{summaries:?}"
    );

    // Sent again: duplicates, nothing changes.
    let body = app.ingest(&events).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 0, "{body}");
    app.project_all().await;
    assert_kpis(&overview(&app).await, &want, "after a resend");
}

#[tokio::test]
async fn calls_arriving_before_and_after_their_run_in_any_batches_give_the_same_figures() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = session("s2");
    // The finish first, then the calls one batch at a time, the start last.
    events.rotate_left(4);
    for chunk in events.chunks(2) {
        let body = app.ingest(chunk).await;
        assert_eq!(
            body["data"]["ingestEvents"]["accepted"],
            chunk.len(),
            "{body}"
        );
        app.project_all().await;
    }
    let want = figures(&events);
    assert_kpis(&overview(&app).await, &want, "in pieces");
    let s = session_of(&app, "s2").await;
    let r1 = s["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == "s2-r1")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        dec(&r1["costUsd"]),
        run_calls(&events, "s2-r1").cost,
        "{r1}"
    );
}

#[tokio::test]
async fn a_malformed_call_tool_or_code_is_refused_alone_naming_its_field() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let cases = [
        (
            event("acme", "MODEL_CALL").build(),
            "modelCall is required for MODEL_CALL",
        ),
        (
            call("s1", None, 1, json!({"model": "m", "inputTokens": -1})),
            "modelCall.inputTokens must be 0 or more",
        ),
        (
            call("s1", None, 1, json!({"model": "m", "costUsd": "1e3"})),
            "modelCall.costUsd must be a non-negative decimal",
        ),
        (
            call("s1", None, 1, json!({"model": ""})),
            "modelCall.model must not be empty",
        ),
        (
            event("acme", "TOOL_CALL").build(),
            "tool is required for TOOL_CALL",
        ),
        (
            of("s1", "CODE_CHANGE", 1, "code", json!({"linesAdded": -4})),
            "code.linesAdded must be 0 or more",
        ),
    ];
    for (bad, message) in cases {
        let good = event("acme", "SESSION_STARTED").build();
        let body = app.ingest(&[good, bad]).await;
        let result = &body["data"]["ingestEvents"];
        assert_eq!(result["accepted"], 1, "the good event is kept: {body}");
        let rejected = result["rejected"].as_array().cloned().unwrap_or_default();
        assert_eq!(rejected.len(), 1, "{message}: {body}");
        let text = rejected[0]["message"].as_str().unwrap_or_default();
        assert!(text.starts_with(message), "{message}: {text}");
    }
}

#[tokio::test]
async fn tools_are_listed_by_calls_and_cost_is_broken_down_by_agent() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = session("s1");
    let mut other = session("s2");
    for (list, agent) in [(&mut events, "claude-code"), (&mut other, "codex")] {
        list[0]["attributes"] = json!({ "agent": agent });
    }
    let all: Vec<Value> = events.iter().chain(other.iter()).cloned().collect();
    app.seed(&all).await;
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-20\", to: \"2026-11-20\"}) { \
             tools { name calls failed accepted rejected durationP95Ms } \
             breakdown(by: AGENT) { rows { value costUsd linesAdded linesRemoved commits pullRequests } } \
             byModel: breakdown(by: MODEL) { rows { value costUsd } } } } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let overview = &body["data"]["org"]["overview"];
    // From the events as sent: per tool name, its calls, failures, decisions.
    let mut want: Vec<(String, i64, i64, i64, i64)> = Vec::new();
    for e in all.iter().filter(|e| e["type"] == "TOOL_CALL") {
        let t = &e["tool"];
        let name = t["name"].as_str().unwrap_or_default().to_string();
        let i = match want.iter().position(|w| w.0 == name) {
            Some(i) => i,
            None => {
                want.push((name, 0, 0, 0, 0));
                want.len() - 1
            }
        };
        want[i].1 += 1;
        want[i].2 += i64::from(t["success"] == false);
        want[i].3 += i64::from(t["decision"] == "ACCEPTED");
        want[i].4 += i64::from(t["decision"] == "REJECTED");
    }
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let got: Vec<(String, i64, i64, i64, i64)> = overview["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let n = |k: &str| t[k].as_i64().unwrap_or(-1);
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                n("calls"),
                n("failed"),
                n("accepted"),
                n("rejected"),
            )
        })
        .collect();
    assert_eq!(got, want, "{overview}");
    // Bash ran four times, twice with a duration (120 ms): p95 is 120 ms
    // within the sketch's precision; Edit never ran.
    let bash = overview["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "Bash")
        .cloned()
        .unwrap_or_default();
    let p95 = bash["durationP95Ms"].as_f64().unwrap_or(-1.0);
    assert!((p95 - 120.0).abs() <= 120.0 * 0.02, "Bash p95 {p95}");
    let edit = overview["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "Edit")
        .cloned()
        .unwrap_or_default();
    assert!(edit["durationP95Ms"].is_null(), "{edit}");
    // Cost by agent: each agent's session cost, computed from its events.
    let rows = overview["breakdown"]["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (agent, list) in [("claude-code", &events), ("codex", &other)] {
        let row = rows
            .iter()
            .find(|r| r["value"] == agent)
            .cloned()
            .unwrap_or_default();
        let f = figures(list);
        assert_eq!(dec(&row["costUsd"]), f.cost, "{agent}: {rows:?}");
        // The agent's code, summed from its events.
        let code = |k: &str| -> i64 {
            list.iter()
                .filter(|e| e["type"] == "CODE_CHANGE")
                .map(|e| e["code"][k].as_i64().unwrap_or(0))
                .sum()
        };
        for (field, want) in [
            ("linesAdded", code("linesAdded")),
            ("linesRemoved", code("linesRemoved")),
            ("commits", code("commits")),
            ("pullRequests", code("pullRequests")),
        ] {
            assert!(want > 0, "the session has {field}");
            assert_eq!(row[field].as_i64(), Some(want), "{agent}: {field} in {row}");
        }
    }
    // Cost by model adds up to the same whole: every call and run counts
    // under some model.
    let by_model: rust_decimal::Decimal = overview["byModel"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| dec(&r["costUsd"]))
        .sum();
    assert_eq!(by_model, figures(&all).cost, "{}", overview["byModel"]);
}
