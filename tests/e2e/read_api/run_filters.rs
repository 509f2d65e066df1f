//! Sessions filtered by their runs: status, failure category, model — in
//! the GraphQL filter and the CSV export alike (the drill-down from a
//! failure category or a model lands on exactly these sessions).

use agentmon_core::auth::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const LIST: &str = "query($f: SessionFilter) { org(slug: \"acme\") { sessions(filter: $f) {
  totalCount edges { node { id } } } } }";

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let run = |session: &str, model: &str, finished: Option<Value>| {
        let run = format!("{session}-r");
        let mut events = vec![
            event("acme", "SESSION_STARTED").session(session).build(),
            event("acme", "RUN_STARTED")
                .session(session)
                .run(&run)
                .set("run", json!({ "model": model }))
                .build(),
        ];
        if let Some(finished) = finished {
            events.push(
                event("acme", "RUN_FINISHED")
                    .session(session)
                    .run(&run)
                    .set("run", finished)
                    .build(),
            );
        }
        events
    };
    let mut events = Vec::new();
    events.extend(run("ok", "m-1", Some(json!({"status": "SUCCEEDED"}))));
    events.extend(run(
        "slow",
        "m-2",
        Some(json!({"status": "FAILED", "errorCategory": "TIMEOUT", "errorMessage": "took too long"})),
    ));
    events.extend(run("odd", "m-1", Some(json!({"status": "FAILED"}))));
    events.extend(run("busy", "m-3", None));
    app.seed(&events).await;
    app
}

async fn ids(app: &TestApp, filter: Value) -> Vec<String> {
    let body = app
        .graphql(Some(&app.super_admin()), LIST, json!({ "f": filter }))
        .await;
    let sessions = &body["data"]["org"]["sessions"];
    let mut ids: Vec<String> = sessions["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(sessions["totalCount"], ids.len(), "{body}");
    ids.sort();
    ids
}

#[tokio::test]
async fn sessions_filter_by_run_status_failure_category_and_model() {
    let app = seeded().await;
    assert_eq!(
        ids(&app, json!({ "runStatus": "FAILED" })).await,
        ["odd", "slow"]
    );
    assert_eq!(ids(&app, json!({ "runStatus": "RUNNING" })).await, ["busy"]);
    assert_eq!(
        ids(&app, json!({ "errorCategory": "TIMEOUT" })).await,
        ["slow"]
    );
    assert_eq!(
        ids(&app, json!({ "errorCategory": "OTHER" })).await,
        ["odd"],
        "no category counts as OTHER"
    );
    assert!(ids(&app, json!({ "errorCategory": "TOOL" }))
        .await
        .is_empty());
    assert_eq!(ids(&app, json!({ "model": "m-1" })).await, ["odd", "ok"]);
    assert_eq!(
        ids(&app, json!({ "model": "m-1", "runStatus": "FAILED" })).await,
        ["odd"]
    );

    // The overview's count of TIMEOUT failures is the sessions' one run each.
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { overview(range: { from: \"2026-11-20\", to: \"2026-11-20\" }) {
               kpis { errorsByCategory { category count } } } } }",
            json!({}),
        )
        .await;
    let categories = &body["data"]["org"]["overview"]["kpis"]["errorsByCategory"];
    assert_eq!(
        categories[2],
        json!({ "category": "TIMEOUT", "count": 1 }),
        "{body}"
    );

    let bad = app
        .graphql(
            Some(&app.super_admin()),
            LIST,
            json!({ "f": { "runStatus": "LOST" } }),
        )
        .await;
    assert!(!error_code(&bad).is_empty(), "{bad}");
}

async fn csv(app: &TestApp, query: &str) -> (StatusCode, String) {
    let token = app.user_token(Role::OrgAdmin, Some("acme"));
    let (status, body) = app
        .request(
            Request::get(format!("/export/sessions.csv?org=acme{query}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    let text = match body {
        Value::String(s) => s,
        other => other.to_string(),
    };
    (status, text)
}

#[tokio::test]
async fn the_sessions_export_takes_the_same_run_filters() {
    let app = seeded().await;
    let (status, body) = csv(&app, "&errorCategory=TIMEOUT").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows: Vec<&str> = body.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{body}");
    assert!(rows[0].starts_with("slow,"), "{body}");
    let (_, body) = csv(&app, "&model=m-1&runStatus=SUCCEEDED").await;
    assert_eq!(body.lines().skip(1).count(), 1, "{body}");
    let (status, body) = csv(&app, "&runStatus=LOST").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("use RUNNING, SUCCEEDED, FAILED or CANCELLED"),
        "{body}"
    );
}
