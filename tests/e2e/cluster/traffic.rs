//! The cluster's load: a producer sending to both API servers, subscribers
//! recording what they hear, and the checkpoints that compare what was
//! acknowledged with what is stored and answered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentmon_core::bus::{Bus, Change};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::event;
use crate::harness::live::LiveClient;

use super::node::figures;

/// What the producer had acknowledged: each event's session and cost, with
/// when its batch was first sent; and the longest time a batch waited for
/// a server that would take it.
#[derive(Default)]
pub(super) struct Sent {
    pub(super) events: BTreeMap<String, (String, Decimal, Instant)>,
    pub(super) longest_wait: Duration,
    pub(super) batches: usize,
}

pub(super) const INGEST: &str =
    "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted duplicates } }";

/// Sends batches of five finished runs, each its own session, to the two
/// servers in turn, every 40 ms, until `stop`; a batch a server does not
/// take is sent again (the same event ids) to the other until one does.
pub(super) fn produce(
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
pub(super) async fn listen(
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
pub(super) fn sessions_sent(sent: &Mutex<Sent>, from: Instant, to: Instant) -> BTreeSet<String> {
    let sent = sent.lock().unwrap_or_else(|e| e.into_inner());
    sent.events
        .values()
        .filter(|(_, _, at)| from < *at && *at < to)
        .map(|(session, _, _)| session.clone())
        .collect()
}

/// Waits until `heard` holds every session of `expected`; the ones missing after `wait` otherwise.
pub(super) async fn until_heard(
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
pub(super) async fn checkpoint(
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
