//! At-least-once delivery, exactly-once effect: an eventId already stored
//! for the org counts as a duplicate and changes nothing.

use serde_json::json;
use uuid::Uuid;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn a_repeated_event_within_one_call_is_stored_once() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let e = event("acme", "SESSION_STARTED").build();
    let body = app.ingest(&[e.clone(), e.clone(), e]).await;
    assert_eq!(
        body["data"]["ingestEvents"],
        json!({ "accepted": 1, "duplicates": 2, "rejected": [] }),
        "{body}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        1
    );
}

#[tokio::test]
async fn a_resent_call_counts_every_event_as_a_duplicate_and_stores_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let batch: Vec<_> = (0..20)
        .map(|i| {
            event("acme", "SESSION_STARTED")
                .session(&format!("s{i}"))
                .build()
        })
        .collect();
    let first = app.ingest(&batch).await;
    assert_eq!(first["data"]["ingestEvents"]["accepted"], 20, "{first}");
    let again = app.ingest(&batch).await;
    assert_eq!(
        again["data"]["ingestEvents"],
        json!({ "accepted": 0, "duplicates": 20, "rejected": [] }),
        "{again}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 20);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        20
    );
}

#[tokio::test]
async fn a_duplicate_keeps_the_first_stored_version() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let id = Uuid::new_v4();
    app.ingest(&[event("acme", "SESSION_STARTED")
        .id(id)
        .set("attributes", json!({"v": 1}))
        .build()])
        .await;
    let body = app
        .ingest(&[event("acme", "SESSION_STARTED")
            .id(id)
            .set("attributes", json!({"v": 2}))
            .build()])
        .await;
    assert_eq!(body["data"]["ingestEvents"]["duplicates"], 1, "{body}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE payload -> 'attributes' ->> 'v' = '1'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_same_event_id_in_two_orgs_is_two_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let id = Uuid::new_v4();
    let body = app
        .ingest(&[
            event("acme", "SESSION_STARTED").id(id).build(),
            event("globex", "SESSION_STARTED").id(id).build(),
        ])
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 2, "{body}");
}

#[tokio::test]
async fn concurrent_calls_with_the_same_events_store_each_once() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let batch: Vec<_> = (0..200)
        .map(|i| {
            event("acme", "SESSION_STARTED")
                .session(&format!("s{i}"))
                .build()
        })
        .collect();
    let results = futures::future::join_all((0..4).map(|_| app.ingest(&batch))).await;
    let accepted: i64 = results
        .iter()
        .map(|b| {
            b["data"]["ingestEvents"]["accepted"]
                .as_i64()
                .unwrap_or_else(|| panic!("{b}"))
        })
        .sum();
    let duplicates: i64 = results
        .iter()
        .map(|b| {
            b["data"]["ingestEvents"]["duplicates"]
                .as_i64()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(accepted, 200);
    assert_eq!(duplicates, 600);
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 200);
}
