//! Hourly points of a one- or two-day range, in the org's time zone: every
//! hour of the day (25 on the day clocks go back), figures that sum to the
//! day's, and longer ranges refused with what to use instead.

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const HOURLY: &str = "query($from: Date!, $to: Date!) { org(slug: \"acme\") {
  overview(range: { from: $from, to: $to }) {
    hourly { at sessions runs succeededRuns failedRuns costUsd activeUsers }
    daily { date kpis { sessions runs costUsd } } } } }";

async fn hourly(app: &TestApp, from: &str, to: &str) -> Value {
    app.graphql(
        Some(&app.super_admin()),
        HOURLY,
        json!({ "from": from, "to": to }),
    )
    .await
}

#[tokio::test]
async fn hourly_points_fall_in_the_local_hours_and_sum_to_the_day() {
    let app = TestApp::new().await;
    app.create_org("acme", "Asia/Kolkata").await;
    // 04:45 UTC is 10:15 in Kolkata: the 10:00 hour, which starts 04:30 UTC.
    let at = |h: u32, m: u32| {
        Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0)
            .single()
            .unwrap_or_default()
    };
    let run =
        |session: &str, user: &str, start: chrono::DateTime<Utc>, status: &str, cost: &str| {
            vec![
                event("acme", "SESSION_STARTED")
                    .session(session)
                    .user(user)
                    .at(start)
                    .build(),
                event("acme", "RUN_FINISHED")
                    .session(session)
                    .user(user)
                    .run(&format!("{session}-r"))
                    .at(start + chrono::Duration::minutes(10))
                    .set("run", json!({ "status": status, "costUsd": cost }))
                    .build(),
            ]
        };
    let mut events = run("a", "ann", at(4, 35), "SUCCEEDED", "0.100000001");
    events.extend(run("b", "bob", at(4, 40), "FAILED", "0.2"));
    events.extend(run("c", "ann", at(12, 0), "SUCCEEDED", "1"));
    assert_eq!(events.len(), 6);
    app.seed(&events).await;

    let body = hourly(&app, "2026-11-20", "2026-11-20").await;
    let overview = &body["data"]["org"]["overview"];
    let hours = overview["hourly"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours[0]["at"], "2026-11-19T18:30:00+00:00",
        "midnight in Kolkata"
    );
    let ten = &hours[10];
    assert_eq!(ten["at"], "2026-11-20T04:30:00+00:00");
    assert_eq!(
        (
            ten["sessions"].as_i64(),
            ten["runs"].as_i64(),
            ten["succeededRuns"].as_i64(),
            ten["failedRuns"].as_i64()
        ),
        (Some(2), Some(2), Some(1), Some(1))
    );
    assert_eq!(ten["costUsd"], "0.300000001");
    assert_eq!(ten["activeUsers"], 2);
    let day = &overview["daily"][0]["kpis"];
    let sum = |key: &str| {
        hours
            .iter()
            .map(|h| h[key].as_i64().unwrap_or_default())
            .sum::<i64>()
    };
    assert_eq!(
        (sum("sessions"), sum("runs")),
        (
            day["sessions"].as_i64().unwrap_or(-1),
            day["runs"].as_i64().unwrap_or(-1)
        )
    );
    assert_eq!(day["costUsd"], "1.300000001");

    let two = hourly(&app, "2026-11-19", "2026-11-20").await;
    assert_eq!(
        two["data"]["org"]["overview"]["hourly"]
            .as_array()
            .map(Vec::len),
        Some(48),
        "{two}"
    );
    let three = hourly(&app, "2026-11-18", "2026-11-20").await;
    assert_eq!(error_code(&three), "BAD_USER_INPUT", "{three}");
    assert!(three.to_string().contains("daily"), "{three}");
}

#[tokio::test]
async fn the_day_clocks_go_back_has_25_hours() {
    let app = TestApp::new().await;
    app.create_org("acme", "Europe/Berlin").await;
    let body = hourly(&app, "2026-10-25", "2026-10-25").await;
    let hours = body["data"]["org"]["overview"]["hourly"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(hours.len(), 25, "{body}");
    assert_eq!(hours[0]["at"], "2026-10-24T22:00:00+00:00");
}
