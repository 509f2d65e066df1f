//! Jobs between orgs: an org asking for rebuild after rebuild queues one of
//! each kind (a newer request joins the queued one), and another org's job
//! goes before that org's second job.

use serde_json::{json, Value};

use crate::harness::TestApp;

const REPLAY: &str =
    "mutation($org: String, $p: String) { replay(org: $org, projector: $p) { id } }";
const RETENTION: &str =
    "mutation($org: String!, $days: Int!) { updateOrg(slug: $org, retentionDays: $days) { slug } }";

async fn replay(app: &TestApp, org: &str) -> Value {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            REPLAY,
            json!({ "org": org, "p": "rollups" }),
        )
        .await;
    body["data"]["replay"]["id"].clone()
}

async fn queued(app: &TestApp, org: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM jobs j JOIN orgs o ON o.id = j.org_id \
         WHERE o.slug = '{org}' AND j.status = 'QUEUED'"
    ))
    .await
}

#[tokio::test]
async fn repeated_rebuilds_of_one_org_queue_once_and_do_not_starve_another_org() {
    let app = TestApp::new().await;
    app.create_org("noisy", "UTC").await;
    app.create_org("quiet", "UTC").await;

    // The same replay asked three times is one queued job.
    let first = replay(&app, "noisy").await;
    assert!(first.is_string(), "{first}");
    for _ in 0..2 {
        assert_eq!(replay(&app, "noisy").await, first);
    }
    // Retention changed three times: one queued job, with the last value.
    for days in [30, 60, 90] {
        let body = app
            .graphql(
                Some(&app.super_admin()),
                RETENTION,
                json!({ "org": "noisy", "days": days }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(
        queued(&app, "noisy").await,
        2,
        "one replay, one retention pass"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM jobs WHERE kind = 'RETENTION' \
             AND params = '{\"from\": 365, \"to\": 90}'::jsonb"
        )
        .await,
        1,
        "the queued retention pass goes from the first value to the last"
    );

    // The quiet org asks once, after all of that.
    let quiet = replay(&app, "quiet").await;
    let runner = agentmon_projectors::jobs::JobRunner::new(app.db.clone(), app.url());
    let mut order = Vec::new();
    while let Some(job) = runner.run_next().await.unwrap_or_else(|e| panic!("{e}")) {
        order.push((job.org_slug.unwrap_or_default(), job.kind));
    }
    assert_eq!(
        order,
        [
            ("noisy".to_string(), "REPLAY".to_string()),
            ("quiet".to_string(), "REPLAY".to_string()),
            ("noisy".to_string(), "RETENTION".to_string()),
        ],
        "the quiet org's job ({quiet}) runs before the noisy org's second"
    );
}
