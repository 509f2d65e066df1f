//! One org's receiver that never answers holds up only its own
//! deliveries: another org's notification, due after ten of the first
//! org's, is delivered while those wait out their timeout.

use std::time::{Duration, Instant};

use agentmon_core::auth::Role;
use nix::sys::signal::Signal;
use serde_json::{json, Value};

use super::receiver::Receiver;
use super::recent;
use super::workers::{accepted, received, WorkerProcess};
use crate::harness::{event, TestApp};

/// A receiver that takes connections and never answers.
async fn silent() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// `rules` daily budgets of $1 on `org`, each notifying `urls` (a channel
/// each).
async fn budget(app: &TestApp, org: &str, urls: &[String], rules: usize) {
    app.create_org(org, "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some(org));
    let mut channels = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($org: String!, $name: String!, $url: String!) { createAlertChannel(org: $org, name: $name, kind: WEBHOOK, url: $url) { channel { id } } }",
                json!({ "org": org, "name": format!("hook {i}"), "url": url }),
            )
            .await;
        channels.push(body["data"]["createAlertChannel"]["channel"]["id"].clone());
    }
    for i in 0..rules {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($org: String!, $name: String!, $c: [ID!]!) { createAlertRule(org: $org, rule: {name: $name, metric: COST_USD, window: DAY, threshold: 1.0, channelIds: $c}) { id } }",
                json!({ "org": org, "name": format!("Budget {i}"), "c": channels }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
}

/// acme, whose budget notifies ten channels to a receiver that never
/// answers, and globex, whose budget notifies the receiver returned.
async fn two_orgs() -> (TestApp, Receiver) {
    let app = TestApp::with_private_webhooks().await;
    let dead = silent().await;
    let receiver = Receiver::start().await;
    let dead_urls: Vec<String> = (0..10).map(|i| format!("http://{dead}/hook-{i}")).collect();
    budget(&app, "acme", &dead_urls, 1).await;
    budget(
        &app,
        "globex",
        &[format!("http://{}/hook", receiver.addr)],
        1,
    )
    .await;
    (app, receiver)
}

fn spend(org: &str) -> Value {
    event(org, "RUN_FINISHED")
        .user("ann")
        .session("s-1")
        .run("r-1")
        .at(recent())
        .set("run", json!({ "status": "SUCCEEDED", "costUsd": "2" }))
        .build()
}

#[tokio::test]
async fn an_org_whose_receiver_never_answers_holds_up_only_its_own_deliveries() {
    let (app, receiver) = two_orgs().await;
    // acme's ten deliveries are due first, then globex's one.
    for org in ["acme", "globex"] {
        app.seed(&[spend(org)]).await;
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_deliveries WHERE status = 'PENDING'")
            .await,
        11
    );
    let started = Instant::now();
    let db = app.db.clone();
    let policy = app.services.webhooks;
    let round = tokio::spawn(async move {
        agentmon_projectors::alerts::deliver_due(&db, policy, chrono::Utc::now(), 20).await
    });
    while receiver.received().is_empty() && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waited = started.elapsed();
    assert_eq!(receiver.received().len(), 1, "globex's notification");
    assert!(
        waited < Duration::from_secs(5),
        "globex waited {waited:?} behind acme's receiver"
    );
    // At most three of acme's are on their way at once: the rest wait
    // their turn, due still.
    let attempted = round
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attempted, 4, "3 of acme's and globex's");
}

/// The same through a real worker, whose rounds run on their own: another
/// org's notification that falls due while a round waits on the silent
/// receiver is sent before that round ends (its sends are still
/// unrecorded then); before, the next round began only once it had.
#[tokio::test]
async fn a_real_worker_sends_another_orgs_notification_while_a_round_waits() {
    let (app, receiver) = two_orgs().await;
    let worker = WorkerProcess::start(&app);
    accepted(&app.ingest(&[spend("acme")]).await, 1);
    // acme's round is under way: its sends wait on the silent receiver.
    let started = Instant::now();
    while app
        .count("SELECT count(*) AS n FROM alert_deliveries d JOIN orgs o ON o.id = d.org_id WHERE o.slug = 'acme' AND d.next_attempt_at > now()")
        .await
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(30), "acme's round never began");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    accepted(&app.ingest(&[spend("globex")]).await, 1);
    received(&receiver, 1, Duration::from_secs(30)).await;
    let recorded = app
        .count("SELECT count(*) AS n FROM alert_deliveries d JOIN orgs o ON o.id = d.org_id WHERE o.slug = 'acme' AND d.attempts > 0")
        .await;
    worker.stop(Signal::SIGTERM);
    assert_eq!(
        recorded, 0,
        "globex's was sent while acme's round still waited"
    );
}

/// A burst of one org's notifications to a receiver that answers goes
/// out as fast as it answers, 3 at a time: a round that sent something is
/// followed at once by the next, not a second later (30 deliveries would
/// take 10 s at 3 a second).
#[tokio::test]
async fn a_burst_to_a_receiver_that_answers_goes_out_at_once() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    let urls: Vec<String> = (0..10)
        .map(|i| format!("http://{}/hook-{i}", receiver.addr))
        .collect();
    budget(&app, "acme", &urls, 3).await;
    let worker = WorkerProcess::start(&app);
    accepted(&app.ingest(&[spend("acme")]).await, 1);
    received(&receiver, 1, Duration::from_secs(30)).await;
    let rest = received(&receiver, 30, Duration::from_secs(30)).await;
    worker.stop(Signal::SIGTERM);
    assert!(
        rest < Duration::from_secs(5),
        "the 30 deliveries took {rest:?} after the first"
    );
}
