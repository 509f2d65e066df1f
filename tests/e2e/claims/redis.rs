//! Rate limits without Redis, as the README says.

use std::time::{Duration, Instant};

use agentmon_core::auth::Role;
use serde_json::json;

use crate::harness::redis::TestRedis;
use crate::harness::{error_code, TestApp};

use super::*;

/// README: "with `REDIS_URL` every replica shares the budget, and a Redis
/// slower than 150 ms hands the decision to the process".
#[tokio::test]
async fn rate_limits_fall_back_to_the_process_when_redis_is_gone() {
    let mut redis = TestRedis::start().await;
    let app = TestApp::with_rates(10_000, 3, Some(&redis.url)).await;
    app.create_org("acme", "UTC").await;
    let body = app.graphql(Some(&app.super_admin()), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "SUPER_ADMIN", "{body}");
    assert!(
        !redis.keys("agentmon:limit:*").await.is_empty(),
        "the budgets are kept in Redis"
    );

    redis.kill();
    let manager = app.user_token(Role::Manager, Some("acme"));
    for i in 0..3 {
        let started = Instant::now();
        let body = app.graphql(Some(&manager), ME, json!({})).await;
        assert_eq!(body["data"]["me"]["role"], "MANAGER", "request {i}: {body}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "request {i} waited {:?} for Redis",
            started.elapsed()
        );
    }
    // The process's own budget still limits.
    let refused = app.graphql(Some(&manager), ME, json!({})).await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
}
