//! A poison event lands in the dead letters with its error while the rest
//! of its batch is projected; once the fault is fixed, a replay of the dead
//! letters projects it.

use std::time::Duration;

use agentmon_projectors::replay::requeue_dead_letters;
use diesel_async::SimpleAsyncConnection;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn a_poison_event_is_isolated_dead_lettered_and_replayed_after_a_fix() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute(
            "CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.session_id = 'poison' THEN RAISE EXCEPTION 'cannot project session poison'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON sessions \
             FOR EACH ROW EXECUTE FUNCTION reject_poison();",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

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

    owner
        .batch_execute("DROP TRIGGER reject_poison ON sessions")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
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
