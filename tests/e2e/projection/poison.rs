//! A poison event lands in the dead letters with its error while the rest
//! of its batch is projected; once the fault is fixed, a replay of the dead
//! letters projects it.

use std::time::Duration;

use agentmon_projectors::queue::requeue_dead_letters;
use diesel_async::SimpleAsyncConnection;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn a_poison_event_is_isolated_dead_lettered_and_replayed_after_a_fix() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.poison_session_poison().await;

    let mut batch: Vec<_> = (0..10)
        .map(|i| {
            event("acme", "SESSION_STARTED")
                .session(&format!("ok-{i}"))
                .build()
        })
        .collect();
    batch.insert(
        4,
        event("acme", "SESSION_STARTED")
            .session("poison")
            .user("u1")
            .build(),
    );
    assert_eq!(
        app.ingest(&batch).await["data"]["ingestEvents"]["accepted"],
        11
    );

    // max_attempts is 2 with a 10 ms backoff: retry until the queue is empty.
    let worker = app.worker(100);
    for _ in 0..100 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app
            .count("SELECT count(*) AS n FROM projection_queue")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions").await,
        10,
        "the rest of the batch is projected"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM dead_letters WHERE attempts = 2 AND error LIKE '%cannot project session poison%'")
            .await,
        1
    );

    app.cure_poison().await;
    let requeued = requeue_dead_letters(&app.db, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(requeued, 1);
    worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.count("SELECT count(*) AS n FROM dead_letters").await, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions WHERE session_id = 'poison'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT sum(sessions)::bigint AS n FROM org_daily")
            .await,
        11
    );
}

/// Stores an event the fold cannot read (a token count that is not a
/// number) straight into the log, as a buggy producer path or a bad
/// migration could, and queues it.
async fn store_unreadable(app: &TestApp, session: &str) {
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute(&format!(
            "WITH o AS (SELECT id FROM orgs WHERE slug = 'acme'), e AS (
               INSERT INTO events (org_id, occurred_at, event_id, event_type, session_id, user_id, run_id, payload)
               SELECT id, now(), gen_random_uuid(), 'RUN_FINISHED', '{session}', 'u1', 'bad-run',
                      '{{\"run\": {{\"status\": \"SUCCEEDED\", \"inputTokens\": \"many\"}}}}'::jsonb FROM o
               RETURNING org_id, event_id, occurred_at)
             INSERT INTO projection_queue (org_id, event_id, occurred_at) SELECT * FROM e"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_poison_event_in_a_session_of_ten_dead_letters_one_event_not_ten() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let good: Vec<_> = (0..10)
        .map(|i| {
            event("acme", "MESSAGE_SENT")
                .session("s1")
                .user("u1")
                .set(
                    "message",
                    serde_json::json!({"role": "USER", "text": format!("m{i}")}),
                )
                .build()
        })
        .collect();
    store_unreadable(&app, "s1").await;
    assert_eq!(
        app.ingest(&good).await["data"]["ingestEvents"]["accepted"],
        10
    );

    let worker = app.worker(100);
    for _ in 0..200 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app
            .count("SELECT count(*) AS n FROM projection_queue")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM dead_letters WHERE error LIKE '%bad payload%'")
            .await,
        1,
        "only the unreadable event is a dead letter"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM dead_letters").await, 1);
    assert_eq!(
        app.count("SELECT message_count::bigint AS n FROM sessions WHERE session_id = 's1'")
            .await,
        10,
        "the session's ten good events are projected"
    );
}

#[tokio::test]
async fn a_lock_held_past_the_lock_timeout_is_retried_without_spending_an_attempt() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    // Another transaction holds the session the worker must lock.
    let mut holder = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    holder
        .batch_execute(
            "SELECT pg_advisory_lock(hashtextextended(id::text || '/' || 's1', 0)) FROM orgs WHERE slug = 'acme'",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let worker = app.worker(100);
    let round = worker.round().await;
    let error = round
        .err()
        .unwrap_or_else(|| panic!("the lock should have timed out"));
    assert!(error.is_transient(), "{error}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue WHERE attempts = 0")
            .await,
        1,
        "no attempt spent"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM dead_letters").await, 0);

    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(app.count("SELECT count(*) AS n FROM sessions").await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        0
    );
}

/// A batch of one org fails while another worker holds the org at the head
/// of the queue: its events are retried one by one from its own org (the
/// held org's rows would be skipped as locked, and the poison never found).
#[tokio::test]
async fn a_failed_batch_is_isolated_within_its_org_while_another_org_is_held() {
    use crate::harness::batches::OpenBatch;

    let app = TestApp::new().await;
    app.create_org("held", "UTC").await;
    app.create_org("acme", "UTC").await;
    app.poison_session_poison().await;
    // The held org's events are queued first (the head of the queue), then
    // the poison, then the rest of its org's events.
    let started = |org: &str, prefix: &str, n: usize| -> Vec<_> {
        (0..n)
            .map(|i| {
                event(org, "SESSION_STARTED")
                    .session(&format!("{prefix}-{i}"))
                    .build()
            })
            .collect()
    };
    let poison = vec![event("acme", "SESSION_STARTED")
        .session("poison")
        .user("u1")
        .build()];
    for calls in [started("held", "h", 5), poison, started("acme", "ok", 10)] {
        assert_eq!(
            app.ingest(&calls).await["data"]["ingestEvents"]["accepted"],
            calls.len()
        );
    }

    // Another worker's batch holds the org at the head of the queue.
    let other = OpenBatch::claim(&app, 1_000).await;
    assert_eq!(
        other.claimed.len(),
        5,
        "the other batch took the held org's events"
    );

    // Batches of 5: the oldest 5 ready rows are all the held org's.
    let round = app
        .worker(5)
        .round()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (round.projected, round.failed),
        (4, 1),
        "the failed batch's own events were retried one by one"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue WHERE attempts = 1")
            .await,
        1,
        "the poison spent an attempt"
    );
    other.roll_back().await;
}
