//! A 90-day org overview over ≥ 1,000,000 events: answered from the
//! rollups (the GraphQL query, in process) next to the same figures
//! computed by scanning the raw events, in the same run.
//!
//!   cargo bench --bench overview [-- USERS]   (default 1020 users ≈ 1.01 M events)
//!
//! With `BENCH_AGENTS=1` the org's people use coding agents (model calls,
//! tools, code: about 350 users make 1 M events), and the overview's agent
//! sections — tokens and cache, code, waste, adoption, tools, cost by
//! agent — are timed too, uncached, beside the headline query.

mod common;

use std::time::Instant;

use agentmon_api::graphql::{self, Limits, RequestContext};
use agentmon_core::auth::{OrgScope, Principal, Role, UserPrincipal};
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_projectors::worker::{Worker, WorkerConfig};
use async_graphql::{Request, Variables};
use chrono::Duration;
use diesel_async::SimpleAsyncConnection;
use futures::StreamExt;
use serde_json::json;

const QUERY: &str = "query($org: String!, $from: Date!, $to: Date!) { org(slug: $org) { overview(range: {from: $from, to: $to}) { \
  kpis { activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate costUsd inputTokens outputTokens \
  avgRunsPerSession avgActiveTimeMs localHandoffRate postHandoffIterationRate durationP50Ms durationP95Ms durationP99Ms \
  errorsByCategory { category count } } daily { date kpis { runs costUsd activeUsers durationP95Ms } } topUsers { runs costUsd } } } }";

/// What the overview page asks beside the headline figures when the agents
/// send their telemetry: the agent, code and waste Kpis and daily points,
/// adoption, the tools, and the breakdown by agent.
const AGENTS_QUERY: &str = "query($org: String!, $from: Date!, $to: Date!) { org(slug: $org) { overview(range: {from: $from, to: $to}) { \
  kpis { modelCalls failedModelCalls cacheReadTokens cacheCreationTokens cacheHitRate toolCalls linesAdded linesRemoved commits \
  pullRequests costPerPullRequest costPerCommit failedRunCostUsd failedModelCallCostUsd noCodeCostUsd } \
  daily { date kpis { cacheReadTokens cacheCreationTokens cacheHitRate linesAdded linesRemoved } } \
  adoption { members activeMembers newUsers returningUsers monthly { activeUsers } } \
  tools(top: 10) { name calls failed accepted rejected durationP95Ms } \
  breakdown(by: AGENT) { rows { value sessions runs costUsd estimatedCostUsd } total { runs } } } } }";

/// The same headline figures straight from the events of the range.
const SCAN: &str = "
WITH ev AS (
  SELECT e.* FROM events e JOIN orgs o ON o.id = e.org_id
  WHERE o.slug = $1::text AND (e.occurred_at AT TIME ZONE o.timezone)::date BETWEEN $2::text::date AND $3::text::date),
finished AS (SELECT DISTINCT ON (run_id) * FROM ev WHERE event_type = 'RUN_FINISHED' ORDER BY run_id, occurred_at DESC)
SELECT (SELECT count(DISTINCT user_id) FROM ev) AS active_users,
       (SELECT count(DISTINCT session_id) FROM ev) AS sessions,
       count(*) AS runs,
       count(*) FILTER (WHERE payload->'run'->>'status' = 'SUCCEEDED') AS succeeded,
       count(*) FILTER (WHERE payload->'run'->>'status' = 'FAILED') AS failed,
       sum((payload->'run'->>'costUsd')::numeric) AS cost,
       sum((payload->'run'->>'inputTokens')::bigint) AS input_tokens,
       percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY (payload->'run'->>'durationMs')::bigint) AS p
