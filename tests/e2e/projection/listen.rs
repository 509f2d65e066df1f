//! A worker whose LISTEN connection dies, and cannot connect again for a
//! while (the database refuses connections), listens again once it can:
//! new events are projected on NOTIFY, not on its (hour-long) poll.

use std::time::{Duration, Instant};

use agentmon_projectors::worker::{Worker, WorkerConfig};
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio_util::sync::CancellationToken;

use crate::harness::{event, TestApp};

/// The longest an event may take to be projected on NOTIFY here. Its poll
/// is an hour away, and a worker without a LISTEN connection looks for work
/// every 2 s (it tries to listen again that often): both far longer.
const ON_NOTIFY: Duration = Duration::from_millis(1_000);

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// How long session `session` took to be projected, if it was within `wait`.
async fn projected_within(app: &TestApp, session: &str, wait: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < wait {
        let n = app
            .count(&format!(
                "SELECT count(*) AS n FROM sessions WHERE session_id = '{session}'"
            ))
            .await;
        if n == 1 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Waits until the worker has a LISTEN connection on the test database.
async fn listening(app: &TestApp, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let listeners = app
            .count(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND query LIKE 'LISTEN agentmon_events%'",
            )
            .await;
        if listeners >= 1 {
            return;
        }
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two events, `{name}-1` then `{name}-2`, the second sent as soon as the
/// first is projected: whatever woke the worker for the first (its first
/// round, a NOTIFY, a poll), the second must be projected within
/// [`ON_NOTIFY`]. A worker that found the first by polling has just looked
/// and looks again 2 s later at the soonest, so only the NOTIFY can
/// explain it.
async fn projected_on_notify(app: &TestApp, name: &str) {
    let (first, second) = (format!("{name}-1"), format!("{name}-2"));
    app.ingest(&[event("acme", "SESSION_STARTED").session(&first).build()])
        .await;
    assert!(
        projected_within(app, &first, Duration::from_secs(8))
            .await
            .is_some(),
        "{first} was never projected"
    );
    app.ingest(&[event("acme", "SESSION_STARTED").session(&second).build()])
        .await;
    let took = projected_within(app, &second, Duration::from_secs(8))
        .await
        .unwrap_or_else(|| panic!("{second} was never projected"));
    assert!(
        took < ON_NOTIFY,
        "{second} took {took:?} to be projected: not on NOTIFY"
    );
}

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
    listening(&app, "the worker never listened").await;
    projected_on_notify(&app, "before").await;

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
    // The cut took: no LISTEN connection is left (a worker that had not
    // lost it would not have to listen again).
    // (Asked over `owner`: the test database takes no new connection now.)
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let left = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = '{database}' AND query LIKE 'LISTEN%'"
        ))
        .get_result::<Count>(&mut owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .n;
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the LISTEN connection was not cut"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The outage itself: the worker, told at once that its connection is
    // gone, tries to listen again meanwhile and is refused. (Its length is
    // part of the scenario, not a wait for something to happen.)
    tokio::time::sleep(Duration::from_millis(500)).await;
    owner
        .batch_execute(&format!(
            "ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // It listens again within a few seconds (a LISTEN connection is there
    // again: a worker that only polled would have none); then events are
    // projected on NOTIFY, not by the polling of a worker without one.
    listening(&app, "the worker never listened again").await;
    projected_on_notify(&app, "after").await;

    stop.cancel();
    let _ = running.await;
}
