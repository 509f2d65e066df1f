//! Jobs of one org run one after the other, as docs/lifecycle.md says.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use serde_json::json;

use crate::harness::{event, TestApp};

const REPLAY: &str =
    "mutation($org: String, $p: String) { replay(org: $org, projector: $p) { id } }";

/// Holds a share lock on the org's row until the sender is dropped: a
/// replay of the org waits behind it.
async fn hold_org(app: &TestApp, slug: &str) -> tokio::sync::oneshot::Sender<()> {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (held, is_held) = tokio::sync::oneshot::channel::<()>();
    let url = app.url().to_string();
    let slug = slug.to_string();
    tokio::spawn(async move {
        let mut conn = diesel_async::AsyncPgConnection::establish(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute(&format!(
            "BEGIN; SELECT 1 FROM orgs WHERE slug = '{slug}' FOR KEY SHARE;"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let _ = held.send(());
        let _ = released.await;
        let _ = conn.batch_execute("ROLLBACK").await;
    });
    let _ = is_held.await;
    release
}

/// docs/lifecycle.md: "Jobs of one org run one after the other, in the
/// order they were asked for; jobs of different orgs run side by side."
#[tokio::test]
async fn a_second_job_of_an_org_waits_for_the_first_while_other_orgs_go_on() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    app.seed(&[event("acme", "SESSION_STARTED").build()]).await;
    let root = app.super_admin();
    let release = hold_org(&app, "acme").await;
    let body = app
        .graphql(Some(&root), REPLAY, json!({ "org": "acme" }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let runner = agentmon_projectors::jobs::JobRunner::new(app.db.clone(), app.url());
    let first = tokio::spawn(async move { runner.run_next().await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .count("SELECT count(*) AS n FROM jobs WHERE status = 'RUNNING'")
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "the first replay never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Asked while the first runs: another of acme's, then one of beta's.
    for (org, projector) in [("acme", Some("rollups")), ("beta", None)] {
        let body = app
            .graphql(Some(&root), REPLAY, json!({ "org": org, "p": projector }))
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let other = agentmon_projectors::jobs::JobRunner::new(app.db.clone(), app.url());
    let taken = other.run_next().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        taken.map(|j| j.org_slug),
        Some(Some("beta".to_string())),
        "beta's job runs beside acme's"
    );
    let taken = other.run_next().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        taken.is_none(),
        "acme's second job does not start beside its first: {taken:?}"
    );

    drop(release);
    let done = first
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.and_then(|j| j.org_slug), Some("acme".to_string()));
    let next = other.run_next().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        next.map(|j| (j.org_slug, j.params["projector"].clone())),
        Some((Some("acme".to_string()), json!("rollups")))
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM jobs later JOIN jobs earlier \
             ON earlier.org_id = later.org_id AND earlier.id <> later.id \
             WHERE later.params->>'projector' = 'rollups' AND later.started_at >= earlier.finished_at"
        )
        .await,
        1,
        "the second started after the first had finished"
    );
}
