//! Trends: active users per week, cost per successful run, a user's cost
//! against the org's median user, and finding a user by name or id.

use agentmon_core::auth::Role;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

/// (user, day of October 2026, cost of one run or none, succeeded)
const ACTIVITY: [(&str, u32, Option<&str>, bool); 12] = [
    ("ann", 5, Some("1"), true),         // Monday of week 41
    ("eve", 5, None, true),              // only on the Monday, before the range
    ("gus", 6, Some("5"), true),         // week 41
    ("fay", 27, None, true),             // only after the range, in its last week
    ("bob", 6, Some("2"), true),         // week 41
    ("cyd", 6, Some("10"), false),       // week 41, a failed run
    ("ann", 11, None, true),             // Sunday of week 41, a message only
    ("ann", 12, Some("1.000001"), true), // week 42
    ("dee", 12, Some("4"), true),        // week 42
    ("bob", 14, None, true),             // week 42
    ("ann", 20, Some("3"), true),        // week 43
    ("ann", 26, Some("0.5"), false),     // week 44
];

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    let mut events = Vec::new();
    for (i, (user, day, cost, succeeded)) in ACTIVITY.into_iter().enumerate() {
        let at = Utc
            .with_ymd_and_hms(2026, 10, day, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let session = format!("s{i}");
        let profile = json!({"name": format!("{} Example", user.to_uppercase()), "email": format!("{user}@acme.test")});
        let one = |t: &str| event("acme", t).session(&session).user(user).at(at);
        events.push(one("SESSION_STARTED").set("user", profile).build());
        if let Some(cost) = cost {
            let run = format!("r{i}");
            events.push(one("RUN_STARTED").run(&run).build());
            let status = if succeeded { "SUCCEEDED" } else { "FAILED" };
            events.push(
                one("RUN_FINISHED")
                    .run(&run)
                    .set("run", json!({"status": status, "costUsd": cost}))
                    .build(),
            );
        }
    }
    // A user of another org named like one of acme's.
    events.push(
        event("beta", "SESSION_STARTED")
            .user("ann-beta")
            .set("user", json!({"name": "ANN Example"}))
            .build(),
    );
    app.seed(&events).await;
    app
}

