//! When an org's time zone changes, its day rollups are rebuilt in it.

use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn changing_the_time_zone_moves_events_to_their_new_days() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    // 20:00 UTC on the 10th is 01:30 on the 11th in Kolkata.
    let at = Utc
        .with_ymd_and_hms(2026, 11, 10, 20, 0, 0)
        .single()
        .unwrap_or_default();
    app.ingest(&[
        event("acme", "SESSION_STARTED").at(at).build(),
        event("acme", "RUN_FINISHED")
            .at(at)
            .run("r1")
            .set("run", json!({"status": "SUCCEEDED", "durationMs": 100}))
            .build(),
    ])
    .await;
    app.project_all().await;
    let days = "SELECT count(*) AS n FROM org_daily WHERE sessions = 1 AND runs = 1 AND day = ";
    assert_eq!(app.count(&format!("{days} '2026-11-10'")).await, 1);

    let body = app
        .graphql(
            Some(&app.super_admin()),
            "mutation { updateOrg(slug: \"acme\", timezone: \"Asia/Kolkata\") { timezone } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["updateOrg"]["timezone"], "Asia/Kolkata",
        "{body}"
    );
    assert_eq!(app.count(&format!("{days} '2026-11-11'")).await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM org_daily WHERE day = '2026-11-10' AND event_count > 0"
        )
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions WHERE day = '2026-11-11'")
            .await,
        1
    );
}
