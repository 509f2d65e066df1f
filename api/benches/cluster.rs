//! Queries per second of the org overview (uncached, 30-day ranges that
//! differ from query to query) from 16 concurrent clients: one `agentmon
//! serve` on the primary, against two servers reading from a streaming
//! standby, against two servers on the primary alone; same data, same
//! clients, same run. Where the transactions ran (primary or standby,
//! `pg_stat_database`) and the servers' connections per pool
//! (`pg_stat_activity`) are printed with each phase.
//!
//!   cargo bench --bench cluster [-- SECONDS]     (default 5 per phase)

mod common;
#[allow(dead_code)] // the tests' harness: this bench uses part of it
#[path = "../../tests/e2e/harness/replication.rs"]
mod replication;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentmon_core::storage::db::embedded::free_port;
use serde_json::{json, Value};

const CLIENTS: usize = 16;
const SECRET: &str = "bench-cluster-secret-bench-cluster-secret";

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(env: &[(&str, &str)], args: &[&str]) -> anyhow::Result<Server> {
    let addr = format!("127.0.0.1:{}", free_port()?);
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    command
        .args(["serve", "--listen", &addr])
        .args(args)
        .env_remove("REDIS_URL")
        .env("AGENTMON_JWT_SECRET", SECRET)
        // Every overview is computed, none answered from the cache.
        .env("AGENTMON_CACHE_TTL", "1ms")
        .env("AGENTMON_REQUESTS_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    Ok(Server(command.spawn()?, addr))
}

async fn ready(addr: &str) -> anyhow::Result<()> {
    let end = Instant::now() + Duration::from_secs(120);
    while !reqwest::get(format!("http://{addr}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(Instant::now() < end, "{addr} never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn metrics(addr: &str) -> String {
    match reqwest::get(format!("http://{addr}/metrics")).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

const OVERVIEW: &str = "query($range: DateRange!) { org(slug: \"demo-1\") { overview(range: $range) { kpis { sessions runs successRate costUsd activeUsers durationP95Ms } daily { date kpis { runs costUsd } } } } }";

/// Overview queries per second from CLIENTS clients spread over `addrs`
/// for `seconds`; fails on any error answer.
async fn load(addrs: &[String], token: &str, seconds: u64) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let today = chrono::Utc::now().date_naive();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (addr, token, done) = (
            addrs[c % addrs.len()].clone(),
            token.to_string(),
            done.clone(),
        );
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = c as i64;
            while Instant::now() < end {
                let to = today - chrono::Duration::days(i % 60);
                let from = to - chrono::Duration::days(29);
                let body: Value = http
                    .post(format!("http://{addr}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": OVERVIEW, "variables": { "range": { "from": from, "to": to } } }))
                    .send()
                    .await?
                    .json()
                    .await?;
                anyhow::ensure!(body["errors"].is_null(), "{body}");
                done.fetch_add(1, Ordering::Relaxed);
                i += 7;
            }
            anyhow::Ok(())
        }));
    }
    let started = Instant::now();
    for client in clients {
        client.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Committed transactions of database `agentmon` on the server at `url`.
async fn commits(url: &str) -> anyhow::Result<i64> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client
        .query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = 'agentmon'",
            &[],
        )
        .await?
        .get(0))
}

/// The servers' connections by pool on the server at `url`.
async fn pools(url: &str) -> anyhow::Result<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT application_name, count(*) FROM pg_stat_activity \
             WHERE application_name LIKE 'agentmon%' GROUP BY 1 ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| format!("{} {}", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect::<Vec<_>>()
        .join(", "))
}

/// Runs the load on `addrs` and prints it with where its transactions ran.
async fn phase(
    name: &str,
    addrs: &[String],
    token: &str,
    seconds: u64,
    pg: &replication::Replicated,
) -> anyhow::Result<f64> {
    let standby = pg.standby_owner();
    let (p0, s0) = (commits(&pg.primary).await?, commits(&standby).await?);
    let qps = load(addrs, token, seconds).await?;
    let (p1, s1) = (commits(&pg.primary).await?, commits(&standby).await?);
    let (on_primary, on_standby) = (p1 - p0, s1 - s0);
    let share = on_standby as f64 / (on_primary + on_standby).max(1) as f64 * 100.0;
    println!(
        "{name}: {qps:.0} overviews/s; transactions on the primary {on_primary}, on the standby {on_standby} ({share:.0} %)"
    );
    println!(
        "  connections on the primary: {}; on the standby: {}",
        pools(&pg.primary).await?,
        pools(&standby).await?
    );
    Ok(qps)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = common::size_arg(5) as u64;
    let pg = replication::Replicated::start().await;
    let data = pg.dir("data");
    let data = data.to_string_lossy().to_string();
    let primary = [
        ("DATABASE_URL", pg.primary.as_str()),
        ("AGENTMON_DATA_DIR", data.as_str()),
    ];
    // One server fills the demo orgs and projects them with its own worker.
    let one = serve(&primary, &["--demo"])?;
    ready(&one.1).await?;
    let end = Instant::now() + Duration::from_secs(600);
    loop {
        let text = metrics(&one.1).await;
        let queued = text
            .lines()
            .find(|l| l.starts_with("agentmon_queued_events "))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok());
        let events = commits(&pg.primary).await?;
        if queued == Some(0.0) && events > 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < end,
            "the demo was not projected within 10 minutes"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let token = Command::new(env!("CARGO_BIN_EXE_agentmon"))
        .args(["token", "--role", "SUPER_ADMIN", "--ttl", "1h"])
        .env("AGENTMON_JWT_SECRET", SECRET)
        .output()?;
    let token = String::from_utf8_lossy(&token.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    println!("cluster bench: {CLIENTS} clients, {seconds} s per phase, overview of demo-1 over 30 days (uncached)");
    // Warm every server's first answers before measuring.
    load(std::slice::from_ref(&one.1), &token, 1).await?;
    let single = phase(
        "one server, primary only",
        std::slice::from_ref(&one.1),
        &token,
        seconds,
        &pg,
    )
    .await?;

    let replica = [
        ("DATABASE_URL", pg.primary.as_str()),
        ("DATABASE_REPLICA_URL", pg.replica.as_str()),
        ("AGENTMON_DATA_DIR", data.as_str()),
    ];
    let a = serve(&replica, &["--no-worker"])?;
    let b = serve(&replica, &["--no-worker"])?;
    ready(&a.1).await?;
    ready(&b.1).await?;
    let end = Instant::now() + Duration::from_secs(60);
    for addr in [&a.1, &b.1] {
        while !metrics(addr)
            .await
            .lines()
            .any(|l| l.starts_with("agentmon_db_replica_in_use") && l.ends_with(" 1"))
        {
            anyhow::ensure!(Instant::now() < end, "{addr} never used the standby");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let pair = [a.1.clone(), b.1.clone()];
    load(&pair, &token, 1).await?;
    let replicated = phase(
        "two servers, reads on the standby",
        &pair,
        &token,
        seconds,
        &pg,
    )
    .await?;
    drop((a, b));

    let c = serve(&primary, &["--no-worker"])?;
    ready(&c.1).await?;
    let pair = [one.1.clone(), c.1.clone()];
    load(&pair, &token, 1).await?;
    let two = phase("two servers, primary only", &pair, &token, seconds, &pg).await?;

    println!(
        "two servers with a standby vs one server: {:.2}x; two servers on the primary alone vs one: {:.2}x (all on this machine's {} cores)",
        replicated / single,
        two / single,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    Ok(())
}
