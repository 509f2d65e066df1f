//! Ingest throughput: generated traffic sent as 1,000-event `ingestEvents`
//! calls over HTTP to a real server, with a producer JWT and with an API
//! key, 1 and 4 clients, against the raw PostgreSQL COPY rate of the same
//! rows into the same table, measured in the same run.
//!
//! Then whether projection keeps up: the backlog those calls left drained
//! by WORKERS workers, and 4 clients sending at full speed while they
//! project, with each call's lag from its commit to projected.
//!
//!   cargo bench --bench ingest [-- EVENTS [WORKERS]]  (default 100000: half with 1 client, half with 4;
//!                                                    the calls alternate between the JWT and the key;
//!                                                    then EVENTS / 2 with 2 workers projecting)

mod common;

use std::time::{Duration, Instant};

use agentmon_api::graphql::{self, Limits};
use agentmon_api::AppState;
use agentmon_core::auth::MintRequest;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_projectors::worker::{Worker, WorkerConfig};
use common::cpu::Cpu;
use common::projected::{self, projected_total};
use futures::StreamExt;
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let total = args.first().copied().unwrap_or(100_000);
    let workers = args.get(1).copied().unwrap_or(2).max(1);
    let plan = Plan {
        orgs: 4,
        users: 80,
        days: 60,
        ..Plan::default()
    };
    let common::Bench { pg, url, db } = common::start("bench-ingest", &plan).await?;
    let events: Vec<EventInput> = plan.events().take(total * 2 + total / 2).collect();
    anyhow::ensure!(
        events.len() >= total * 2 + total / 2,
        "the plan makes only {} events",
        events.len()
    );
    let (first_half, rest) = events.split_at(total);
    let (second_half, keeping_up) = rest.split_at(total);

    let auth = common::authenticator();
    let token = auth.mint(
        &MintRequest::Ingest {
            orgs: vec!["*".into()],
        },
        std::time::Duration::from_secs(3600),
    )?;
    let keys = common::keys();
    let secret = keys.generate();
    {
        let mut conn = db.owner().await?;
        agentmon_core::storage::models::api_key::create(
            &mut conn,
            &agentmon_core::storage::models::api_key::NewKey {
                org_id: None,
                name: "bench",
                prefix: &secret.prefix,
                hash: &secret.hash,
                created_by: "bench",
            },
        )
        .await?;
    }
    let services = graphql::Services {
        keys,
        ..graphql::Services::local(db.clone(), common::keys())
    };
    let state = AppState::new(
        &services,
        graphql::build(Some(services.clone()), Limits::default()),
        auth,
    );
    let endpoint = format!("http://{}/graphql", common::serve(state).await?);

    println!("ingest benchmark: {total} events per measurement, 1,000-event calls, embedded PostgreSQL 127.0.0.1:{}", pg.port());
    let (one, four) = first_half.split_at(total / 2);
    let tokens = [token.as_str(), secret.secret.as_str()];
    let (jwt_1, key_1) = match send(&endpoint, &tokens, one, 1).await?.0[..] {
        [jwt, key] => (jwt, key),
        _ => anyhow::bail!("two tokens, two rates"),
    };
    let cluster = common::cluster_dir("bench-ingest");
    let cpu = Cpu::now(&cluster)?;
    let (jwt_4, key_4) = match send(&endpoint, &tokens, four, 4).await?.0[..] {
        [jwt, key] => (jwt, key),
        _ => anyhow::bail!("two tokens, two rates"),
    };
    let ingest_cpu = Cpu::now(&cluster)? - cpu;
    let copy = common::copy_rate(&url, second_half).await?;
    for (what, rate) in [
        ("ingestEvents, JWT, 1 client ", jwt_1),
        ("ingestEvents, key, 1 client ", key_1),
        ("ingestEvents, JWT, 4 clients", jwt_4),
        ("ingestEvents, key, 4 clients", key_4),
    ] {
        println!("  {what} {rate:>9.0} events/s  ({:.2}× COPY)", rate / copy);
    }
    println!(
        "  API key vs JWT: {:.2}× (1 client), {:.2}× (4 clients)",
        key_1 / jwt_1,
        key_4 / jwt_4
    );
    println!("  COPY into events (baseline) {:>9.0} rows/s", copy);
    println!("  ingest, 4 clients: {}", ingest_cpu.per_event(four.len()));

    // The backlog of the calls above, drained by the workers at once.
    let new_worker = || {
        Worker::new(
            db.clone(),
            &url,
            agentmon_projectors::registry(),
            WorkerConfig::default(),
        )
    };
    let started = Instant::now();
    let cpu = Cpu::now(&cluster)?;
    let drained: usize =
        futures::future::try_join_all((0..workers).map(|_| async { new_worker().drain().await }))
            .await?
            .into_iter()
            .sum();
    let drain_rate = drained as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(drained == total, "drained {drained} of {total}");
    println!(
        "  projection, {workers} worker(s) draining those {total} events {drain_rate:>9.0} events/s  ({:.2}× COPY)",
        drain_rate / copy
    );
    println!(
        "  projection: {}",
        (Cpu::now(&cluster)? - cpu).per_event(drained)
    );

    // 4 clients at full speed while the workers project.
    let stop = CancellationToken::new();
    let running: Vec<_> = (0..workers)
        .map(|_| {
            let (worker, stop) = (new_worker(), stop.clone());
            tokio::spawn(async move { worker.run(stop).await })
        })
        .collect();
    let before = projected_total(&db).await?;
    let sampling = CancellationToken::new();
    let sampler = tokio::spawn(projected::sample(db.clone(), sampling.clone()));
    let cpu = Cpu::now(&cluster)?;
    let (rates, calls) = send(&endpoint, &tokens[..1], keeping_up, 4).await?;
    let last_call = Instant::now();
    let sent = before + keeping_up.len() as i64;
    while projected_total(&db).await? < sent {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let caught_up = last_call.elapsed().as_secs_f64();
    let both_cpu = Cpu::now(&cluster)? - cpu;
    sampling.cancel();
    let mut samples = sampler.await??;
    samples.push((Instant::now(), projected_total(&db).await?));
    stop.cancel();
    for worker in running {
        worker.await??;
    }
    let commits: Vec<(i64, Instant)> = calls
        .iter()
        .scan(before, |sum, (n, at)| {
            *sum += *n as i64;
            Some((*sum, *at))
        })
        .collect();
    let lags = projected::lags(&commits, &samples)?;
    println!(
        "  ingestEvents, JWT, 4 clients, {workers} worker(s) projecting {:>9.0} events/s  ({:.2}× COPY); \
         lag commit → projected p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} calls); all projected {caught_up:.1} s after the last call",
        rates[0],
        rates[0] / copy,
        common::percentile(&lags, 0.5),
        common::percentile(&lags, 0.95),
        common::percentile(&lags, 1.0),
        lags.len()
    );
    println!(
        "  ingest and projection together: {}",
        both_cpu.per_event(keeping_up.len())
    );
    // What the machine allows at that cost: every core busy with nothing
    // else, every event ingested and projected.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ceiling = cores as f64 / both_cpu.total() * keeping_up.len() as f64;
    println!(
        "  at that CPU per event, {cores} core(s) ingest and project at most {ceiling:.0} events/s ({:.2}× COPY)",
        ceiling / copy
    );
    drop(db);
    drop(pg);
    Ok(())
}

