//! Dead letters over GraphQL and /metrics: listed with their error and
//! attempts, retried, and counted per org.

use std::time::Duration;

use agentmon_core::auth::Role;
use axum::body::Body;
use axum::http::{header, Request};
use serde_json::json;

use crate::harness::{error_code, event, TestApp};

const LIST: &str = "query($org: String) { deadLetters(org: $org, first: 10) {
  totalCount edges { cursor node { eventId org sessionId attempts error failedAt } } pageInfo { hasNextPage } } }";

async fn metrics(app: &TestApp) -> String {
    let (_, body) = app
        .request(
            Request::get("/metrics")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", crate::harness::METRICS_TOKEN),
                )
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    body.as_str().map(str::to_string).unwrap_or_default()
}

#[tokio::test]
async fn dead_letters_are_listed_counted_and_retried() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    app.poison_session_poison().await;
    let poison = event("acme", "SESSION_STARTED").session("poison").build();
    app.ingest(&[
        poison.clone(),
        event("acme", "SESSION_STARTED").session("fine").build(),
    ])
    .await;
    let worker = app.worker(100);
    for _ in 0..100 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app.count("SELECT count(*) AS n FROM dead_letters").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(metrics(&app)
        .await
        .contains("agentmon_dead_letters{org=\"acme\"} 1"));
    assert!(metrics(&app)
        .await
        .contains("agentmon_projection_lag_seconds{org=\"beta\"} 0"));

    let root = app.super_admin();
    let body = app.graphql(Some(&root), LIST, json!({})).await;
    let list = &body["data"]["deadLetters"];
    assert_eq!(list["totalCount"], 1, "{body}");
    let node = &list["edges"][0]["node"];
    assert_eq!(node["eventId"], poison["eventId"]);
    assert_eq!(
        (node["org"].as_str(), node["sessionId"].as_str()),
        (Some("acme"), Some("poison"))
    );
    assert_eq!(node["attempts"], 2);
    assert!(
        node["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot project session poison")),
        "{node}"
    );
    let beta = app
        .graphql(Some(&root), LIST, json!({ "org": "beta" }))
        .await;
    assert_eq!(beta["data"]["deadLetters"]["totalCount"], 0, "{beta}");
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    assert_eq!(
        error_code(&app.graphql(Some(&admin), LIST, json!({})).await),
        "FORBIDDEN"
    );
    let retry = "mutation($org: String) { retryDeadLetters(org: $org) }";
    assert_eq!(
        error_code(&app.graphql(Some(&admin), retry, json!({})).await),
        "FORBIDDEN"
    );

    // Fixed, retried, projected.
    app.cure_poison().await;
    let body = app
        .graphql(Some(&root), retry, json!({ "org": "acme" }))
        .await;
    assert_eq!(body["data"]["retryDeadLetters"], 1, "{body}");
    app.project_all().await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions WHERE session_id = 'poison'")
            .await,
        1
    );
    let body = app.graphql(Some(&root), LIST, json!({})).await;
    assert_eq!(body["data"]["deadLetters"]["totalCount"], 0, "{body}");
    assert!(metrics(&app)
        .await
        .contains("agentmon_dead_letters{org=\"acme\"} 0"));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'DEAD_LETTERS_RETRIED'")
            .await,
        1
    );
}
