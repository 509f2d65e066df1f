//! Ingest throughput: generated traffic sent as 1,000-event `ingestEvents`
//! calls over HTTP to a real server, with a producer JWT and with an API
//! key, 1 and 4 clients, against the raw PostgreSQL COPY rate of the same
//! rows into the same table, measured in the same run.
//!
//!   cargo bench --bench ingest [-- EVENTS]        (default 100000, a quarter per measurement)

mod common;

use std::time::Instant;

use agentmon_api::graphql::{self, Limits};
use agentmon_api::{router, AppState};
use agentmon_core::auth::MintRequest;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use futures::StreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let plan = Plan {
        orgs: 4,
        users: 60,
        days: 60,
        ..Plan::default()
    };
    let common::Bench { pg, url, db } = common::start("bench-ingest", &plan).await?;
    let events: Vec<EventInput> = plan.events().take(total * 2).collect();
    anyhow::ensure!(
        events.len() >= total * 2,
        "the plan makes only {} events",
        events.len()
    );
    let (first_half, second_half) = events.split_at(total);

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
        agentmon_core::models::api_key::create(
            &mut conn,
            &agentmon_core::models::api_key::NewKey {
                org_id: None,
                name: "bench",
                prefix: &secret.prefix,
                hash: &secret.hash,
                created_by: "bench",
            },
        )
        .await?;
    }
    let state = AppState {
        schema: graphql::build(
            Some(graphql::Services::local(db.clone(), common::keys())),
            Limits::default(),
        ),
        auth,
        db: db.clone(),
        web: Default::default(),
        metrics: agentmon_api::metrics::handle(),
        connections: Default::default(),
        keys,
        presence: Default::default(),
        rates: agentmon_api::graphql::RateLimits::defaults(),
        exports: std::sync::Arc::new(tokio::sync::Semaphore::new(
            agentmon_api::http::MAX_CONCURRENT_EXPORTS,
        )),
        metrics_token: None,
        request_timeout: std::time::Duration::from_secs(30),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}/graphql", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(state)).await });

    println!("ingest benchmark: {total} events per measurement, 1,000-event calls, embedded PostgreSQL 127.0.0.1:{}", pg.port());
    let quarters: Vec<&[EventInput]> = first_half.chunks(total / 4).collect();
    let jwt_1 = send(&endpoint, &token, quarters[0], 1).await?;
    let key_1 = send(&endpoint, &secret.secret, quarters[1], 1).await?;
    let jwt_4 = send(&endpoint, &token, quarters[2], 4).await?;
    let key_4 = send(&endpoint, &secret.secret, quarters[3], 4).await?;
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
    drop(db);
    drop(pg);
    Ok(())
}

/// Sends `events` in 1,000-event calls over `clients` connections; events/s.
async fn send(
    endpoint: &str,
    token: &str,
    events: &[EventInput],
    clients: usize,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let query = "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted duplicates rejected { index code message } } }";
    let bodies: Vec<String> = events
        .chunks(1_000)
        .map(|chunk| json!({ "query": query, "variables": { "e": chunk } }).to_string())
        .collect();
    let started = Instant::now();
    let results: Vec<anyhow::Result<i64>> = futures::stream::iter(bodies)
        .map(|body| {
            let client = client.clone();
            async move {
                let response: serde_json::Value = client
                    .post(endpoint)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?
                    .json()
                    .await?;
                let accepted = response["data"]["ingestEvents"]["accepted"].as_i64();
                accepted.ok_or_else(|| anyhow::anyhow!("ingest failed: {response}"))
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let accepted: i64 = results.into_iter().sum::<anyhow::Result<i64>>()?;
    anyhow::ensure!(
        accepted as usize == events.len(),
        "accepted {accepted} of {}",
        events.len()
    );
    Ok(events.len() as f64 / elapsed)
}
