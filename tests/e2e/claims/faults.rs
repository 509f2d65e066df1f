//! Faults of the moment spend no attempt, as the README says.

use std::time::Duration;

use diesel_async::SimpleAsyncConnection;

use crate::harness::{event, TestApp};

/// README: "Transient database faults — serialization failures, deadlocks,
/// a lock held past `AGENTMON_WORKER_LOCK_TIMEOUT`, a statement timeout, a
/// lost connection — spend no attempt." (The lock timeout has its own test
/// in projection/poison.rs.)
#[tokio::test]
async fn serialization_failures_deadlocks_and_statement_timeouts_spend_no_attempt() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let body = app
        .ingest(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        1
    );
    let raise = |code: &str, message: &str| {
        format!(
            "CREATE OR REPLACE FUNCTION claims_fault() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION USING ERRCODE = '{code}', MESSAGE = '{message}'; END $$;"
        )
    };
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute(&format!(
            "{} CREATE TRIGGER claims_fault BEFORE INSERT OR UPDATE ON sessions \
             FOR EACH ROW EXECUTE FUNCTION claims_fault();",
            raise(
                "40001",
                "could not serialize access due to concurrent update"
            )
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let worker = app.worker(100);
    let unspent = "SELECT count(*) AS n FROM projection_queue WHERE attempts = 0";
    // PostgreSQL's own codes and messages for these faults.
    for (code, message) in [
        (
            "40001",
            "could not serialize access due to concurrent update",
        ),
        ("40P01", "deadlock detected"),
        ("57014", "canceling statement due to statement timeout"),
    ] {
        owner
            .batch_execute(&raise(code, message))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // More rounds than the worker's attempts (2): none is spent.
        for _ in 0..3 {
            let round = worker.round().await;
            let error = match round {
                Err(e) => e,
                Ok(r) => panic!("{code}: the round should have failed: {r:?}"),
            };
            assert!(error.is_transient(), "{code}: {error}");
        }
        assert_eq!(app.count(unspent).await, 1, "{code}: no attempt spent");
        assert_eq!(
            app.count("SELECT count(*) AS n FROM dead_letters").await,
            0,
            "{code}"
        );
    }
    // A fault of the work itself does spend one.
    owner
        .batch_execute(&raise("P0001", "cannot project this session"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let round = worker.round().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(round.failed, 1, "{round:?}");
    assert_eq!(app.count(unspent).await, 0, "an attempt spent");

    owner
        .batch_execute("DROP TRIGGER claims_fault ON sessions")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..100 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app.count("SELECT count(*) AS n FROM sessions").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM sessions").await, 1);
}