FROM finished";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users = common::size_arg(1_020);
    let agents = std::env::var("BENCH_AGENTS").is_ok_and(|v| v == "1");
    let plan = Plan {
        orgs: 1,
        users,
        days: 90,
        prefix: "big".into(),
        coding_agents: Some(agents),
        ..Plan::default()
    };
    let bench = common::start("bench-overview", &plan).await?;
    let slug = plan.orgs()[0].slug.clone();
    // Broken down by repo as well as by model, from the first projection.
    bench
        .db
        .owner()
        .await?
        .batch_execute("UPDATE orgs SET breakdown_keys = '{repo}'")
        .await?;

    let started = Instant::now();
    let chunks: Vec<Vec<_>> = {
        let mut all = Vec::new();
        let mut chunk = Vec::with_capacity(1_000);
        for e in plan.events() {
            chunk.push(e);
            if chunk.len() == 1_000 {
                all.push(std::mem::take(&mut chunk));
            }
        }
        all.push(chunk);
        all
    };
    let total: usize = chunks.iter().map(Vec::len).sum();
    let db = bench.db.clone();
    let results: Vec<anyhow::Result<usize>> = futures::stream::iter(chunks)
        .map(|chunk| {
            let db = db.clone();
            async move {
                Ok(ingest(&db, &OrgScope::All, &chunk, chrono::Utc::now())
                    .await?
                    .accepted)
            }
        })
        .buffer_unordered(3)
        .collect()
        .await;
    let accepted: usize = results.into_iter().sum::<anyhow::Result<usize>>()?;
    println!(
        "overview benchmark: {accepted} of {total} events ingested in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let worker = Worker::new(
        db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    );
    let projected = worker.drain().await?;
    let projected_at = Instant::now();
    println!(
        "  projected {projected} events in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    db.owner().await?.batch_execute("VACUUM ANALYZE").await?;

    let to = plan.until.date_naive();
    let from = to - Duration::days(89);
    let vars = json!({ "org": slug, "from": from.to_string(), "to": to.to_string() });
    let schema = graphql::build(
        Some(graphql::Services::local(db.clone(), common::keys())),
        Limits::default(),
    );
    let viewer = Principal::User(UserPrincipal {
        sub: "bench".into(),
        role: Role::SuperAdmin,
        org: None,
    });
    let mut owner = db.owner().await?;
    // Each run as after a projection: the cache cannot answer, the rollups must.
    let mut uncached = async |query: &str| -> anyhow::Result<Vec<f64>> {
        let mut ms = Vec::new();
        for _ in 0..21 {
            owner
                .batch_execute("UPDATE orgs SET projection_epoch = projection_epoch + 1")
                .await?;
            let request = Request::new(query)
                .variables(Variables::from_json(vars.clone()))
                .data(RequestContext::new(Some(viewer.clone()), "bench".into()));
            let started = Instant::now();
            let response = schema.execute(request).await;
            ms.push(started.elapsed().as_secs_f64() * 1_000.0);
            anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
        }
        Ok(ms)
    };
    let rollup_ms = uncached(QUERY).await?;
    let agents_ms = if agents {
        Some(uncached(AGENTS_QUERY).await?)
    } else {
        None
    };

    let (client, connection) = tokio_postgres::connect(&bench.url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let mut scan_ms = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let row = client
            .query_one(SCAN, &[&slug, &from.to_string(), &to.to_string()])
            .await?;
        scan_ms.push(started.elapsed().as_secs_f64() * 1_000.0);
        let runs: i64 = row.get("runs");
        anyhow::ensure!(runs > 0);
    }
    let (rollup, scan) = (
        common::percentile(&rollup_ms, 0.5),
        common::percentile(&scan_ms, 0.5),
    );
    println!("  90-day overview from rollups (GraphQL, kpis + 90 daily points + topUsers, uncached): median {rollup:.1} ms, p95 {:.1} ms", common::percentile(&rollup_ms, 0.95));
    println!("  the same headline figures scanning raw events:                             median {scan:.0} ms");
    println!("  rollups answer {:.0}× faster", scan / rollup);
    if let Some(ms) = agents_ms {
        let a = common::percentile(&ms, 0.5);
        println!("  the overview's agent sections (tokens, cache, code, waste per day; adoption; tools; cost by agent), uncached: median {a:.1} ms, p95 {:.1} ms ({:.2}× the headline query, {:.0}× faster than the scan)", common::percentile(&ms, 0.95), a / rollup, scan / a);
    }

    // Eleven runs of a query (no figure below is cached): the milliseconds
    // of each.
    let timed = |query: String, vars: serde_json::Value| {
        let (schema, viewer, db) = (schema.clone(), viewer.clone(), db.clone());
        async move {
            let mut ms = Vec::new();
            for _ in 0..11 {
                let request = Request::new(query.clone())
                    .variables(Variables::from_json(vars.clone()))
                    .data(RequestContext::new(Some(viewer.clone()), "bench".into()))
                    .data(graphql::loaders::Loaders::new(&db));
                let started = Instant::now();
                let response = schema.execute(request).await;
                ms.push(started.elapsed().as_secs_f64() * 1_000.0);
                anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
            }
            Ok(ms)
        }
    };

    // Breakdowns: cost, runs and success rate by model and by repo.
    let mut breakdown_ms = Vec::new();
    for by in ["MODEL", "ATTRIBUTE"] {
        let query = format!(
            "query($org: String!, $from: Date!, $to: Date!) {{ org(slug: $org) {{ overview(range: {{from: $from, to: $to}}) {{ \
             breakdown(by: {by}{}, top: 10) {{ rows {{ value runs successRate costUsd }} other {{ runs costUsd }} total {{ runs }} }} }} }} }}",
            if by == "ATTRIBUTE" { ", key: \"repo\"" } else { "" }
        );
        breakdown_ms.extend(timed(query, vars.clone()).await?);
    }
    const SCAN_BY_MODEL: &str = "
      WITH ev AS (
        SELECT e.* FROM events e JOIN orgs o ON o.id = e.org_id
        WHERE o.slug = $1::text AND (e.occurred_at AT TIME ZONE o.timezone)::date BETWEEN $2::text::date AND $3::text::date),
      finished AS (SELECT DISTINCT ON (run_id) * FROM ev WHERE event_type = 'RUN_FINISHED' ORDER BY run_id, occurred_at DESC),
      models AS (SELECT DISTINCT ON (run_id) run_id, payload->'run'->>'model' AS model FROM events e JOIN orgs o ON o.id = e.org_id
                 WHERE o.slug = $1::text AND event_type = 'RUN_STARTED' ORDER BY run_id, occurred_at)
      SELECT coalesce(coalesce(f.payload->'run'->>'model', m.model), '(none)') AS model, count(*) AS runs,
             sum((f.payload->'run'->>'costUsd')::numeric) AS cost
      FROM finished f LEFT JOIN models m USING (run_id) GROUP BY 1 ORDER BY cost DESC";
    let mut scan_model_ms = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let rows = client
            .query(SCAN_BY_MODEL, &[&slug, &from.to_string(), &to.to_string()])
            .await?;
        scan_model_ms.push(started.elapsed().as_secs_f64() * 1_000.0);
        anyhow::ensure!(!rows.is_empty());
    }
    let (b, s) = (
        common::percentile(&breakdown_ms, 0.5),
        common::percentile(&scan_model_ms, 0.5),
    );
    println!("  90-day breakdown by model / by repo from rollups (GraphQL, uncached): median {b:.1} ms, p95 {:.1} ms", common::percentile(&breakdown_ms, 0.95));
    println!("  runs and cost by model scanning raw events:                        median {s:.0} ms ({:.0}× slower)", s / b);

    // The sessions page: 25 sessions active in the range with their titles,
    // latest activity first (the default walk) against ordered by cost.
    let range = json!({ "from": format!("{from}T00:00:00Z"), "to": format!("{}T00:00:00Z", to + Duration::days(1)) });
    let page = |order: &str| {
        format!(
            "query($org: String!, $range: TimeRange!) {{ org(slug: $org) {{ sessions(filter: {{range: $range}}, first: 25{order}) {{ \
             totalCount edges {{ node {{ id title costUsd runCount user {{ id name }} }} }} }} }} }}"
        )
    };
    let vars = json!({ "org": slug, "range": range });
    // The default walk places a session projected in the last minute by its
    // events (a projection may still be in flight): right after the whole
    // org was projected, that is every session. Measured a minute later.
    let settled = std::time::Duration::from_secs(61);
    tokio::time::sleep(settled.saturating_sub(projected_at.elapsed())).await;
    let latest = common::percentile(&timed(page(""), vars.clone()).await?, 0.5);
    let by_cost = common::percentile(&timed(page(", orderBy: {field: COST}"), vars).await?, 0.5);
    println!("  90-day sessions page (25 rows, titles, totalCount), latest activity first: median {latest:.1} ms");
    println!("  the same ordered by cost:                                                median {by_cost:.1} ms ({:.1}× the default)", by_cost / latest);
    Ok(())
}
