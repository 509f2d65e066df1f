//! Live delivery at scale, with the subscribers in a process of their own
//! (`web/bench/live-clients.mjs`, Node and `ws`): COUNT websocket
//! connections subscribed to `sessionUpdated` of one org, one event a
//! round committed by this process, then projected by a real worker and
//! fanned out; latency = received by a client − committed here (one
//! machine, one clock). Printed for 1,000 and then COUNT subscribers.
//!
//!   cargo bench --bench fanout [-- COUNT]      (default 10000; needs `node`
//!                                               and web/node_modules)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentmon_api::graphql::{self, Limits, Services};
use agentmon_api::AppState;
use agentmon_core::auth::{MintRequest, OrgScope, Role};
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_projectors::worker::{Worker, WorkerConfig};
use tokio_util::sync::CancellationToken;

const ROUNDS: usize = 15;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let count = common::size_arg(10_000);
    let plan = Plan {
        orgs: 1,
        users: 20,
        days: 7,
        ..Plan::default()
    };
    let bench = common::start("bench-fanout", &plan).await?;
    let slug = plan.orgs()[0].slug.clone();
    let services = Services::local(bench.db.clone(), common::keys());
    let worker = Worker::new(
        bench.db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    )
    .with_bus(services.bus.clone());
    let stop = CancellationToken::new();
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };
    let auth = common::authenticator();
    // A user holds at most ten connections: one MANAGER token per ten.
    let tokens: Vec<String> = (0..count.div_ceil(10))
        .map(|i| {
            auth.mint(
                &MintRequest::User {
                    sub: format!("watcher-{i}"),
                    role: Role::Manager,
                    org: Some(slug.clone()),
                },
                Duration::from_secs(3600),
            )
        })
        .collect::<Result<_, _>>()?;
    let tokens_file =
        std::env::temp_dir().join(format!("agentmon-fanout-{}.txt", std::process::id()));
    std::fs::write(&tokens_file, tokens.join("\n"))?;
    let state = AppState::new(
        &services,
        graphql::build(Some(services.clone()), Limits::default()),
        auth,
    );
    let addr = common::serve(state).await?;
    println!(
        "fan-out benchmark: subscribers in a separate Node process, {ROUNDS} rounds, embedded PostgreSQL 127.0.0.1:{}",
        bench.pg.port()
    );
    for subscribers in [1_000.min(count), count] {
        let line = rounds(&bench, &addr, &slug, &tokens_file, subscribers).await?;
        println!("  {subscribers:>6} subscribers: accepted → sessionUpdated {line}");
    }
    let _ = std::fs::remove_file(&tokens_file);
    stop.cancel();
    running.await??;
    Ok(())
}

/// One client process with `subscribers` connections; the summary line it
/// prints over every delivery of every round.
async fn rounds(
    bench: &common::Bench,
    addr: &str,
    org: &str,
    tokens: &std::path::Path,
    subscribers: usize,
) -> anyhow::Result<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/bench/live-clients.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .arg(format!("ws://{addr}/graphql"))
        .arg(org)
        .arg(tokens)
        .arg(subscribers.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let expect = async |lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>, prefix: &str| {
        while let Some(line) = lines.recv().await {
            if line.starts_with(prefix) {
                return Ok(line);
            }
        }
        anyhow::bail!("the clients ended before printing {prefix:?}")
    };
    let connected = expect(&mut lines, "connected").await?;
    anyhow::ensure!(
        connected == format!("connected {subscribers}"),
        "{connected}"
    );
    // Every subscription is live once each has received an update.
    let warm = async {
        for _ in 0..240 {
            send(bench, org, "warm").await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        anyhow::bail!("not every subscriber got an update within 2 minutes")
    };
    tokio::select! {
        line = expect(&mut lines, "warm") => { line?; }
        failed = warm => { failed?; }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for round in 0..ROUNDS {
        let accepted = send(bench, org, &format!("round-{round}")).await?;
        writeln!(stdin, "accepted {round} {accepted}")?;
        let line = expect(&mut lines, &format!("round {round} ")).await?;
        anyhow::ensure!(
            line.contains(&format!("n={subscribers} ")),
            "a delivery went missing: {line}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    writeln!(stdin, "done")?;
    let all = expect(&mut lines, "all ").await?;
    child.wait()?;
    Ok(all.trim_start_matches("all ").to_string())
}

/// Commits one event of `session`; when, in microseconds since the epoch.
async fn send(bench: &common::Bench, org: &str, session: &str) -> anyhow::Result<u128> {
    let event = common::message(org, session, "fanout-user", session.to_string());
    let outcome = ingest(&bench.db, &OrgScope::All, &[event], chrono::Utc::now()).await?;
    anyhow::ensure!(outcome.accepted == 1, "{outcome:?}");
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_micros())
}
