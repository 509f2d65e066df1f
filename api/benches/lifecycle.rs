//! The data lifecycle on an org of about 1,000,000 events (one calendar
//! month, four months back), each figure next to a baseline of the same run:
//!
//! 1. projection lag of another org while the big org is replayed as a job
//!    (against the lag with no replay running);
//! 2. erasure of one user holding about 100,000 of those events (against a
//!    bare `DELETE` of the same event rows, rolled back);
//! 3. a retention pass that removes the month: dropping its partition, and
//!    on a copy of the database deleting its rows one by one.
//!
//!   cargo bench --bench lifecycle [-- USERS]   (default 3,000 users + one heavy user ≈ 1.1 M events)

mod common;

use std::time::{Duration, Instant};

use agentmon_core::auth::OrgScope;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_core::storage::db::{Db, DbUrls, PoolSizes};
use agentmon_core::storage::models::job::{self, Kind, NewJob};
use agentmon_core::storage::models::{erasure, org};
use agentmon_projectors::jobs::JobRunner;
use agentmon_projectors::retention::{self, Reclaim};
use agentmon_projectors::worker::{Worker, WorkerConfig};
use chrono::{Datelike, TimeZone, Utc};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<i64> {
    let mut conn = db.owner().await?;
    Ok(diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await?
        .n)
}

async fn ingest_all(db: &Db, events: Vec<EventInput>) -> anyhow::Result<usize> {
    let chunks: Vec<Vec<EventInput>> = events.chunks(1_000).map(<[_]>::to_vec).collect();
    let results: Vec<anyhow::Result<usize>> = futures::stream::iter(chunks)
        .map(|chunk| {
            let db = db.clone();
            async move {
                Ok(ingest(&db, &OrgScope::All, &chunk, Utc::now())
                    .await?
                    .accepted)
            }
        })
        .buffer_unordered(3)
        .collect()
        .await;
    results.into_iter().sum()
}

/// Ingests one event of a new session of org `small` and waits until it is
/// projected; returns the lag.
async fn probe(db: &Db, n: usize) -> anyhow::Result<Duration> {
    let session = format!("probe-{n}");
    let event: EventInput = serde_json::from_value(serde_json::json!({
        "eventId": uuid::Uuid::new_v4(), "org": "small", "type": "SESSION_STARTED",
        "occurredAt": Utc::now().to_rfc3339(), "sessionId": session, "userId": "probe",
    }))?;
    let started = Instant::now();
    ingest(db, &OrgScope::All, &[event], Utc::now()).await?;
    let sql = format!("SELECT count(*) AS n FROM sessions WHERE session_id = '{session}'");
    while count(db, &sql).await? == 0 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "probe {n} never projected"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(started.elapsed())
}

