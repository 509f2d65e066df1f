//! Retention: an org set from its default to 30 days loses what is older,
//! its figures then equal a fresh computation from the events that remain,
//! and a month past every org's retention stops being a partition.

use agentmon_core::auth::Role;
use chrono::{Datelike, Duration, Utc};
use serde_json::{json, Value};

use super::{days_ago, ingest_all, session};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::{error_code, event, TestApp};

const DAILY: &str = "query($from: Date!, $to: Date!) { org(slug: \"acme\") {
  overview(range: { from: $from, to: $to }) { daily { date kpis { sessions runs activeUsers costUsd } } } } }";

async fn daily(app: &TestApp, from: &str, to: &str) -> Vec<Value> {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            DAILY,
            json!({ "from": from, "to": to }),
        )
        .await;
    body["data"]["org"]["overview"]["daily"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{body}"))
}

fn partition(at: chrono::DateTime<Utc>) -> String {
    format!("events_{:04}m{:02}", at.year(), at.month())
}

#[tokio::test]
async fn setting_retention_to_30_days_removes_older_data_and_leaves_exact_figures() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = Vec::new();
    // One session a day for the last 40 days, two users; a session 65 days
    // ago (its month lies past the new retention); one session that began
    // 35 days ago and is still going 5 days ago (kept, straddling the cutoff).
    for d in 0_i64..40 {
        let user = ["ann", "bob"][(d % 2) as usize];
        events.extend(session(
            "acme",
            &format!("s{d}"),
            user,
            days_ago(d),
            d as usize,
        ));
    }
    events.extend(session("acme", "old", "ann", days_ago(65), 7));
    let mut long = session("acme", "long", "cat", days_ago(35), 8);
    long.push(
        event("acme", "MESSAGE_SENT")
            .session("long")
            .user("cat")
            .at(days_ago(5))
            .set("message", json!({"role": "USER", "text": "still here"}))
            .build(),
    );
    events.extend(long);
    ingest_all(&app, &events).await;
    app.project_all().await;

    let today = Utc::now().date_naive();
    let first_kept = today - Duration::days(29);
    let (from, to) = ((today - Duration::days(70)).to_string(), today.to_string());
    let before = daily(&app, &from, &to).await;
    let old_month = partition(days_ago(65));
    let exists =
        |name: &str| format!("SELECT count(*) AS n FROM pg_class WHERE relname = '{name}'");
    assert_eq!(app.count(&exists(&old_month)).await, 1);

    // Out of range: refused, nothing changes.
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for days in [0, 3651] {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($d: Int) { updateOrg(slug: \"acme\", retentionDays: $d) { retentionDays } }",
                json!({ "d": days }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let body = app
        .graphql(
            Some(&admin),
            "mutation { updateOrg(slug: \"acme\", retentionDays: 30) { retentionDays } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["updateOrg"]["retentionDays"], 30, "{body}");
    assert_eq!(app.run_jobs().await, 1);
    app.project_all().await;

    let after = daily(&app, &from, &to).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        let day = a["date"].as_str().unwrap_or_default();
        if day < first_kept.to_string().as_str() {
            assert_eq!(
                a["kpis"],
                json!({"sessions": 0, "runs": 0, "activeUsers": 0, "costUsd": "0"}),
                "{day} is past retention"
            );
        } else {
            assert_eq!(a, b, "{day} is kept and must not change");
        }
    }
    // Equal to a fresh computation from the events that remain.
    let kept = snapshot(&app).await;
    agentmon_projectors::replay::replay(&app.db, &agentmon_projectors::registry(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_same(&kept, &snapshot(&app).await, "after retention vs a replay");

    let cutoff = first_kept
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let sql = format!(
        "SELECT count(*) AS n FROM sessions WHERE last_event_at < '{}'",
        cutoff.to_rfc3339()
    );
    assert_eq!(app.count(&sql).await, 0, "sessions past the cutoff remain");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions WHERE session_id = 'long'")
            .await,
        1
    );
    let sql = format!(
        "SELECT count(*) AS n FROM events WHERE session_id <> 'long' AND occurred_at < '{}'",
        cutoff.to_rfc3339()
    );
    assert_eq!(
        app.count(&sql).await,
        0,
        "events of removed sessions remain"
    );
    assert_eq!(
        app.count(&exists(&old_month)).await,
        0,
        "{old_month} is still a partition"
    );
    let next_month = Utc::now() + chrono::Months::new(1);
    assert_eq!(app.count(&exists(&partition(next_month))).await, 1);

    // Events older than the retention are refused at ingest.
    let body = app
        .ingest(&[event("acme", "SESSION_STARTED")
            .session("late")
            .at(days_ago(31))
            .build()])
        .await;
    assert_eq!(
        body["data"]["ingestEvents"]["rejected"][0]["code"], "OUTSIDE_RETENTION",
        "{body}"
    );
    let job = app
        .graphql(
            Some(&app.super_admin()),
            "{ jobs { kind status result } }",
            json!({}),
        )
        .await;
    let job = &job["data"]["jobs"][0];
    assert_eq!(
        (job["kind"].as_str(), job["status"].as_str()),
        (Some("RETENTION"), Some("SUCCEEDED")),
        "{job}"
    );
    assert_eq!(job["result"]["sessions"], 11, "{job}");
    assert!(
        job["result"]["droppedPartitions"]
            .as_array()
            .is_some_and(|d| d.contains(&json!(old_month))),
        "{job}"
    );
}
