//! Alerts with real worker processes: two workers projecting the same org
//! send each change of a team budget once, signed, within 10 s of the
//! event that crossed the line; a worker SIGKILLed while its receiver
//! holds the request leaves the delivery to the next worker, which sends
//! it with the same delivery id; a receiver that hangs is given up on
//! after the send's timeout and retried.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentmon_core::auth::Role;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use super::receiver::{sign, Received, Receiver};
use super::{budget, spend};
use crate::harness::TestApp;

/// A worker process, killed if the test ends without stopping it.
pub(super) struct WorkerProcess(Option<Child>);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl WorkerProcess {
    pub(super) fn start(app: &TestApp) -> WorkerProcess {
        WorkerProcess(Some(
            Command::new(env!("CARGO_BIN_EXE_agentmon"))
                .args(["worker", "--batch-size", "20"])
                .env("DATABASE_URL", app.url())
                .env("AGENTMON_WEBHOOK_ALLOW_PRIVATE", "true")
                .env_remove("REDIS_URL")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}")),
        ))
    }

    /// Stops it with `signal`; it must have been running until then.
    pub(super) fn stop(mut self, signal: Signal) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        assert!(
            matches!(child.try_wait(), Ok(None)),
            "the worker had stopped on its own"
        );
        kill(Pid::from_raw(child.id() as i32), signal).unwrap_or_else(|e| panic!("{e}"));
        let _ = child.wait();
    }
}

