//! A worker whose LISTEN connection dies, and cannot connect again for a
//! while (the database refuses connections), listens again once it can:
//! new events are projected on NOTIFY, not on its (hour-long) poll.

use std::time::{Duration, Instant};

use agentmon_projectors::worker::{Worker, WorkerConfig};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use tokio_util::sync::CancellationToken;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn after_the_database_comes_back_the_worker_listens_again() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let database = app.url().rsplit('/').next().unwrap_or_default().to_string();
    let worker = Worker::new(
        app.db.clone(),
        app.url(),
        agentmon_projectors::registry(),
        WorkerConfig {
            poll_interval: Duration::from_secs(3600),
            ..Default::default()
        },
    );
    let stop = CancellationToken::new();
    let running = tokio::spawn({
        let stop = stop.clone();
        async move { worker.run(stop).await }
    });
    let projected = |session: &'static str| {
        let app = &app;
        async move {
            let deadline = Instant::now() + Duration::from_secs(8);
            while Instant::now() < deadline {
                let n = app
                    .count(&format!(
                        "SELECT count(*) AS n FROM sessions WHERE session_id = '{session}'"
                    ))
                    .await;
                if n == 1 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            false
        }
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.ingest(&[event("acme", "SESSION_STARTED").session("before").build()])
        .await;
    assert!(projected("before").await, "projected on NOTIFY");

    // The database goes away for the listener: no new connection, and
    // its connection cut.
    // From another database: a database cannot refuse its own connections.
    let server = app
        .url()
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/postgres"))
        .unwrap_or_default();
    let mut owner = diesel_async::AsyncPgConnection::establish(&server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute(&format!(
            "ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
              WHERE datname = '{database}' AND query LIKE 'LISTEN%';"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    owner
        .batch_execute(&format!(
            "ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // It listens again within a few seconds (a LISTEN connection is there
    // again: a worker that only polled would have none); then an event is
    // projected on NOTIFY, without waiting for the hour-long poll.
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let listening = app
            .count(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND query LIKE 'LISTEN agentmon_events%'",
            )
            .await;
        if listening >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never listened again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.ingest(&[event("acme", "SESSION_STARTED").session("after").build()])
        .await;
    assert!(
        projected("after").await,
        "projected on NOTIFY after the database came back"
    );

    stop.cancel();
    let _ = running.await;
}