fn ms(d: &[Duration]) -> Vec<f64> {
    d.iter().map(|d| d.as_secs_f64() * 1_000.0).collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Warnings and errors of the worker and the job runner, on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "warn,agentmon_projectors::retention=debug",
        ))
        .with_writer(std::io::stderr)
        .init();
    let users = common::size_arg(3_000);
    let four_back = Utc::now() - chrono::Months::new(4);
    let month = Utc
        .with_ymd_and_hms(four_back.year(), four_back.month(), 1, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("no month"))?;
    let until = month + chrono::Duration::days(27) + chrono::Duration::hours(20);
    let plan = Plan {
        orgs: 1,
        users,
        days: 27,
        until,
        prefix: "big".into(),
        ..Plan::default()
    };
    let heavy_plan = Plan {
        users: users / 9,
        seed: 7,
        ..plan.clone()
    };
    let bench = common::start("bench-lifecycle", &plan).await?;
    let db = bench.db.clone();
    let big = plan.orgs()[0].slug.clone();
    {
        let mut conn = db.owner().await?;
        org::create(
            &mut conn,
            &org::NewOrg {
                slug: "small".into(),
                name: "Small".into(),
                timezone: "UTC".into(),
            },
        )
        .await?;
    }
    let heavy: Vec<EventInput> = heavy_plan
        .events()
        .map(|mut e| {
            e.user_id = "heavy".into();
            e.session_id = format!("h-{}", e.session_id);
            e.run_id = e.run_id.map(|r| format!("h-{r}"));
            e
        })
        .collect();
    let mut events: Vec<EventInput> = plan.events().collect();
    let heavy_events = heavy.len();
    events.extend(heavy);
    let total = events.len();
    let started = Instant::now();
    let accepted = ingest_all(&db, events).await?;
    println!("lifecycle benchmark: {accepted} of {total} events ({heavy_events} of user `heavy`) in {}, ingested in {:.0} s",
        month.format("%Y-%m"), started.elapsed().as_secs_f64());
    let started = Instant::now();
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(20),
        ..WorkerConfig::default()
    };
    let projected = Worker::new(
        db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        config.clone(),
    )
    .drain()
    .await?;
    println!(
        "  projected {projected} events in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    db.owner().await?.batch_execute("VACUUM ANALYZE").await?;

    // 1. Projection lag of another org while the big org is replayed.
    let stop = CancellationToken::new();
    let worker = Worker::new(
        db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        config,
    );
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    let mut quiet = Vec::new();
    for n in 0..25 {
        quiet.push(probe(&db, n).await?);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let big_id = {
        let mut conn = db.owner().await?;
        org::by_slug(&mut conn, &big)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no org"))?
            .id
    };
    let queued = {
        let mut conn = db.owner().await?;
        job::create(
            &mut conn,
            NewJob {
                kind: Kind::Replay,
                org_id: Some(big_id),
                params: serde_json::json!({}),
                created_by: "bench",
                pause_now: false,
            },
        )
        .await?
    };
    let started = Instant::now();
    let mut busy = Vec::new();
    let mut n = 100;
    loop {
        let mut conn = db.owner().await?;
        let now = job::by_id(&mut conn, queued.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("job gone"))?;
        if !now.is_open() {
            anyhow::ensure!(now.status == "SUCCEEDED", "replay failed: {:?}", now.error);
            break;
        }
        drop(conn);
        busy.push(probe(&db, n).await?);
        n += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replay_s = started.elapsed().as_secs_f64();
    stop.cancel();
    running.await??;
    let (q, b) = (ms(&quiet), ms(&busy));
    println!("  replay of {big} ({projected} events) as a job: {replay_s:.0} s");
    println!(
        "  projection lag of another org, no replay:     p50 {:.0} ms, p95 {:.0} ms ({} probes)",
        common::percentile(&q, 0.5),
        common::percentile(&q, 0.95),
        q.len()
    );
    println!("  projection lag of another org, during replay: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} probes); p95 {:.1}× the quiet p95",
        common::percentile(&b, 0.5), common::percentile(&b, 0.95), b.iter().cloned().fold(0.0, f64::max), b.len(),
        common::percentile(&b, 0.95) / common::percentile(&q, 0.95).max(1e-9));

    // 2. Erasure of the heavy user, against a bare DELETE of their events.
    let heavy_rows = count(
        &db,
        "SELECT count(*) AS n FROM events WHERE user_id = 'heavy'",
    )
    .await?;
    let started = Instant::now();
    db.owner()
        .await?
        .batch_execute("BEGIN; DELETE FROM events WHERE user_id = 'heavy'; ROLLBACK;")
        .await?;
    let bare = started.elapsed().as_secs_f64();
    let started = Instant::now();
    {
        let mut conn = db.owner().await?;
        erasure::request(&mut conn, big_id, "heavy", "bench").await?;
    }
    JobRunner::new(db.clone(), &bench.url).drain().await?;
    let erased = started.elapsed().as_secs_f64();
    let receipt = {
        let mut conn = db.owner().await?;
        erasure::of_org(&mut conn, big_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no receipt"))?
    };
    anyhow::ensure!(
        receipt.completed_at.is_some(),
        "the erasure did not complete"
    );
    println!("  erasure of `heavy` ({} events, {} sessions, {} runs of {heavy_rows} stored): {erased:.1} s; a bare DELETE of the same event rows: {bare:.1} s ({:.1}×)",
        receipt.events, receipt.sessions, receipt.runs, erased / bare.max(1e-9));

    // 3. Retention: the month goes by partition drop, and on a copy by row deletes.
    let admin_url = bench.pg.url("postgres");
    drop(db);
    drop(bench.db);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    {
        let mut conn =
            <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
                &admin_url,
            )
            .await?;
        conn.batch_execute("DROP DATABASE IF EXISTS bench_copy")
            .await?;
        conn.batch_execute("CREATE DATABASE bench_copy TEMPLATE bench")
            .await?;
    }
    println!(
        "  (database copied for the row-delete pass in {:.0} s)",
        started.elapsed().as_secs_f64()
    );
    let sizes = PoolSizes {
        app: 2,
        worker: 2,
        owner: 4,
    };
    let mut passes = Vec::new();
    for (name, reclaim) in [
        ("bench_copy", Reclaim::DeleteRows),
        ("bench", Reclaim::DropPartitions),
    ] {
        let url = bench.pg.url(name);
        let db = Db::connect(&DbUrls::derive(&url).await?, &sizes)?;
        let mut conn = db.owner().await?;
        conn.batch_execute("UPDATE orgs SET retention_days = 60")
            .await?;
        let before = count(&db, "SELECT count(*) AS n FROM events").await?;
        let started = Instant::now();
        let report = retention::pass(&mut conn, None, Utc::now(), reclaim, &mut |_| {}).await?;
        let took = started.elapsed().as_secs_f64();
        let after = count(&db, "SELECT count(*) AS n FROM events").await?;
        println!("  retention pass, {reclaim:?}: {took:.1} s; events {before} → {after}, sessions removed {}, partitions dropped {:?}",
            report.removed.sessions, report.dropped);
        passes.push(took);
    }
    println!(
        "  the pass that drops partitions takes {:.2}× the time of the one deleting rows",
        passes[1] / passes[0].max(1e-9)
    );
    Ok(())
}
