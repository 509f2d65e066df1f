//! The scaled-out topology on loopback: two `agentmon serve --no-worker`
//! replicas and one `agentmon worker`, sharing PostgreSQL and Redis. A
//! client subscribed on the second replica gets the update for an event
//! ingested through the first.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::live::LiveClient;
use crate::harness::redis::TestRedis;
use crate::harness::{event, TestApp, SECRET};

/// Child processes, stopped when dropped.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn agentmon(app: &TestApp, redis: &TestRedis, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_agentmon"))
        .args(args)
        .env("DATABASE_URL", app.url())
        .env("REDIS_URL", &redis.url)
        .env("AGENTMON_JWT_SECRET", SECRET)
        .env(
            "AGENTMON_WEB_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../web"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn wait_ready(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if reqwest::get(format!("http://{addr}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("replica {addr} did not become ready");
}

#[tokio::test]
async fn a_subscriber_on_one_replica_gets_an_event_ingested_through_another() {
    let redis = TestRedis::start().await;
    let app = TestApp::new().await;
    let acme = app.create_org("acme", "UTC").await;
    let acme = uuid::Uuid::parse_str(acme["id"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {acme}"));
    let free =
        || agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let (first, second) = (
        format!("127.0.0.1:{}", free()),
        format!("127.0.0.1:{}", free()),
    );
    let _processes = Processes(vec![
        agentmon(&app, &redis, &["serve", "--no-worker", "--listen", &first]),
        agentmon(&app, &redis, &["serve", "--no-worker", "--listen", &second]),
        agentmon(&app, &redis, &["worker"]),
    ]);
    wait_ready(&first).await;
    wait_ready(&second).await;

    // s1 is there, without messages, so that a probe has an answer.
    app.ingest(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .count("SELECT count(*) AS n FROM sessions WHERE session_id = 's1'")
        .await
        == 0
    {
        assert!(Instant::now() < deadline, "the worker never projected s1");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut client = LiveClient::signed_in(&second, &app.super_admin()).await;
    client
        .subscribe("1", "subscription { sessionUpdated(org: \"acme\", sessionId: \"s1\") { session { id messageCount } } }", json!({}))
        .await;
    // Subscribed, and the second replica hears Redis, once a change
    // published on Redis is answered on it.
    let redis_bus = agentmon_core::bus::Bus::redis(&redis.url).unwrap_or_else(|e| panic!("{e}"));
    let probe = client.probe_session(&redis_bus, acme, "s1").await;
    assert_eq!(
        probe["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 0}),
        "{probe}"
    );

    let query = "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }";
    let events = [event("acme", "MESSAGE_SENT")
        .session("s1")
        .set("message", json!({"role": "USER"}))
        .build()];
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{first}/graphql"))
        .bearer_auth(app.ingest_token(&["*"]))
        .json(&json!({ "query": query, "variables": { "e": events } }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");

    let update = client
        .next_besides(&[&probe], Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("no update on the second replica"));
    assert_eq!(
        update["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 1}),
        "{update}"
    );
}
