//! Breakdowns by model and by chosen attribute keys equal the figures
//! computed from the events sent; top values plus "other" add up to the
//! overview; keys are an ORG_ADMIN's choice, applied to existing data by a job.

use std::collections::BTreeMap;

use agentmon_core::auth::Role;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const BREAKDOWN: &str = "query($by: BreakdownBy!, $key: String, $top: Int) { org(slug: \"acme\") {
  overview(range: { from: \"2026-11-20\", to: \"2026-11-20\" }) {
    kpis { runs costUsd }
    breakdown(by: $by, key: $key, top: $top) {
      rows { value sessions runs succeededRuns failedRuns costUsd }
      other { value runs costUsd } total { runs costUsd } } } } }";

/// A session of one run: (id, repo, the run's model, status, cost).
type Sent = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const SESSIONS: [Sent; 6] = [
    ("s1", Some("api"), Some("m-1"), "SUCCEEDED", "1.5"),
    ("s2", Some("api"), Some("m-2"), "FAILED", "0.25"),
    ("s3", Some("web"), Some("m-1"), "SUCCEEDED", "0.000000001"),
    ("s4", None, None, "CANCELLED", "2"),
    ("s5", Some("web"), Some("m-2"), "SUCCEEDED", "0.75"),
    ("s6", Some("cli"), Some("m-1"), "FAILED", "0.1"),
];

fn events() -> Vec<Value> {
    let mut out = Vec::new();
    for (s, repo, model, status, cost) in SESSIONS {
        let attributes = repo.map_or(
            json!({"agentVersion": "1"}),
            |r| json!({"repo": r, "agentVersion": "1"}),
        );
        let run = format!("{s}-r");
        out.push(
            event("acme", "SESSION_STARTED")
                .session(s)
                .set("attributes", attributes)
                .build(),
        );
        out.push(
            event("acme", "RUN_STARTED")
                .session(s)
                .run(&run)
                .set("run", json!({"model": model}))
                .build(),
        );
        out.push(
            event("acme", "RUN_FINISHED")
                .session(s)
                .run(&run)
                .set("run", json!({"status": status, "costUsd": cost}))
                .build(),
        );
    }
    out
}

/// (sessions, runs, succeeded, failed, cost) of one value.
type Figures = (i64, i64, i64, i64, Decimal);

/// value → its figures, from the events sent.
fn expected(by_model: bool) -> BTreeMap<String, Figures> {
    let mut out = BTreeMap::new();
    for (_, repo, model, status, cost) in SESSIONS {
        let value = if by_model { model } else { repo }
            .unwrap_or("(none)")
            .to_string();
        let e = out.entry(value).or_insert((0, 0, 0, 0, Decimal::ZERO));
        e.0 += 1;
        e.1 += 1;
        e.2 += i64::from(status == "SUCCEEDED");
        e.3 += i64::from(status == "FAILED");
        e.4 += cost.parse::<Decimal>().unwrap_or_default();
    }
    out
}

fn answered(rows: &Value) -> BTreeMap<String, Figures> {
    rows.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap_or_default().to_string(),
                (
                    r["sessions"].as_i64().unwrap_or(-1),
                    r["runs"].as_i64().unwrap_or(-1),
                    r["succeededRuns"].as_i64().unwrap_or(-1),
                    r["failedRuns"].as_i64().unwrap_or(-1),
                    r["costUsd"]
                        .as_str()
                        .and_then(|c| c.parse().ok())
                        .unwrap_or_default(),
                ),
            )
        })
        .collect()
}

async fn ask(app: &TestApp, token: &str, vars: Value) -> Value {
    app.graphql(Some(token), BREAKDOWN, vars).await
}

#[tokio::test]
async fn breakdowns_by_model_and_by_a_chosen_key_equal_the_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let sent = events();
    app.seed(&sent).await;
    let member = app.user_token(Role::Member, Some("acme"));
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));

    let body = ask(&app, &member, json!({ "by": "MODEL" })).await;
    let overview = &body["data"]["org"]["overview"];
    let model = &overview["breakdown"];
    assert_eq!(answered(&model["rows"]), expected(true), "{body}");
    assert_eq!(model["rows"][0]["value"], "(none)", "by cost first: {body}");
    assert_eq!(model["total"]["runs"], overview["kpis"]["runs"]);
    assert_eq!(model["total"]["costUsd"], overview["kpis"]["costUsd"]);
    assert_eq!(model["other"], Value::Null);

    // A key the org has not chosen: what to do instead.
    let body = ask(&app, &member, json!({ "by": "ATTRIBUTE", "key": "repo" })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.to_string().contains("setBreakdownKeys"), "{body}");

    let set = "mutation($keys: [String!]!) { setBreakdownKeys(org: \"acme\", keys: $keys) { breakdownKeys } }";
    let six = json!({ "keys": ["a", "b", "c", "d", "e", "f"] });
    assert_eq!(
        error_code(&app.graphql(Some(&admin), set, six).await),
        "BAD_USER_INPUT"
    );
    let keys = json!({ "keys": ["repo", "agentVersion", "repo"] });
    assert_eq!(
        error_code(&app.graphql(Some(&member), set, keys.clone()).await),
        "FORBIDDEN"
    );
    let body = app.graphql(Some(&admin), set, keys).await;
    assert_eq!(
        body["data"]["setBreakdownKeys"]["breakdownKeys"],
        json!(["repo", "agentVersion"]),
        "{body}"
    );
    assert_eq!(
        app.run_jobs().await,
        1,
        "existing data is broken down again by a job"
    );

    let body = ask(&app, &member, json!({ "by": "ATTRIBUTE", "key": "repo" })).await;
    assert_eq!(
        answered(&body["data"]["org"]["overview"]["breakdown"]["rows"]),
        expected(false),
        "{body}"
    );

    // Top 2 and the rest as other: together the total.
    let body = ask(
        &app,
        &member,
        json!({ "by": "ATTRIBUTE", "key": "repo", "top": 2 }),
    )
    .await;
    let b = &body["data"]["org"]["overview"]["breakdown"];
    assert_eq!(b["rows"].as_array().map(Vec::len), Some(2), "{body}");
    let cost = |v: &Value| {
        v.as_str()
            .and_then(|c| c.parse::<Decimal>().ok())
            .unwrap_or_default()
    };
    let shown: Decimal = b["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| cost(&r["costUsd"]))
        .sum();
    assert_eq!(
        shown + cost(&b["other"]["costUsd"]),
        cost(&b["total"]["costUsd"])
    );
    assert_eq!(b["other"]["value"], "(other)");

    // New data is broken down as it is projected.
    let more = vec![
        event("acme", "SESSION_STARTED")
            .session("s7")
            .set("attributes", json!({"repo": "cli"}))
            .build(),
        event("acme", "RUN_FINISHED")
            .session("s7")
            .run("s7-r")
            .set("run", json!({"status": "SUCCEEDED", "costUsd": "5"}))
            .build(),
    ];
    app.ingest(&more).await;
    app.project_all().await;
    let body = ask(
        &app,
        &member,
        json!({ "by": "ATTRIBUTE", "key": "repo", "top": 1 }),
    )
    .await;
    let first = &body["data"]["org"]["overview"]["breakdown"]["rows"][0];
    assert_eq!(
        (
            first["value"].as_str(),
            first["runs"].as_i64(),
            first["costUsd"].as_str()
        ),
        (Some("cli"), Some(2), Some("5.1")),
        "{body}"
    );
}