async fn query(app: &TestApp, token: &str, query: &str) -> Value {
    let body = app.graphql(Some(token), query, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["org"].clone()
}

#[tokio::test]
async fn weekly_active_users_and_cost_per_successful_run() {
    let app = seeded().await;
    let admin = app.super_admin();
    let org = query(&app, &admin, "{ org(slug: \"acme\") { overview(range: {from: \"2026-10-06\", to: \"2026-10-26\"}) {
        weekly { from to days activeUsers } kpis { costPerSuccessfulRun succeededRuns costUsd } } } }").await;
    let weeks: Vec<(String, String, i64, i64)> = org["overview"]["weekly"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list"))
        .iter()
        .map(|w| {
            let s = |k: &str| w[k].as_str().unwrap_or_default().to_string();
            (
                s("from"),
                s("to"),
                w["days"].as_i64().unwrap_or(-1),
                w["activeUsers"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let week = |from: &str, to: &str, days, users| (from.to_string(), to.to_string(), days, users);
    assert_eq!(
        weeks,
        [
            // eve's Monday the 5th is before the range: bob, cyd, gus, ann (11th).
            week("2026-10-06", "2026-10-11", 6, 4),
            week("2026-10-12", "2026-10-18", 7, 3),
            week("2026-10-19", "2026-10-25", 7, 1),
            // fay, on the 27th, is after it.
            week("2026-10-26", "2026-10-26", 1, 1),
        ]
    );
    // Succeeded: bob 2, gus 5, ann 1.000001, dee 4, ann 3; cost with the failed runs
    // 25.500001, by 5: 5.1000002, to 6 decimals 5.1.
    let kpis = &org["overview"]["kpis"];
    assert_eq!(kpis["succeededRuns"], 5);
    assert_eq!(kpis["costUsd"], "25.500001");
    assert_eq!(kpis["costPerSuccessfulRun"], "5.1");
    let none = query(
        &app,
        &admin,
        "{ org(slug: \"acme\") { overview(range: {from: \"2026-10-26\", to: \"2026-10-26\"}) {
        kpis { costPerSuccessfulRun costUsd } } } }",
    )
    .await;
    assert_eq!(none["overview"]["kpis"]["costUsd"], "0.5");
    assert!(none["overview"]["kpis"]["costPerSuccessfulRun"].is_null());
}

#[tokio::test]
async fn a_users_cost_beside_the_orgs_median_user() {
    let app = seeded().await;
    let admin = app.super_admin();
    let org = query(&app, &admin, "{ org(slug: \"acme\") { user(id: \"ann\") {
        costTrend(range: {from: \"2026-10-05\", to: \"2026-10-14\"}) { date costUsd active orgMedianCostUsd activeUsers } } } }").await;
    let points = org["user"]["costTrend"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list"));
    assert_eq!(points.len(), 10, "one point per day");
    let day = |d: u32| {
        let date = NaiveDate::from_ymd_opt(2026, 10, d)
            .unwrap_or_default()
            .to_string();
        points
            .iter()
            .find(|p| p["date"] == date.as_str())
            .unwrap_or_else(|| panic!("no point"))
            .clone()
    };
    // The 5th: ann 1 and eve, active without a run, 0: the mean of the middle two.
    assert_eq!(
        day(5),
        json!({"date": "2026-10-05", "costUsd": "1", "active": true, "orgMedianCostUsd": "0.5", "activeUsers": 2})
    );
    // The 6th: bob 2, gus 5 and cyd 10, ann not active: the middle one.
    assert_eq!(
        day(6),
        json!({"date": "2026-10-06", "costUsd": "0", "active": false, "orgMedianCostUsd": "5", "activeUsers": 3})
    );
    // The 7th: nobody.
    assert_eq!(
        day(7),
        json!({"date": "2026-10-07", "costUsd": "0", "active": false, "orgMedianCostUsd": null, "activeUsers": 0})
    );
    // The 11th: ann active without a run counts with 0.
    assert_eq!(day(11)["orgMedianCostUsd"], "0");
    // The 12th: ann 1.000001 and dee 4.
    assert_eq!(
        day(12),
        json!({"date": "2026-10-12", "costUsd": "1.000001", "active": true, "orgMedianCostUsd": "2.5000005", "activeUsers": 2})
    );

    let member = app.user_token(Role::Member, Some("acme"));
    let body = app
        .graphql(Some(&member), "{ org(slug: \"acme\") { user(id: \"ann\") { costTrend(range: {from: \"2026-10-05\", to: \"2026-10-06\"}) { date } } } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn users_found_by_name_email_or_id() {
    let app = seeded().await;
    let manager = app.user_token(Role::Manager, Some("acme"));
    let search = |text: &str| {
        let q = format!("{{ org(slug: \"acme\") {{ userSearch(text: {text:?}) {{ id name }} }} }}");
        let (app, manager) = (&app, manager.clone());
        async move { app.graphql(Some(&manager), &q, json!({})).await }
    };
    let ids = |body: Value| -> Vec<String> {
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["org"]["userSearch"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list"))
            .iter()
            .map(|u| u["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        ids(search("ann example").await),
        ["ann"],
        "by name, any case; not beta's ann"
    );
    assert_eq!(ids(search("B").await), ["bob"], "by id prefix");
    assert_eq!(
        ids(search("@acme.test").await),
        ["fay", "ann", "bob", "dee", "cyd", "gus", "eve"],
        "by email, the most recently active first"
    );
    assert!(
        ids(search("%").await).is_empty(),
        "a wildcard is taken literally"
    );
    assert!(
        ids(search("_").await).is_empty(),
        "a wildcard is taken literally"
    );
    assert_eq!(error_code(&search("  ").await), "BAD_USER_INPUT");
    let member = app.user_token(Role::Member, Some("acme"));
    let body = app
        .graphql(
            Some(&member),
            "{ org(slug: \"acme\") { userSearch(text: \"a\") { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}
