//! A worker killed with SIGKILL in the middle of its work, then restarted,
//! leaves no event counted twice or lost.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentmon_projectors::replay::replay;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use super::stream::{stream, Ev, ORGS};
use super::{model, verify::verify};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::TestApp;

fn worker_process(app: &TestApp) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_agentmon"))
        .args(["worker", "--batch-size", "50"])
        .env("DATABASE_URL", app.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn queued(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM projection_queue")
        .await
}

#[tokio::test]
async fn a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing() {
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    // Some 6,000 events (each seed's sessions and runs have ids of their
    // own): a worker taking 50 at a time is well inside its work when
    // killed.
    let events: Vec<Ev> = (400..500).flat_map(stream).collect();
    let json: Vec<Value> = events.iter().map(Ev::json).collect();
    for chunk in json.chunks(1_000) {
        let body = app.ingest(chunk).await;
        assert_eq!(
            body["data"]["ingestEvents"]["accepted"].as_u64(),
            Some(chunk.len() as u64),
            "{body}"
        );
    }
    let total = queued(&app).await;
    assert_eq!(total as usize, events.len());

    let mut worker = worker_process(&app);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = queued(&app).await;
        if left < total * 3 / 4 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill(Pid::from_raw(worker.id() as i32), Signal::SIGKILL).unwrap_or_else(|e| panic!("{e}"));
    let _ = worker.wait();
    let left = queued(&app).await;
    assert!(
        left > 0,
        "killed before it finished ({left} of {total} left)"
    );

    let mut worker = worker_process(&app);
    while queued(&app).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the restarted worker did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill(Pid::from_raw(worker.id() as i32), Signal::SIGTERM).unwrap_or_else(|e| panic!("{e}"));
    let status = worker.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        status.success(),
        "SIGTERM ends the worker cleanly: {status}"
    );

    let after_crash = snapshot(&app).await;
    replay(&app.db, &agentmon_projectors::registry(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_same(
        &after_crash,
        &snapshot(&app).await,
        "after a crash vs a clean replay",
    );
    assert_eq!(
        app.count("SELECT sum(event_count)::bigint AS n FROM org_daily")
            .await as usize,
        events.len(),
        "every event counted once"
    );
    // And both equal the independent fold of the events sent (a projector
    // bug would sit on both sides of the replay comparison).
    verify(
        &app,
        &model::expected(&events),
        "after a crash and a replay",
    )
    .await;
}
