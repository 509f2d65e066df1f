//! Sessions ordered by each figure the API orders by, both ways, walked
//! page by page: every session once, in the figure's order, ties by id.

use agentmon_core::auth::{MintRequest, Role};
use base64::Engine;
use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const PAGE: &str = "query($order: SessionOrder, $after: String, $first: Int) { org(slug: \"acme\") {
  sessions(orderBy: $order, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id startedAt lastEventAt costUsd runCount failedRuns messageCount activeTimeMs } } } } }";

/// (session, user, minutes after 10:00 it starts, runs: (cost, failed), messages)
/// A session's runs: (cost, failed).
type Runs = &'static [(&'static str, bool)];

const SESSIONS: [(&str, &str, i64, Runs, usize); 6] = [
    ("a", "u1", 0, &[("0.5", false)], 3),
    ("b", "u1", 5, &[("2.25", false), ("0.75", true)], 1),
    ("c", "u2", 10, &[("3", true)], 0),
    ("d", "u2", 15, &[], 2),
    ("e", "u1", 20, &[("0.5", false)], 5),
    ("f", "u2", 25, &[("1", false), ("1", true), ("1", true)], 1),
];

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let base = Utc
        .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .unwrap_or_default();
    let mut events = Vec::new();
    for (s, user, start, runs, messages) in SESSIONS {
        let mut at = base + Duration::minutes(start);
        let mut next = |minutes: i64| {
            at += Duration::minutes(minutes);
            at
        };
        events.push(
            event("acme", "SESSION_STARTED")
                .session(s)
                .user(user)
                .at(next(0))
                .build(),
        );
        for _ in 0..messages {
            events.push(
                event("acme", "MESSAGE_SENT")
                    .session(s)
                    .user(user)
                    .at(next(1))
                    .set("message", json!({"role": "USER", "text": "hi"}))
                    .build(),
            );
        }
        for (i, (cost, failed)) in runs.iter().enumerate() {
            let run = format!("{s}-{i}");
            let one = |t: &str| event("acme", t).session(s).user(user).run(&run);
            events.push(one("RUN_STARTED").at(next(1)).build());
            let status = if *failed { "FAILED" } else { "SUCCEEDED" };
            events.push(
                one("RUN_FINISHED")
                    .at(next(2))
                    .set("run", json!({"status": status, "costUsd": cost}))
                    .build(),
            );
        }
    }
    app.seed(&events).await;
    app
}

