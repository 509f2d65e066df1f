//! Rate limits: producers over their org's events per second (shared by
//! all its keys), a producer sending calls with nothing to store, or a user
//! over their requests per minute, gets RATE_LIMITED with
//! retryAfterSeconds; the refused call stores nothing, and the same call
//! sent again after the wait is accepted. With Redis, replicas share one
//! budget.

use std::time::Duration;

use agentmon_core::auth::Role;
use axum::body::Body;
use axum::http::{header, Request};
use serde_json::{json, Value};

use crate::harness::redis::TestRedis;
use crate::harness::{error_code, event, TestApp, METRICS_TOKEN, SECRET};

fn calls(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            event("acme", "SESSION_STARTED")
                .session(&format!("{prefix}-{i}"))
                .build()
        })
        .collect()
}

/// An ingest token whose subject names another producer.
fn producer_named(sub: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": sub, "scope": "ingest", "orgs": ["acme"], "iss": "agentmon", "aud": "agentmon",
        "iat": now, "exp": now + 600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn retry_after(body: &Value) -> u64 {
    body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfterSeconds: {body}"))
}

#[tokio::test]
async fn a_producer_over_its_events_per_second_is_refused_and_loses_nothing() {
    let app = TestApp::with_rates(1_000, 10_000, None).await;
    app.create_org("acme", "UTC").await;
    let first = app.ingest(&calls("a", 1_000)).await;
    assert_eq!(first["data"]["ingestEvents"]["accepted"], 1_000, "{first}");

    let second = calls("b", 500);
    let refused = app.ingest(&second).await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    let wait = retry_after(&refused);
    assert!((1..=2).contains(&wait), "{refused}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events").await,
        1_000,
        "the refused call stored nothing"
    );

    // Another producer of the same org shares the org's budget: more keys
    // buy no more events.
    let other = producer_named("platform-b");
    let other_body = app.ingest_as(&other, &calls("c", 500)).await;
    assert_eq!(error_code(&other_body), "RATE_LIMITED", "{other_body}");

    tokio::time::sleep(Duration::from_secs(wait)).await;
    let resent = app.ingest(&second).await;
    assert_eq!(resent["data"]["ingestEvents"]["accepted"], 500, "{resent}");
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 1_500);

    let (_, metrics) = app
        .request(
            Request::get("/metrics")
                .header(header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert!(
        metrics
            .as_str()
            .unwrap_or_default()
            .contains("agentmon_rate_limited_total{limiter=\"ingest\"}"),
        "refusals are counted"
    );
}

#[tokio::test]
async fn a_user_over_their_requests_per_minute_is_refused_until_the_wait_is_over() {
    let app = TestApp::with_rates(10_000, 3, None).await;
    app.create_org("acme", "UTC").await;
    let manager = app.user_token(Role::Manager, Some("acme"));
    for _ in 0..3 {
        let body = app
            .graphql(Some(&manager), "{ me { role } }", json!({}))
            .await;
        assert_eq!(body["data"]["me"]["role"], "MANAGER", "{body}");
    }
    let refused = app
        .graphql(Some(&manager), "{ me { role } }", json!({}))
        .await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    assert!(retry_after(&refused) >= 1);
    // Someone else is not slowed down by it.
    let admin = app.super_admin();
    let body = app
        .graphql(Some(&admin), "{ me { role } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"]["role"], "SUPER_ADMIN", "{body}");
}

#[tokio::test]
async fn replicas_share_one_budget_through_redis() {
    let redis = TestRedis::start().await;
    let one = TestApp::with_rates(1_000, 10_000, Some(&redis.url)).await;
    let two = TestApp::with_rates(1_000, 10_000, Some(&redis.url)).await;
    for app in [&one, &two] {
        app.create_org("acme", "UTC").await;
    }
    let body = one.ingest(&calls("a", 1_000)).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1_000, "{body}");
    // The same producer (same token subject) through the other replica.
    let refused = two.ingest(&calls("b", 500)).await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    assert_eq!(two.count("SELECT count(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn calls_with_nothing_to_store_still_cost_the_producer() {
    let app = TestApp::with_rates(1_000, 3, None).await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let outside = vec![event("globex", "SESSION_STARTED").session("x").build()];
    let mut refused = None;
    for i in 0..10 {
        // Empty calls and calls naming only an org outside the producer's
        // scope (the harness's producer writes to acme only) store nothing.
        let call = if i % 2 == 0 {
            Vec::new()
        } else {
            outside.clone()
        };
        let body = app.ingest_as(&producer_named("noisy"), &call).await;
        if error_code(&body) == "RATE_LIMITED" {
            refused = Some(i);
            break;
        }
    }
    assert_eq!(refused, Some(3), "the fourth such call is refused");
    // Its own org's events still go in: the org's budget is untouched.
    let body = app
        .ingest_as(&producer_named("noisy"), &calls("a", 5))
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 5, "{body}");
}
