//! Projection throughput and freshness, in one run:
//! - ingest events/s (the ingest function, 1,000-event calls),
//! - projection events/s (one worker draining a backlog),
//! - lag from ingest commit to projected, p50/p95, under a sustained rate,
//!
//! each next to the raw COPY rate into the same table.
//!
//!   cargo bench --bench projection [-- BACKLOG RATE SECONDS]   (default 100000 2000 15)

mod common;

use std::time::{Duration, Instant};

use agentmon_core::auth::OrgScope;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_projectors::worker::{Worker, WorkerConfig};
use common::projected::{self, projected_total};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let backlog = args.as_slice().first().copied().unwrap_or(100_000);
    let rate = args.get(1).copied().unwrap_or(2_000);
    let seconds = args.get(2).copied().unwrap_or(15);
    let sustained = rate * seconds;

    let plan = Plan {
        orgs: 4,
        users: 80,
        days: 90,
        ..Plan::default()
    };
    let bench = common::start("bench-projection", &plan).await?;
    let all: Vec<EventInput> = plan.events().take(backlog * 2 + sustained).collect();
    anyhow::ensure!(
        all.len() == backlog * 2 + sustained,
        "the plan makes only {} events",
        all.len()
    );
    let (backlog_events, rest) = all.split_at(backlog);
    let (copy_events, sustained_events) = rest.split_at(backlog);
    println!("projection benchmark: backlog {backlog} events, then {rate} events/s for {seconds} s; embedded PostgreSQL");

    let copy = common::copy_rate(&bench.url, copy_events).await?;

    let started = Instant::now();
    for chunk in backlog_events.chunks(1_000) {
        let outcome = ingest(&bench.db, &OrgScope::All, chunk, chrono::Utc::now()).await?;
        anyhow::ensure!(
            outcome.accepted == chunk.len(),
            "rejected: {:?}",
            outcome.rejected.as_slice().first()
        );
    }
    let ingest_rate = backlog as f64 / started.elapsed().as_secs_f64();

    let worker = Worker::new(
        bench.db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    );
    let started = Instant::now();
    let projected = worker.drain().await?;
    let projection_rate = projected as f64 / started.elapsed().as_secs_f64();
    anyhow::ensure!(projected == backlog, "projected {projected} of {backlog}");

    let lags = sustained_lag(&bench, worker, sustained_events, rate).await?;

    println!("  COPY into events (baseline)   {copy:>9.0} rows/s");
    println!(
        "  ingest, 1,000-event calls     {ingest_rate:>9.0} events/s  ({:.2}× COPY)",
        ingest_rate / copy
    );
    println!(
        "  projection, one worker        {projection_rate:>9.0} events/s  ({:.2}× COPY)",
        projection_rate / copy
    );
    println!(
        "  lag commit → projected at {rate}/s: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} calls)",
        common::percentile(&lags, 0.5),
        common::percentile(&lags, 0.95),
        common::percentile(&lags, 1.0),
        lags.len()
    );
    Ok(())
}

/// Sends `events` at `rate` per second in calls every 50 ms while a worker
/// runs; returns, per call, the ms from its commit until the worker had
/// projected it (see [`projected::lags`]).
async fn sustained_lag(
    bench: &common::Bench,
    worker: Worker,
    events: &[EventInput],
    rate: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut sent = projected_total(&bench.db).await?;
    let stop = CancellationToken::new();
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    let sampling = CancellationToken::new();
    let sampler = tokio::spawn(projected::sample(bench.db.clone(), sampling.clone()));
    let per_call = (rate / 20).max(1);
    let mut commits: Vec<(i64, Instant)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    for chunk in events.chunks(per_call) {
        tick.tick().await;
        ingest(&bench.db, &OrgScope::All, chunk, chrono::Utc::now()).await?;
        sent += chunk.len() as i64;
        commits.push((sent, Instant::now()));
    }
    while projected_total(&bench.db).await? < sent {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sampling.cancel();
    let mut samples = sampler.await??;
    samples.push((Instant::now(), projected_total(&bench.db).await?));
    stop.cancel();
    running.await??;
    projected::lags(&commits, &samples)
}