/// Every page of the list in `order`, two at a time.
async fn walk(app: &TestApp, token: &str, order: Value) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let vars = json!({ "order": order, "after": after, "first": 2 });
        let body = app.graphql(Some(token), PAGE, vars).await;
        let page = &body["data"]["org"]["sessions"];
        assert!(page.is_object(), "{body}");
        nodes.extend(
            page["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("not a list"))
                .iter()
                .map(|e| e["node"].clone()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap_or(false) {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// A node's value of the field, comparable.
fn key(field: &str, node: &Value) -> (Decimal, String) {
    let name = match field {
        "LAST_ACTIVITY" => "lastEventAt",
        "STARTED" => "startedAt",
        "COST" => "costUsd",
        "RUNS" => "runCount",
        "FAILED_RUNS" => "failedRuns",
        "MESSAGES" => "messageCount",
        _ => "activeTimeMs",
    };
    let v = &node[name];
    let number = match v {
        Value::String(s) if name.ends_with("At") => Decimal::from(
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .timestamp_micros(),
        ),
        Value::String(s) => s.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
        other => other
            .to_string()
            .parse()
            .unwrap_or_else(|e| panic!("{other}: {e}")),
    };
    (number, node["id"].as_str().unwrap_or_default().to_string())
}

/// The figure `field` of session `id`, worked out from [`SESSIONS`] as the
/// seed writes them (a message a minute, a run started a minute after the
/// last event and finished two minutes later), not read from the API.
fn expected(field: &str, id: &str) -> Decimal {
    let (_, _, start, runs, messages) = SESSIONS
        .iter()
        .find(|s| s.0 == id)
        .copied()
        .unwrap_or_else(|| panic!("no session {id}"));
    let base = Utc
        .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .unwrap_or_default();
    let micros =
        |minutes: i64| Decimal::from((base + Duration::minutes(minutes)).timestamp_micros());
    let count = |n: usize| Decimal::from(n as i64);
    match field {
        "LAST_ACTIVITY" => micros(start + messages as i64 + 3 * runs.len() as i64),
        "STARTED" => micros(start),
        "COST" => runs
            .iter()
            .map(|(cost, _)| cost.parse::<Decimal>().unwrap_or_default())
            .sum(),
        "RUNS" => count(runs.len()),
        "FAILED_RUNS" => count(runs.iter().filter(|(_, failed)| *failed).count()),
        "MESSAGES" => count(messages),
        _ => count(runs.len() * 120_000),
    }
}

#[tokio::test]
async fn every_field_both_ways_walks_each_session_once_in_order() {
    let app = seeded().await;
    let admin = app.super_admin();
    for field in [
        "LAST_ACTIVITY",
        "STARTED",
        "COST",
        "RUNS",
        "FAILED_RUNS",
        "MESSAGES",
        "ACTIVE_TIME",
    ] {
        for direction in ["ASC", "DESC"] {
            let nodes = walk(
                &app,
                &admin,
                json!({ "field": field, "direction": direction }),
            )
            .await;
            let keys: Vec<_> = nodes.iter().map(|n| key(field, n)).collect();
            for (value, id) in &keys {
                assert_eq!(
                    value.normalize(),
                    expected(field, id).normalize(),
                    "{field} of {id}"
                );
            }
            let mut sorted = keys.clone();
            sorted.sort();
            if direction == "DESC" {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{field} {direction}");
            let mut ids: Vec<_> = keys.iter().map(|k| k.1.clone()).collect();
            ids.sort();
            assert_eq!(
                ids,
                ["a", "b", "c", "d", "e", "f"],
                "{field} {direction}: each once"
            );
        }
    }
    // By cost, most first: c 3, b 3 (2.25 + 0.75), f 3, then e/a 0.5 by id, d 0.
    let ids = |nodes: Vec<Value>| -> Vec<String> {
        nodes
            .iter()
            .map(|n| n["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let by_cost = walk(&app, &admin, json!({ "field": "COST" })).await;
    assert_eq!(ids(by_cost), ["f", "c", "b", "e", "a", "d"]);
    let by_failures = walk(
        &app,
        &admin,
        json!({ "field": "FAILED_RUNS", "direction": "ASC" }),
    )
    .await;
    assert_eq!(ids(by_failures), ["a", "d", "e", "b", "c", "f"]);
}

#[tokio::test]
async fn cursors_keep_to_their_order_and_members_to_their_sessions() {
    let app = seeded().await;
    let admin = app.super_admin();
    let page = |order: Value, after: Value| {
        let vars = json!({ "order": order, "after": after, "first": 2 });
        let app = &app;
        let admin = admin.clone();
        async move { app.graphql(Some(&admin), PAGE, vars).await }
    };
    let by_cost = page(json!({"field": "COST"}), Value::Null).await;
    let cursor = by_cost["data"]["org"]["sessions"]["pageInfo"]["endCursor"].clone();
    let by_runs = page(json!({"field": "RUNS"}), cursor.clone()).await;
    assert_eq!(error_code(&by_runs), "BAD_USER_INPUT", "{by_runs}");
    assert!(by_runs.to_string().contains("another order"), "{by_runs}");
    let default = page(Value::Null, cursor).await;
    assert_eq!(error_code(&default), "BAD_USER_INPUT", "{default}");
    let latest = page(Value::Null, Value::Null).await;
    let cursor = latest["data"]["org"]["sessions"]["pageInfo"]["endCursor"].clone();
    let by_cost = page(json!({"field": "COST"}), cursor).await;
    assert_eq!(error_code(&by_cost), "BAD_USER_INPUT", "{by_cost}");

    // Forged cursors: values no column holds are refused, not run.
    for (field, value) in [
        ("COST", "NaN"),
        ("COST", "1e400"),
        ("RUNS", "99999999999999999999"),
        ("STARTED", "10000-01-01T00:00:00Z"),
        ("MESSAGES", "1; DROP TABLE sessions"),
    ] {
        let forged = json!({"order": field, "descending": true, "value": value, "id": "a"});
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
        let body = page(json!({ "field": field }), json!(cursor)).await;
        assert_eq!(
            error_code(&body),
            "BAD_USER_INPUT",
            "{field} {value}: {body}"
        );
    }
    let forged = json!({"order": "RUNS", "descending": true, "value": "2", "id": "c"});
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let body = page(json!({ "field": "RUNS" }), json!(cursor)).await;
    let after: Vec<_> = body["data"]["org"]["sessions"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        after,
        ["b", "e"],
        "a well-formed cursor is a place in the order: after (2, c) come (2, b), (1, e)"
    );

    let member = app.token(MintRequest::User {
        sub: "u2".into(),
        role: Role::Member,
        org: Some("acme".into()),
    });
    let nodes = walk(
        &app,
        &member,
        json!({ "field": "COST", "direction": "ASC" }),
    )
    .await;
    let ids: Vec<_> = nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        ids,
        ["d", "c", "f"],
        "a MEMBER sees their own sessions only"
    );
}
