//! Cached figures are never stale after new events are projected, and the
//! API answers when Redis dies.

use serde_json::json;

use crate::harness::redis::TestRedis;
use crate::harness::{event, TestApp};

const OVERVIEW: &str = r#"{ org(slug: "acme") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { sessions runs costUsd } } } }"#;

fn finished(run: &str, cost: &str) -> serde_json::Value {
    event("acme", "RUN_FINISHED")
        .run(run)
        .set("run", json!({"status": "SUCCEEDED", "costUsd": cost}))
        .build()
}

#[tokio::test]
async fn a_cached_figure_changes_as_soon_as_new_events_are_projected() {
    let redis = TestRedis::start().await;
    let app = TestApp::with_redis(&redis.url).await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[finished("r1", "1.5")]).await;
    app.project_all().await;
    let admin = app.super_admin();

    let first = app.graphql(Some(&admin), OVERVIEW, json!({})).await;
    assert_eq!(
        first["data"]["org"]["overview"]["kpis"],
        json!({"sessions": 1, "runs": 1, "costUsd": "1.5"}),
        "{first}"
    );
    assert!(
        !redis.keys("agentmon:v1:org:*").await.is_empty(),
        "the figure was cached in Redis"
    );
    // Change the rollup under the cache, without a projection: a hit still
    // answers the cached figure (a fresh computation would count 101 runs).
    let tamper = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            use diesel_async::SimpleAsyncConnection;
            let mut owner = db.owner().await.unwrap_or_else(|e| panic!("{e}"));
            owner
                .batch_execute(sql)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    };
    tamper("UPDATE org_daily SET runs = runs + 100").await;
    let again = app.graphql(Some(&admin), OVERVIEW, json!({})).await;
    assert_eq!(again, first, "served from the cache");
    let fresh = app
        .graphql(
            Some(&admin),
            &OVERVIEW.replace("2026-11-01", "2026-10-01"),
            json!({}),
        )
        .await;
    assert_eq!(
        fresh["data"]["org"]["overview"]["kpis"]["runs"], 101,
        "a range not cached yet sees the change: {fresh}"
    );
    tamper("UPDATE org_daily SET runs = runs - 100").await;

    app.ingest(&[finished("r2", "2.25")]).await;
    app.project_all().await;
    let after = app.graphql(Some(&admin), OVERVIEW, json!({})).await;
    assert_eq!(
        after["data"]["org"]["overview"]["kpis"],
        json!({"sessions": 1, "runs": 2, "costUsd": "3.75"}),
        "{after}"
    );
}

#[tokio::test]
async fn queries_still_answer_when_redis_is_killed() {
    let mut redis = TestRedis::start().await;
    let app = TestApp::with_redis(&redis.url).await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[finished("r1", "1")]).await;
    app.project_all().await;
    let admin = app.super_admin();
    let cached = app.graphql(Some(&admin), OVERVIEW, json!({})).await;
    assert_eq!(cached["data"]["org"]["overview"]["kpis"]["runs"], 1);

    redis.kill();
    app.ingest(&[finished("r2", "1")]).await;
    app.project_all().await;
    let uncached = app.graphql(Some(&admin), OVERVIEW, json!({})).await;
    assert!(uncached["errors"].is_null(), "{uncached}");
    assert_eq!(
        uncached["data"]["org"]["overview"]["kpis"]["runs"], 2,
        "{uncached}"
    );
}
