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

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentmon_core::bus::{Bus, Change};
use agentmon_core::storage::db::embedded::free_port;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::live::LiveClient;
use crate::harness::process::{agentmon, post, succeeded};
use crate::harness::redis::TestRedis;
use crate::harness::replication::Replicated;
use crate::harness::{event, METRICS_TOKEN, SECRET};

/// A process of the cluster that can be killed and started again.
struct Node {
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Node {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Node {
        let mut node = Node {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
        };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = agentmon(&args);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        self.child = Some(
            command
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        if let Some(child) = &self.child {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal);
        }
    }

    /// SIGKILL: no shutdown of its own.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

async fn ready(addr: &str) {
    let end = Instant::now() + Duration::from_secs(60);
    while !reqwest::get(format!("http://{addr}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < end, "{addr} never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the producer had acknowledged: each event's session and cost, with
/// when its batch was first sent; and the longest time a batch waited for
/// a server that would take it.
#[derive(Default)]
struct Sent {
    events: BTreeMap<String, (String, Decimal, Instant)>,
    longest_wait: Duration,
    batches: usize,
}

const INGEST: &str =
    "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted duplicates } }";

/// Sends batches of five finished runs, each its own session, to the two
/// servers in turn, every 40 ms, until `stop`; a batch a server does not
/// take is sent again (the same event ids) to the other until one does.
fn produce(
    servers: [String; 2],
    token: String,
    sent: Arc<Mutex<Sent>>,
    gate: Arc<tokio::sync::Mutex<()>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut k = 0usize;
        while !stop.load(Ordering::Relaxed) {
            // Held for the whole batch: a checkpoint waits for it.
            let _turn = gate.lock().await;
            let batch: Vec<(String, String, Decimal, Value)> = (0..5)
                .map(|j| {
                    let id = uuid::Uuid::new_v4();
                    let session = format!("s-{k}-{j}");
                    let cost = Decimal::new(((k * 5 + j) % 97 + 3) as i64, 2);
                    let at = format!("2026-11-15T10:{:02}:{:02}Z", (k / 60) % 60, k % 60);
                    let body = event("acme", "RUN_FINISHED")
                        .id(id)
                        .user(&format!("u{}", j % 4))
                        .session(&session)
                        .run(&format!("r-{k}-{j}"))
                        .at(at.parse().unwrap_or_else(|e| panic!("{e}")))
                        .set(
                            "run",
                            json!({ "status": "SUCCEEDED", "costUsd": cost.to_string() }),
                        )
                        .build();
                    (id.to_string(), session, cost, body)
                })
                .collect();
            let events: Vec<&Value> = batch.iter().map(|b| &b.3).collect();
            let first = Instant::now();
            let mut attempt = 0usize;
            loop {
                let server = &servers[(k + attempt) % 2];
                let answer = client
                    .post(format!("http://{server}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": INGEST, "variables": { "e": events } }))
                    .send()
                    .await;
                let taken = match answer {
                    Ok(r) => r.json::<Value>().await.ok().is_some_and(|body| {
                        let n = &body["data"]["ingestEvents"];
                        n["accepted"].as_u64().unwrap_or(0) + n["duplicates"].as_u64().unwrap_or(0)
                            == batch.len() as u64
                    }),
                    Err(_) => false,
                };
                if taken {
                    break;
                }
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            {
                let mut sent = sent.lock().unwrap_or_else(|e| e.into_inner());
                sent.longest_wait = sent.longest_wait.max(first.elapsed());
                sent.batches += 1;
                for (id, session, cost, _) in batch {
                    sent.events.insert(id, (session, cost, first));
                }
            }
            k += 1;
            drop(_turn);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    })
}

/// A subscriber to every session update of acme on `addr`, recording the
/// sessions it hears of; subscribed (a probe answered) when this returns.
async fn listen(
    addr: &str,
    token: &str,
    bus: &Bus,
    acme: uuid::Uuid,
    heard: Arc<Mutex<BTreeSet<String>>>,
) -> tokio::task::JoinHandle<()> {
    let mut client = LiveClient::signed_in(addr, token).await;
    client
        .subscribe(
            "1",
            "subscription { sessionUpdated(org: \"acme\") { session { id } } }",
            json!({}),
        )
        .await;
    let probe = Change {
        id: uuid::Uuid::new_v4(),
        orgs: vec![acme],
        sessions: vec![(acme, "s-0-0".to_string())],
        ..Default::default()
    };
    client.probe(bus, &probe).await;
    tokio::spawn(async move {
        loop {
            match client.next(Duration::from_secs(3600)).await {
                Some(message) => {
                    if let Some(id) =
                        message["payload"]["data"]["sessionUpdated"]["session"]["id"].as_str()
                    {
                        heard
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(id.to_string());
                    }
                }
                None => return,
            }
        }
    })
}

/// The sessions of batches first sent within `from..to`.
fn sessions_sent(sent: &Mutex<Sent>, from: Instant, to: Instant) -> BTreeSet<String> {
    let sent = sent.lock().unwrap_or_else(|e| e.into_inner());
    sent.events
        .values()
        .filter(|(_, _, at)| from < *at && *at < to)
        .map(|(session, _, _)| session.clone())
        .collect()
}

/// Waits until `heard` holds every session of `expected`; the ones missing after `wait` otherwise.
async fn until_heard(
    heard: &Mutex<BTreeSet<String>>,
    expected: &BTreeSet<String>,
    wait: Duration,
) -> Vec<String> {
    let end = Instant::now() + wait;
    loop {
        let missing: Vec<String> = {
            let heard = heard.lock().unwrap_or_else(|e| e.into_inner());
            expected.difference(&heard).cloned().collect()
        };
        if missing.is_empty() || Instant::now() > end {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With the producer held between two batches: every acknowledged event
/// is stored once (and nothing else is), and both servers answer the
/// figures computed from them once projected and replayed. The number of
/// events acknowledged so far.
async fn checkpoint(
    after: &str,
    gate: &tokio::sync::Mutex<()>,
    sent: &Mutex<Sent>,
    primary: &tokio_postgres::Client,
    acme: uuid::Uuid,
    addrs: &[String; 2],
    admin: &str,
) -> usize {
    // The producer holds the gate for one batch at most (or has stopped).
    let _held = tokio::time::timeout(Duration::from_secs(60), gate.lock())
        .await
        .unwrap_or_else(|_| {
            panic!("after {after}: the producer held its batch for a minute (no server took it)")
        });
    let (runs, cost, ids) = {
        let sent = sent.lock().unwrap_or_else(|e| e.into_inner());
        (
            sent.events.len() as i64,
            sent.events.values().map(|(_, c, _)| *c).sum::<Decimal>(),
            sent.events.keys().cloned().collect::<BTreeSet<String>>(),
        )
    };
    let stored: Vec<String> = primary
        .query(
            "SELECT event_id::text FROM events WHERE org_id = $1::text::uuid",
            &[&acme.to_string()],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        stored.len(),
        ids.len(),
        "after {after}: each acknowledged event stored once"
    );
    assert_eq!(
        stored.into_iter().collect::<BTreeSet<_>>(),
        ids,
        "after {after}"
    );
    for addr in addrs {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let got = figures(addr, admin).await;
            if got.as_ref().ok() == Some(&(runs, runs, cost)) {
                break;
            }
            assert!(
                Instant::now() < end,
                "after {after}, {addr}: {got:?}; the events give {runs} runs and sessions, ${cost}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    ids.len()
}

/// Whether the server at `addr` reads from the replica `name` now (`/metrics`).
async fn replica_in_use(addr: &str, name: &str) -> bool {
    let text = match reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return false,
    };
    text.lines().any(|l| {
        l.starts_with("agentmon_db_replica_in_use") && l.contains(name) && l.ends_with(" 1")
    })
}

const FIGURES: &str = "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-15\", to: \"2026-11-15\"}) { kpis { runs sessions costUsd } } } }";

async fn figures(addr: &str, token: &str) -> Result<(i64, i64, Decimal), String> {
    let body = post(&format!("http://{addr}"), token, FIGURES, json!({})).await;
    if !body["errors"].is_null() {
        return Err(body.to_string());
    }
    let k = &body["data"]["org"]["overview"]["kpis"];
    Ok((
        k["runs"].as_i64().unwrap_or(-1),
        k["sessions"].as_i64().unwrap_or(-1),
        k["costUsd"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or_default(),
    ))
}

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
