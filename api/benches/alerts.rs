//! What alert rules cost the worker: one worker projects batches of an
//! org's events with no rule, then the same kind of batches with RULES
//! rules in the org (budgets and thresholds per user, the org's hourly,
//! weekly and monthly figures, silence and dead letters), each round
//! followed by the evaluation of the org's rules, as the worker runs it;
//! then the evaluation alone. Reported as the ratio of a batch with rules
//! to a batch without, measured in the same run.
//!
//!   cargo bench --bench alerts [-- EVENTS RULES]   (default 40000 1000)

mod common;

use std::time::Instant;

use agentmon_core::auth::OrgScope;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_core::storage::models::alert_rule::{self, RuleInput};
use agentmon_core::storage::models::org;
use agentmon_projectors::worker::{Worker, WorkerConfig};

/// Milliseconds of each round of `worker` until the queue is empty.
async fn rounds(worker: &Worker) -> anyhow::Result<Vec<f64>> {
    let mut took = Vec::new();
    loop {
        let started = Instant::now();
        let round = worker.round().await?;
        if round.projected + round.failed == 0 {
            return Ok(took);
        }
        took.push(started.elapsed().as_secs_f64() * 1e3);
    }
}

async fn send(bench: &common::Bench, events: &[EventInput]) -> anyhow::Result<()> {
    for chunk in events.chunks(1_000) {
        let outcome = ingest(&bench.db, &OrgScope::All, chunk, chrono::Utc::now()).await?;
        anyhow::ensure!(outcome.accepted == chunk.len(), "events rejected");
    }
    Ok(())
}

/// `n` rules of the org: for each user in turn a daily and a monthly
/// budget, runs per week, a daily success rate and failed runs per day;
/// a few of the org's own (hourly cost, silence, dead letters).
fn rules(n: usize, users: usize) -> Vec<RuleInput> {
    let kinds: [(&'static str, &'static str, &'static str, f64, Option<f64>); 5] = [
        ("COST_USD", "DAY", "ABOVE", 50.0, Some(0.85)),
        ("COST_USD", "MONTH", "ABOVE", 500.0, Some(0.85)),
        ("RUNS", "WEEK", "ABOVE", 400.0, None),
        ("SUCCESS_RATE", "DAY", "BELOW", 0.8, None),
        ("FAILED_RUNS", "DAY", "ABOVE", 20.0, None),
    ];
    let org_rules: [(&'static str, &'static str); 3] = [
        ("COST_USD", "HOUR"),
        ("SILENCE_MINUTES", "DAY"),
        ("DEAD_LETTERS", "DAY"),
    ];
    (0..n)
        .map(|i| {
            if i < org_rules.len() {
                let (metric, window) = org_rules[i];
                return RuleInput {
                    name: format!("org {metric} {window}"),
                    metric,
                    window,
                    comparison: "ABOVE",
                    threshold: 100.0,
                    warn_at: None,
                    team_id: None,
                    user_id: None,
                    channel_ids: Vec::new(),
                    enabled: true,
                };
            }
            let (metric, window, comparison, threshold, warn_at) = kinds[i % kinds.len()];
            let user = format!("user-{:03}", (i / kinds.len()) % users + 1);
            RuleInput {
                name: format!("{user} {metric} {window}"),
                metric,
                window,
                comparison,
                threshold,
                warn_at,
                team_id: None,
                user_id: Some(user),
                channel_ids: Vec::new(),
                enabled: true,
            }
        })
        .collect()
}

fn summary(label: &str, ms: &[f64]) -> f64 {
    let median = common::percentile(ms, 0.5);
    println!(
        "  {label}: {} rounds, median {median:.1} ms, p95 {:.1} ms",
        ms.len(),
        common::percentile(ms, 0.95)
    );
    median
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let events = args.as_slice().first().copied().unwrap_or(40_000);
    let n_rules = args.get(1).copied().unwrap_or(1_000);
    let plan = Plan {
        orgs: 1,
        users: 200,
        days: 60,
        prefix: "alerts".into(),
        ..Plan::default()
    };
    let bench = common::start("bench-alerts", &plan).await?;
    let all: Vec<EventInput> = plan.events().take(events * 2).collect();
    anyhow::ensure!(
        all.len() == events * 2,
        "the plan makes {} events",
        all.len()
    );
    let (before, after) = all.split_at(events);
    println!(
        "alerts benchmark: {events} events in batches of 1,000 without rules, then {events} with {n_rules} rules; embedded PostgreSQL"
    );
    let worker = Worker::new(
        bench.db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    );

    send(&bench, before).await?;
    let without = rounds(&worker).await?;

    let mut conn = bench.db.owner().await?;
    let org = org::by_slug(&mut conn, "alerts-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no org alerts-1"))?;
    for input in rules(n_rules, plan.users) {
        alert_rule::create(&mut conn, org.id, &input, "bench").await?;
    }
    drop(conn);

    send(&bench, after).await?;
    let with = rounds(&worker).await?;

    let mut alone = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        agentmon_projectors::alerts::evaluate_orgs(&bench.db, None, chrono::Utc::now()).await?;
        alone.push(started.elapsed().as_secs_f64() * 1e3);
    }

    println!("projecting a batch of 1,000 events, then evaluating the org's rules:");
    let base = summary("no rule", &without);
    let ruled = summary(&format!("{n_rules} rules"), &with);
    let evaluation = summary(&format!("evaluating {n_rules} rules alone"), &alone);
    println!(
        "a batch with {n_rules} rules takes {:.2}× a batch without; evaluation alone is {:.2}× a batch without rules",
        ruled / base,
        evaluation / base
    );
    Ok(())
}
