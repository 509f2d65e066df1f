//! Events of any month inside the org's retention are accepted, the month's
//! partition made if the maintenance has not made it yet, also when several
//! calls race to make it. Older events are refused and make no partition.

use chrono::{Datelike, Duration, TimeZone, Utc};
use diesel_async::SimpleAsyncConnection;

use crate::harness::{event, TestApp};

async fn keep_days(app: &TestApp, slug: &str, days: i32) {
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute(&format!(
        "UPDATE orgs SET retention_days = {days} WHERE slug = '{slug}'"
    ))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

fn partition_of(year: i32, month: u32) -> String {
    format!("events_{year}m{month:02}")
}

#[tokio::test]
async fn concurrent_calls_for_a_new_month_inside_retention_all_succeed() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    keep_days(&app, "acme", 3650).await;
    let now = Utc::now();
    for years_ago in [6, 7] {
        let year = now.year() - years_ago;
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let at = Utc
                    .with_ymd_and_hms(year, 3, 1 + i, 12, 0, 0)
                    .single()
                    .unwrap_or_default();
                vec![event("acme", "SESSION_STARTED")
                    .session(&format!("s{year}-{i}"))
                    .at(at)
                    .build()]
            })
            .collect();
        let results = futures::future::join_all(calls.iter().map(|batch| app.ingest(batch))).await;
        for body in results {
            assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
        }
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 12);
}

#[tokio::test]
async fn an_event_older_than_the_retention_is_refused_and_makes_no_partition() {
    let app = TestApp::new().await;
    app.create_org("acme", "Europe/Berlin").await;
    keep_days(&app, "acme", 30).await;
    let old = Utc::now() - Duration::days(400);
    let kept = Utc::now() - Duration::days(29);
    let body = app
        .ingest(&[
            event("acme", "SESSION_STARTED")
                .session("old")
                .at(old)
                .build(),
            event("acme", "SESSION_STARTED")
                .session("kept")
                .at(kept)
                .build(),
        ])
        .await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 1, "{body}");
    assert_eq!(result["rejected"][0]["index"], 0, "{body}");
    assert_eq!(result["rejected"][0]["code"], "OUTSIDE_RETENTION", "{body}");
    let message = result["rejected"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("30 days"), "{message}");
    let partition = partition_of(old.year(), old.month());
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM pg_class WHERE relname = '{partition}'"
        ))
        .await,
        0,
        "no partition {partition} for a refused event"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 1);
}

#[tokio::test]
async fn maintenance_makes_the_partitions_of_every_kept_month_and_the_coming_ones() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    keep_days(&app, "acme", 400).await;
    let now = Utc::now();
    let months = agentmon_projectors::maintenance::run(&app.db, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no other maintenance runs"));
    assert!(months >= 16, "{months} months");
    for at in [
        now - Duration::days(395),
        now,
        now + chrono::Months::new(1),
        now + chrono::Months::new(3),
    ] {
        let partition = partition_of(at.year(), at.month());
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) AS n FROM pg_class WHERE relname = '{partition}'"
            ))
            .await,
            1,
            "{partition} exists"
        );
    }
}
