//! Redis goes away: a server whose worker runs inside it still sends live
//! updates to its own subscribers.

use std::time::Duration;

use serde_json::json;

use crate::harness::live::LiveClient;
use crate::harness::redis::TestRedis;
use crate::harness::{event, TestApp};

#[tokio::test]
async fn a_subscriber_gets_updates_from_its_own_server_while_redis_is_down() {
    let mut redis = TestRedis::start().await;
    let app = TestApp::with_redis(&redis.url).await;
    let acme = app.create_org("acme", "UTC").await;
    let acme = uuid::Uuid::parse_str(acme["id"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {acme}"));
    app.ingest(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    app.project_all().await;
    let addr = app.listen().await;
    let mut client = LiveClient::signed_in(&addr, &app.super_admin()).await;
    client
        .subscribe(
            "1",
            "subscription { sessionUpdated(org: \"acme\", sessionId: \"s1\") { session { id messageCount } } }",
            json!({}),
        )
        .await;
    // The subscription is active once a change through Redis is answered.
    let probe = client.probe_session(&app.services.bus, acme, "s1").await;
    assert_eq!(
        probe["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 0}),
        "{probe}"
    );

    // Answers to earlier probes may still be on their way: none is taken
    // for the update below.
    while client.next(Duration::from_millis(800)).await.is_some() {}
    redis.kill();
    app.ingest(&[event("acme", "MESSAGE_SENT")
        .session("s1")
        .set("message", json!({"role": "USER"}))
        .build()])
        .await;
    assert_eq!(app.project_all().await, 1);
    let update = client
        .next_besides(&[&probe], Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("no update while Redis was down"));
    assert_eq!(
        update["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 1}),
        "{update}"
    );
}