/// Sends `events` in 1,000-event calls over `clients` connections, the
/// calls taking turns between the `tokens`; events/s for each token, from
/// the time its own calls took (so that a table growing during the run
/// weighs on every token alike), and each call's events and answer time in
/// the order they were answered.
async fn send(
    endpoint: &str,
    tokens: &[&str],
    events: &[EventInput],
    clients: usize,
) -> anyhow::Result<(Vec<f64>, Vec<(usize, Instant)>)> {
    let client = reqwest::Client::new();
    let query = "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted duplicates rejected { index code message } } }";
    let calls: Vec<(usize, String)> = events
        .chunks(1_000)
        .enumerate()
        .map(|(i, chunk)| {
            let body = json!({ "query": query, "variables": { "e": chunk } }).to_string();
            (i % tokens.len(), body)
        })
        .collect();
    let results: Vec<anyhow::Result<(usize, usize, f64, Instant)>> = futures::stream::iter(calls)
        .map(|(which, body)| {
            let client = client.clone();
            let token = tokens[which];
            async move {
                let started = Instant::now();
                let response: serde_json::Value = client
                    .post(endpoint)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?
                    .json()
                    .await?;
                let took = started.elapsed().as_secs_f64();
                let answered = Instant::now();
                let accepted = response["data"]["ingestEvents"]["accepted"]
                    .as_u64()
                    .ok_or_else(|| anyhow::anyhow!("ingest failed: {response}"))?;
                anyhow::Ok((which, accepted as usize, took, answered))
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let mut per_token = vec![(0usize, 0f64); tokens.len()];
    let mut answers = Vec::with_capacity(results.len());
    for result in results {
        let (which, accepted, took, answered) = result?;
        per_token[which].0 += accepted;
        per_token[which].1 += took;
        answers.push((accepted, answered));
    }
    answers.sort_by_key(|(_, at)| *at);
    let total: usize = per_token.iter().map(|t| t.0).sum();
    anyhow::ensure!(
        total == events.len(),
        "accepted {total} of {}",
        events.len()
    );
    // Each token's share of the clients' time: events over its calls' time,
    // times the number of clients working at once.
    let rates = per_token
        .iter()
        .map(|(n, secs)| *n as f64 / secs * clients as f64)
        .collect();
    Ok((rates, answers))
}
