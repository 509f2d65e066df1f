//! `Org.alertValue`: what a rule would read now, for the form that shows
//! it beside the threshold — the sum of the events sent for the org, a
//! team and a user; what cannot be watched refused with what to fix; a
//! team of another org not found.

use agentmon_core::auth::Role;
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const VALUE: &str = "query($org: String!, $m: AlertMetric!, $w: AlertWindow!, $t: ID, $u: String) { \
  org(slug: $org) { alertValue(metric: $m, window: $w, teamId: $t, userId: $u) { value windowStart windowEnd } } }";

/// The first second of this hour (UTC): in the current hour, day, week
/// and month whenever the test runs (unless the hour ends during it).
fn this_hour() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    chrono::Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap_or_else(|e| panic!("{e}"))
        + TimeDelta::seconds(1)
}

fn run(org: &str, user: &str, run: &str, cost: &str, status: &str) -> Value {
    event(org, "RUN_FINISHED")
        .user(user)
        .session(&format!("s-{run}"))
        .run(run)
        .at(this_hour())
        .set("run", json!({ "status": status, "costUsd": cost }))
        .build()
}

#[tokio::test]
async fn the_value_a_rule_would_read_is_the_scopes_figure_now() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let spends = [
        ("ann", "a1", "0.25", "SUCCEEDED"),
        ("ann", "a2", "1.5", "FAILED"),
        ("bob", "b1", "2", "SUCCEEDED"),
        ("cy", "c1", "0.125", "SUCCEEDED"),
    ];
    let mut events: Vec<Value> = spends
        .iter()
        .map(|(u, r, c, s)| run("acme", u, r, c, s))
        .collect();
    events.push(run("globex", "ann", "g1", "100", "SUCCEEDED"));
    app.seed(&events).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { createTeam(org: \"acme\", name: \"Core\") { id } }",
            json!({}),
        )
        .await;
    let team = body["data"]["createTeam"]["id"].clone();
    app.graphql(
        Some(&admin),
        "mutation($t: ID!) { setTeamMembers(org: \"acme\", team: $t, userIds: [\"ann\", \"cy\"]) { id } }",
        json!({ "t": team }),
    )
    .await;

    let manager = app.user_token(Role::Manager, Some("acme"));
    let ask = |vars: Value| {
        let (app, manager) = (&app, manager.clone());
        async move { app.graphql(Some(&manager), VALUE, vars).await }
    };
    // Sums of the events above, by scope.
    let cost = |who: &[&str]| -> f64 {
        spends
            .iter()
            .filter(|(u, ..)| who.contains(u))
            .map(|(_, _, c, _)| c.parse::<f64>().unwrap_or_default())
            .sum()
    };
    let value = |body: &Value| body["data"]["org"]["alertValue"]["value"].as_f64();
    let org = ask(json!({"org": "acme", "m": "COST_USD", "w": "MONTH"})).await;
    assert_eq!(value(&org), Some(cost(&["ann", "bob", "cy"])), "{org}");
    let body = ask(json!({"org": "acme", "m": "COST_USD", "w": "DAY", "t": team})).await;
    assert_eq!(value(&body), Some(cost(&["ann", "cy"])), "{body}");
    let body = ask(json!({"org": "acme", "m": "FAILED_RUNS", "w": "WEEK", "u": "ann"})).await;
    assert_eq!(value(&body), Some(1.0), "{body}");
    let body = ask(json!({"org": "acme", "m": "SUCCESS_RATE", "w": "HOUR", "t": team})).await;
    let team_runs: Vec<&str> = spends
        .iter()
        .filter(|(u, ..)| ["ann", "cy"].contains(u))
        .map(|(.., s)| *s)
        .collect();
    let succeeded = team_runs.iter().filter(|s| **s == "SUCCEEDED").count() as f64;
    assert_eq!(
        value(&body),
        Some(succeeded / team_runs.len() as f64),
        "{body}"
    );
    // The window is the org's calendar month.
    let start = org["data"]["org"]["alertValue"]["windowStart"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        start,
        format!("{}T00:00:00+00:00", today.format("%Y-%m-01")),
        "{org}"
    );

    let body = ask(json!({"org": "acme", "m": "DURATION_P95_MS", "w": "HOUR"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = ask(json!({"org": "acme", "m": "COST_USD", "w": "HOUR", "u": "ann"})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = ask(json!({"org": "acme", "m": "DEAD_LETTERS", "w": "DAY", "t": team})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    let body = ask(json!({"org": "acme", "m": "RUNS", "w": "DAY", "t": "not-a-team"})).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");

    // Globex's admin asking about acme's team from globex finds no team.
    let globex = app.user_token(Role::OrgAdmin, Some("globex"));
    let body = app
        .graphql(
            Some(&globex),
            VALUE,
            json!({"org": "globex", "m": "COST_USD", "w": "DAY", "t": team}),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
}
