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
    // The rebuild is a job: until it runs, readers keep the old days and
    // the org's new events wait instead of landing on rollups of the old zone.
    assert_eq!(app.count(&format!("{days} '2026-11-10'")).await, 1);
    app.ingest(&[event("acme", "MESSAGE_SENT")
        .at(at)
        .set("message", json!({"role": "USER", "text": "hi"}))
        .build()])
        .await;
    app.project_all().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        1,
        "an event of an org waiting for its time-zone rebuild was projected"
    );
    assert_eq!(app.run_jobs().await, 1);
    app.project_all().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        0
    );
    assert_eq!(app.count(&format!("{days} '2026-11-11'")).await, 1);
    let job = app
        .graphql(
            Some(&app.super_admin()),
            "{ jobs { kind org status progress createdBy finishedAt } }",
            json!({}),
        )
        .await;
    let job = &job["data"]["jobs"][0];
    assert_eq!(job["kind"], "TIMEZONE_CHANGE", "{job}");
    assert_eq!(job["org"], "acme");
    assert_eq!(job["status"], "SUCCEEDED");
    assert_eq!(job["progress"], 1.0);
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
