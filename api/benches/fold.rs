//! The cost of folding a session from all its events: one session of N
//! events (default 100,000) fed in 50-event calls, each call projected
//! before the next, against the same N events in the plan's short sessions,
//! fed and projected the same way, in the same run.
//!
//!   cargo bench --bench fold [-- EVENTS]   (default 100000)

mod common;

use std::time::Instant;

use agentmon_core::auth::OrgScope;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_projectors::worker::{Worker, WorkerConfig};

const CALL: usize = 50;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = common::size_arg(100_000);
    let plan = Plan {
        orgs: 1,
        users: 120,
        days: 90,
        ..Plan::default()
    };
    let bench = common::start("bench-fold", &plan).await?;
    let short: Vec<EventInput> = plan.events().take(n).collect();
    anyhow::ensure!(
        short.len() == n,
        "the plan makes only {} events",
        short.len()
    );
    let long: Vec<EventInput> = short
        .iter()
        .map(|e| EventInput {
            event_id: uuid::Uuid::new_v4(),
            session_id: "one-long-session".into(),
            user_id: "u-long".into(),
            run_id: e.run_id.as_ref().map(|r| format!("long-{r}")),
            ..e.clone()
        })
        .collect();
    let sessions = short
        .iter()
        .map(|e| e.session_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    println!("fold benchmark: {n} events in {CALL}-event calls, each projected before the next; embedded PostgreSQL");

    let worker = Worker::new(
        bench.db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    );
    let short_rate = feed(&bench, &worker, &short).await?;
    println!(
        "  {sessions} short sessions (about {} events each): {short_rate:>9.0} events/s",
        n / sessions.max(1)
    );
    let long_rate = feed(&bench, &worker, &long).await?;
    println!("  one session of {n} events:        {long_rate:>9.0} events/s");
    println!(
        "  one long session vs short sessions: {:.3}x the rate ({:.0}x slower)",
        long_rate / short_rate,
        short_rate / long_rate
    );
    Ok(())
}

/// Ingests `events` in calls of `CALL`, projecting after each; events/s.
async fn feed(
    bench: &common::Bench,
    worker: &Worker,
    events: &[EventInput],
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    for (i, call) in events.chunks(CALL).enumerate() {
        let outcome = ingest(&bench.db, &OrgScope::All, call, chrono::Utc::now()).await?;
        anyhow::ensure!(
            outcome.rejected.is_empty(),
            "rejected: {:?}",
            outcome.rejected.first()
        );
        worker.drain().await?;
        if last_report.elapsed().as_secs() >= 30 {
            eprintln!("    … {} of {} events", (i + 1) * CALL, events.len());
            last_report = Instant::now();
        }
    }
    Ok(events.len() as f64 / started.elapsed().as_secs_f64())
}