/// Waits until every queued event is projected: the workers are up.
async fn drained(app: &TestApp) {
    let started = Instant::now();
    while app
        .count("SELECT count(*) AS n FROM projection_queue")
        .await
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the workers did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the receiver holds `n` requests; how long that took.
pub(super) async fn received(receiver: &Receiver, n: usize, within: Duration) -> Duration {
    let started = Instant::now();
    while receiver.received().len() < n {
        assert!(
            started.elapsed() < within,
            "{} of {n} requests within {within:?}",
            receiver.received().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

pub(super) fn accepted(body: &Value, n: usize) {
    assert_eq!(body["data"]["ingestEvents"]["accepted"], n, "{body}");
}

#[tokio::test]
async fn two_workers_send_each_change_once_signed_within_ten_seconds() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    let secret = budget(&app, &receiver).await.secret;
    let workers = [WorkerProcess::start(&app), WorkerProcess::start(&app)];
    // Warmed up: both processes started and a first event projected.
    accepted(&app.ingest(&[spend("zed", "z0", "0.01")]).await, 1);
    drained(&app).await;

    // Many small batches of other users, so both workers project the org
    // at once, and ann's $0.60 among them: WARNING (0.6 ≥ 0.5 × $1).
    let mut events: Vec<Value> = (0..200)
        .map(|i| spend(&format!("u{}", i % 7), &format!("o{i}"), "0.01"))
        .collect();
    events.insert(100, spend("ann", "a1", "0.6"));
    accepted(&app.ingest(&events).await, events.len());
    let took = received(&receiver, 1, Duration::from_secs(10)).await;
    eprintln!("WARNING delivered {took:?} after the events were accepted");

    // $0.45 more: $1.05 ≥ $1, FIRING.
    accepted(&app.ingest(&[spend("ann", "a2", "0.45")]).await, 1);
    let took = received(&receiver, 2, Duration::from_secs(10)).await;
    eprintln!("FIRING delivered {took:?} after the event was accepted");

    // More spend in the same window, its evaluations after the batch and
    // a few of every rule: nothing more is sent by either worker.
    accepted(&app.ingest(&[spend("ann", "a3", "2")]).await, 1);
    drained(&app).await;
    for _ in 0..3 {
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for w in workers {
        w.stop(Signal::SIGTERM);
    }
    let got: Vec<Received> = receiver.received();
    let states: Vec<String> = got
        .iter()
        .map(|r| r.json()["state"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(states, ["WARNING", "FIRING"]);
    for r in &got {
        assert_eq!(r.header("x-agentmon-signature"), sign(&secret, &r.body));
        assert!(r.json()["scope"]["team"].is_string(), "{}", r.json());
    }
    assert!((got[0].json()["value"].as_f64().unwrap_or_default() - 0.6).abs() < 1e-9);
    assert!((got[1].json()["value"].as_f64().unwrap_or_default() - 1.05).abs() < 1e-9);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_deliveries WHERE status = 'DELIVERED'")
            .await,
        2
    );

    // The next day resolves the day that fired, with the value it ended on.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let notified = agentmon_projectors::alerts::evaluate_orgs(&app.db, None, tomorrow)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(notified.len(), 1, "{notified:?}");
    assert_eq!(notified[0].state.as_str(), "OK");
    assert!((notified[0].value - 3.05).abs() < 1e-9, "{notified:?}");
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_leaves_it_to_the_next_with_the_same_id() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    let secret = budget(&app, &receiver).await.secret;
    // The first request is held open: the worker is killed while it waits.
    receiver.answer(&[0]);
    let first = WorkerProcess::start(&app);
    accepted(&app.ingest(&[spend("ann", "a1", "0.7")]).await, 1);
    received(&receiver, 1, Duration::from_secs(30)).await;
    first.stop(Signal::SIGKILL);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM alert_deliveries WHERE status = 'PENDING' AND attempts = 0"
        )
        .await,
        1,
        "the killed send is still to do"
    );

    // The next worker sends it once its lease has run out (4 × the send’s
    // timeout), with the same delivery id and signature.
    let second = WorkerProcess::start(&app);
    received(&receiver, 2, Duration::from_secs(50)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    second.stop(Signal::SIGTERM);
    let got = receiver.received();
    assert_eq!(got.len(), 2, "sent again once, not more");
    assert_eq!(
        got[0].header("x-agentmon-delivery"),
        got[1].header("x-agentmon-delivery")
    );
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(
        got[1].header("x-agentmon-signature"),
        sign(&secret, &got[1].body)
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_deliveries WHERE status = 'DELIVERED' AND attempts = 1")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_notifications")
            .await,
        1,
        "the change was stored once"
    );
}

#[tokio::test]
async fn a_receiver_that_hangs_is_given_up_on_and_retried() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    budget(&app, &receiver).await;
    receiver.answer(&[0]);
    app.seed(&[spend("ann", "a1", "0.7")]).await;
    let started = Instant::now();
    let sent = agentmon_projectors::alerts::deliver_due(
        &app.db,
        app.services.webhooks,
        chrono::Utc::now(),
        20,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let waited = started.elapsed();
    assert_eq!(sent, 1);
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "a send waits for its timeout, no longer: {waited:?}"
    );
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let list = "{ org(slug: \"acme\") { alertNotifications { edges { node { state deliveries { status attempts responseStatus lastError } } } } } }";
    let body = app.graphql(Some(&admin), list, json!({})).await;
    let delivery = &body["data"]["org"]["alertNotifications"]["edges"][0]["node"]["deliveries"][0];
    assert_eq!(delivery["status"], "PENDING", "{body}");
    assert_eq!(delivery["attempts"], 1, "{body}");
    assert!(delivery["responseStatus"].is_null(), "{body}");
    assert!(
        delivery["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("no answer within"),
        "{body}"
    );

    // The retry, after the backoff, is answered.
    let later = chrono::Utc::now() + chrono::Duration::seconds(11);
    agentmon_projectors::alerts::deliver_due(&app.db, app.services.webhooks, later, 20)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = app.graphql(Some(&admin), list, json!({})).await;
    let delivery = &body["data"]["org"]["alertNotifications"]["edges"][0]["node"]["deliveries"][0];
    assert_eq!(delivery["status"], "DELIVERED", "{body}");
    assert_eq!(delivery["attempts"], 2, "{body}");
    assert_eq!(delivery["responseStatus"], 200, "{body}");
    let got = receiver.received();
    assert_eq!(
        got[0].header("x-agentmon-delivery"),
        got[1].header("x-agentmon-delivery")
    );
}
