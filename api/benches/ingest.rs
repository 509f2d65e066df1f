//! Ingest throughput: generated traffic sent as 1,000-event `ingestEvents`
//! calls over HTTP to a real server, with a producer JWT and with an API
//! key, 1 and 4 clients, against the raw PostgreSQL COPY rate of the same
//! rows into the same table, measured in the same run.
//!
//!   cargo bench --bench ingest [-- EVENTS]        (default 100000: half with 1 client, half with 4;
//!                                                 the calls alternate between the JWT and the key)

mod common;

use std::time::Instant;

use agentmon_api::graphql::{self, Limits};
use agentmon_api::AppState;
use agentmon_core::auth::MintRequest;
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use futures::StreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total = common::size_arg(100_000);
    let plan = Plan {
        orgs: 4,
        users: 80,
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
    let (jwt_1, key_1) = match send(&endpoint, &tokens, one, 1).await?[..] {
        [jwt, key] => (jwt, key),
        _ => anyhow::bail!("two tokens, two rates"),
    };
    let (jwt_4, key_4) = match send(&endpoint, &tokens, four, 4).await?[..] {
        [jwt, key] => (jwt, key),
        _ => anyhow::bail!("two tokens, two rates"),
    };
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

/// Sends `events` in 1,000-event calls over `clients` connections, the
/// calls taking turns between the `tokens`; events/s for each token, from
/// the time its own calls took (so that a table growing during the run
/// weighs on every token alike).
async fn send(
    endpoint: &str,
    tokens: &[&str],
    events: &[EventInput],
    clients: usize,
) -> anyhow::Result<Vec<f64>> {
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
    let results: Vec<anyhow::Result<(usize, usize, f64)>> = futures::stream::iter(calls)
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
                let accepted = response["data"]["ingestEvents"]["accepted"]
                    .as_u64()
                    .ok_or_else(|| anyhow::anyhow!("ingest failed: {response}"))?;
                anyhow::Ok((which, accepted as usize, took))
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let mut per_token = vec![(0usize, 0f64); tokens.len()];
    for result in results {
        let (which, accepted, took) = result?;
        per_token[which].0 += accepted;
        per_token[which].1 += took;
    }
    let total: usize = per_token.iter().map(|t| t.0).sum();
    anyhow::ensure!(
        total == events.len(),
        "accepted {total} of {}",
        events.len()
    );
    // Each token's share of the clients' time: events over its calls' time,
    // times the number of clients working at once.
    Ok(per_token
        .iter()
        .map(|(n, secs)| *n as f64 / secs * clients as f64)
        .collect())
}
