//! The cluster on loopback, as an operator runs it: a PostgreSQL primary and
//! a streaming standby, Redis, two API servers (`serve --no-worker`, reading
//! from the standby) and two `agentmon worker` processes; a producer sends
//! to both servers and a subscriber listens on each. Under that load one
//! API server is killed (its subscriber reconnects to the other and misses
//! no update projected after that), a worker is killed, the standby stops
//! (queries keep answering from the primary), and Redis restarts (cache and
//! fan-out recover). At the end every acknowledged event is stored once and
//! the figures on both servers equal those computed from the events. What
//! each loss cost is printed.

mod node;
mod traffic;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentmon_core::bus::Bus;
use agentmon_core::storage::db::embedded::free_port;
use serde_json::json;

use crate::harness::process::{agentmon, post, succeeded};
use crate::harness::redis::TestRedis;
use crate::harness::replication::Replicated;
use crate::harness::{METRICS_TOKEN, SECRET};
use node::{figures, ready, replica_in_use, Node};
use traffic::{checkpoint, listen, produce, sessions_sent, until_heard, Sent};

#[tokio::test]
async fn the_cluster_survives_losing_a_server_a_worker_the_replica_and_redis() {
    let pg = Replicated::start().await;
    let mut redis = TestRedis::start().await;
    let data = pg.dir("data");
    let data = data.to_str().unwrap_or_default().to_string();
    let env = [
        ("DATABASE_URL", pg.primary.as_str()),
        ("DATABASE_REPLICA_URL", pg.replica.as_str()),
        ("REDIS_URL", redis.url.as_str()),
        ("AGENTMON_JWT_SECRET", SECRET),
        ("AGENTMON_DATA_DIR", data.as_str()),
        // Replicas are named on /metrics only behind its token.
        ("AGENTMON_METRICS_TOKEN", METRICS_TOKEN),
    ];
    let addrs = [
        format!(
            "127.0.0.1:{}",
            free_port().unwrap_or_else(|e| panic!("{e}"))
        ),
        format!(
            "127.0.0.1:{}",
            free_port().unwrap_or_else(|e| panic!("{e}"))
        ),
    ];
    let mut servers: Vec<Node> = addrs
        .iter()
        .map(|addr| Node::start(&["serve", "--no-worker", "--listen", addr.as_str()], &env))
        .collect();
    ready(&addrs[0]).await;
    ready(&addrs[1]).await;
    let mut workers = [
        Node::start(&["worker"], &env),
        Node::start(&["worker"], &env),
    ];

    let token = |args: &[&str]| {
        let out = succeeded(agentmon(args).env("AGENTMON_JWT_SECRET", SECRET));
        out.lines().last().unwrap_or_default().trim().to_string()
    };
    let admin = token(&["token", "--role", "SUPER_ADMIN"]);
    let producer = token(&["token", "--ingest", "--orgs", "acme"]);
    let created = post(
        &format!("http://{}", addrs[0]),
        &admin,
        "mutation { createOrg(slug: \"acme\", name: \"Acme\", timezone: \"UTC\") { id } }",
        json!({}),
    )
    .await;
    let acme: uuid::Uuid = created["data"]["createOrg"]["id"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {created}"));

    let (primary, connection) = tokio_postgres::connect(&pg.primary, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(connection);
    let sent = Arc::new(Mutex::new(Sent::default()));
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let producing = produce(
        addrs.clone(),
        producer,
        sent.clone(),
        gate.clone(),
        stop.clone(),
    );
    let check = |after: &'static str| {
        let (gate, sent, primary, addrs, admin) = (&gate, &sent, &primary, &addrs, &admin);
        async move { checkpoint(after, gate, sent, primary, acme, addrs, admin).await }
    };
    // Subscribers once the probe's session exists.
    let end = Instant::now() + Duration::from_secs(30);
    while figures(&addrs[1], &admin).await.map(|f| f.0).unwrap_or(0) == 0 {
        assert!(Instant::now() < end, "nothing was projected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bus = Bus::redis(&redis.url).unwrap_or_else(|e| panic!("{e}"));
    let mut listeners = vec![
        listen(&addrs[0], &admin, &bus, acme, Arc::default()).await,
        listen(&addrs[1], &admin, &bus, acme, Arc::default()).await,
    ];
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut report = Vec::new();

    // 1. An API server dies. The producer sends to the other; the
    // server's subscriber reconnects to the other server and, from then
    // on, misses nothing.
    let killed = Instant::now();
    servers[0].kill();
    listeners[0].abort();
    let moved = Arc::new(Mutex::new(BTreeSet::new()));
    listeners.push(listen(&addrs[1], &admin, &bus, acme, moved.clone()).await);
    let reconnected = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    servers[0].spawn();
    ready(&addrs[0]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = check("an API server was killed").await;
    let missed = until_heard(
        &moved,
        &sessions_sent(&sent, reconnected, Instant::now()),
        Duration::from_secs(30),
    )
    .await;
    assert!(missed.is_empty(), "the moved subscriber missed {missed:?}");
    report.push(format!(
        "API server killed: its subscriber listened again on the other after {} ms and missed no update; {events} events stored once, figures equal",
        (reconnected - killed).as_millis()
    ));

    // 2. A worker dies in the middle of a batch: it is stopped (SIGSTOP)
    // until PostgreSQL shows a transaction of a worker left open, which only
    // the stopped one can hold that long, then killed. The other goes on,
    // and what the killed one held goes back to the queue with its
    // connection.
    let mut tries = 0;
    loop {
        tries += 1;
        workers[0].signal(nix::sys::signal::Signal::SIGSTOP);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let open: i64 = primary
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'agentmon-worker' \
                 AND state LIKE 'idle in transaction%' AND now() - state_change > interval '300 milliseconds'",
                &[],
            )
            .await
            .map(|r| r.get(0))
            .unwrap_or(0);
        if open > 0 {
            break;
        }
        workers[0].signal(nix::sys::signal::Signal::SIGCONT);
        assert!(tries < 100, "the worker was never caught in a batch");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    workers[0].kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    workers[0].spawn();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = check("a worker was killed").await;
    report.push(format!(
        "worker killed with a batch open (caught at try {tries}): {events} events stored once, figures equal"
    ));

    // 3. The standby stops while both servers read from it: every query
    // answers, from the primary.
    for addr in &addrs {
        let end = Instant::now() + Duration::from_secs(30);
        while !replica_in_use(addr, &pg.replica_name).await {
            assert!(Instant::now() < end, "{addr} never read from the standby");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    pg.standby.stop();
    let (mut asked, stopped) = (0, Instant::now());
    while stopped.elapsed() < Duration::from_secs(4) {
        for addr in &addrs {
            figures(addr, &admin)
                .await
                .unwrap_or_else(|e| panic!("{addr} with the standby down: {e}"));
            asked += 1;
        }
    }
    pg.standby.start();
    let events = check("the standby stopped").await;
    report.push(format!(
        "standby stopped: {asked} queries answered, none failed; {events} events stored once, figures equal"
    ));

    // 4. Redis restarts empty: fan-out comes back (a probe answered on a
    // fresh subscriber of each server), and from then on nothing is missed.
    let before_redis = Instant::now();
    redis.restart().await;
    let bus = Bus::redis(&redis.url).unwrap_or_else(|e| panic!("{e}"));
    let fanout = [
        Arc::new(Mutex::new(BTreeSet::new())),
        Arc::new(Mutex::new(BTreeSet::new())),
    ];
    let mut after_redis = Vec::new();
    for (addr, heard) in addrs.iter().zip(&fanout) {
        after_redis.push(listen(addr, &admin, &bus, acme, heard.clone()).await);
    }
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let events = check("Redis restarted").await;
    for (i, heard) in fanout.iter().enumerate() {
        let missed = until_heard(
            heard,
            &sessions_sent(&sent, back, Instant::now()),
            Duration::from_secs(30),
        )
        .await;
        assert!(
            missed.is_empty(),
            "subscriber {i} after Redis's restart missed {missed:?}"
        );
    }
    // What the restart cost a subscriber that was there all along.
    let gap = until_heard(
        &moved,
        &sessions_sent(&sent, before_redis, back),
        Duration::from_secs(2),
    )
    .await;
    report.push(format!(
        "Redis restarted: updates reached subscribers again after {} ms; a subscriber connected throughout missed {} of the sessions projected meanwhile (each one's next change brings it); {events} events stored once, figures equal",
        (back - before_redis).as_millis(),
        gap.len()
    ));

    stop.store(true, Ordering::Relaxed);
    producing.await.unwrap_or_else(|e| panic!("{e}"));
    let (batches, longest_wait) = {
        let sent = sent.lock().unwrap_or_else(|e| e.into_inner());
        (sent.batches, sent.longest_wait)
    };
    let events = check("the end").await;
    let dead: i64 = primary
        .query_one("SELECT count(*) FROM dead_letters", &[])
        .await
        .map(|r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dead, 0, "no dead letters");
    report.push(format!(
        "producer: {batches} batches, {events} events acknowledged; the longest a batch waited for a server that took it: {} ms",
        longest_wait.as_millis()
    ));
    for line in report {
        println!("cluster: {line}");
    }
    for listener in listeners.into_iter().chain(after_redis) {
        listener.abort();
    }
    drop(workers);
    drop(servers);
}
