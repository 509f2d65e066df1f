//! A worker killed with SIGKILL in the middle of its work, then restarted,
//! leaves no event counted twice or lost.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentmon_core::generate::{utc_day, Plan};
use agentmon_projectors::replay::replay;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

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
    let plan = Plan {
        orgs: 2,
        users: 12,
        days: 20,
        until: utc_day(2026, 11, 1),
        ..Plan::default()
    };
    for org in plan.orgs() {
        app.create_org(&org.slug, &org.timezone).await;
    }
    let events: Vec<_> = plan.events().collect();
    for chunk in events.chunks(1_000) {
        let body = app
            .ingest(
                &serde_json::to_value(chunk)
                    .map(|v| v.as_array().cloned().unwrap_or_default())
                    .unwrap_or_default(),
            )
            .await;
        assert!(
            body["data"]["ingestEvents"]["accepted"].as_u64().is_some(),
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
}
