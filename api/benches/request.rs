//! The cost of being signed in: a trivial GraphQL query `{ me { role } }`
//! made by an org member (token check, membership, rate limit, execution)
//! against `GET /healthz` (no work at all), both over HTTP/1.1 keep-alive
//! from 32 concurrent clients, alternated in rounds in the same run.
//!
//!   cargo bench --bench request [-- SECONDS]     (default 3 per round, 3 rounds each)

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentmon_api::graphql::{self, Limits, RateLimits};
use agentmon_api::AppState;
use agentmon_core::auth::{MintRequest, Role};
use agentmon_core::generate::Plan;
use agentmon_core::storage::db::set_org;
use agentmon_core::storage::models::{member, org};
use diesel_async::AsyncConnection;

const CLIENTS: usize = 32;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = common::size_arg(3) as u64;
    let plan = Plan {
        orgs: 1,
        ..Plan::default()
    };
    let common::Bench { pg, db, .. } = common::start("bench-request", &plan).await?;
    let slug = plan
        .orgs()
        .into_iter()
        .next()
        .map(|o| o.slug)
        .unwrap_or_default();
    {
        // A member whose role is set in agentmon: the gate must read it.
        let mut conn = db.owner().await?;
        let found = org::by_slug(&mut conn, &slug)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no org"))?;
        conn.transaction::<_, anyhow::Error, _>(async |tx| {
            set_org(tx, found.id).await?;
            member::set(tx, found.id, "ada", Some(Role::Manager), None, "bench").await?;
            Ok(())
        })
        .await?;
    }
    let auth = common::authenticator();
    let token = auth.mint(
        &MintRequest::User {
            sub: "ada".into(),
            role: Role::Member,
            org: Some(slug.clone()),
        },
        Duration::from_secs(3600),
    )?;
    let services = graphql::Services {
        // Far above what the bench sends: the limit is checked, never hit.
        rates: RateLimits::new(1_000_000, 1_000_000_000, None)?,
        ..graphql::Services::local(db.clone(), common::keys())
    };
    let state = AppState::new(
        &services,
        graphql::build(Some(services.clone()), Limits::default()),
        auth,
    );
    let addr = common::serve(state).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let me = client
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ me { role } }" }))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    anyhow::ensure!(
        me["data"]["me"]["role"] == "MANAGER",
        "the member's role set in agentmon: {me}"
    );

    println!(
        "signed-in request benchmark: {CLIENTS} clients, {seconds} s rounds, embedded PostgreSQL 127.0.0.1:{}",
        pg.port()
    );
    let (mut health, mut signed_in) = (Vec::new(), Vec::new());
    for round in 1..=3 {
        let h = rate(seconds, || client.get(format!("http://{addr}/healthz"))).await?;
        let s = rate(seconds, || {
            client
                .post(format!("http://{addr}/graphql"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(r#"{"query":"{ me { role } }"}"#)
        })
        .await?;
        println!("round {round}: /healthz {h:>8.0} req/s   {{ me {{ role }} }} {s:>8.0} req/s   ratio {:.2}", s / h);
        health.push(h);
        signed_in.push(s);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (h, s) = (median(&mut health), median(&mut signed_in));
    println!("median: /healthz {h:.0} req/s, signed-in {{ me {{ role }} }} {s:.0} req/s: {:.2}x (target >= 0.5x)", s / h);
    Ok(())
}

/// Requests per second that `CLIENTS` loops complete in `seconds`; every
/// answer must be a 200.
async fn rate(seconds: u64, request: impl Fn() -> reqwest::RequestBuilder) -> anyhow::Result<f64> {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..CLIENTS {
        let (done, first) = (done.clone(), request());
        loops.push(tokio::spawn(async move {
            let mut next = Some(first);
            while Instant::now() < until {
                let Some(r) = next.take() else { break };
                let again = r.try_clone();
                let response = r.send().await?;
                anyhow::ensure!(response.status().is_success(), "{}", response.status());
                response.bytes().await?;
                done.fetch_add(1, Ordering::Relaxed);
                next = again;
            }
            anyhow::Ok(())
        }));
    }
    for l in loops {
        l.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
