//! Live updates and the cache, in one run:
//! - event accepted → `sessionUpdated` delivered, p50/p95, with 1, 100 and
//!   1,000 concurrent websocket subscribers (one process, in-process bus);
//! - a 90-day overview served from the cache vs computed (the epoch bumped
//!   before each computed run, as after a projection).
//!
//!   cargo bench --bench live

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentmon_api::graphql::{self, Limits, Services};
use agentmon_api::AppState;
use agentmon_core::auth::{MintRequest, OrgScope, Role};
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::ingest::ingest;
use agentmon_projectors::worker::{Worker, WorkerConfig};
use diesel_async::SimpleAsyncConnection;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const ROUNDS: usize = 20;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let plan = Plan {
        orgs: 1,
        users: 50,
        days: 90,
        ..Plan::default()
    };
    let bench = common::start("bench-live", &plan).await?;
    let slug = plan.orgs()[0].slug.clone();
    let events: Vec<EventInput> = plan.events().collect();
    for chunk in events.chunks(1_000) {
        ingest(&bench.db, &OrgScope::All, chunk, chrono::Utc::now()).await?;
    }
    let services = Services::local(bench.db.clone(), common::keys());
    let worker = Worker::new(
        bench.db.clone(),
        &bench.url,
        agentmon_projectors::registry(),
        WorkerConfig::default(),
    )
    .with_bus(services.bus.clone());
    worker.drain().await?;
    let stop = CancellationToken::new();
    let running = {
        let stop = stop.clone();
        tokio::spawn(async move { worker.run(stop).await })
    };

    let auth = common::authenticator();
    let token = auth.mint(
        &MintRequest::User {
            sub: "bench".into(),
            role: Role::SuperAdmin,
            org: None,
        },
        Duration::from_secs(3600),
    )?;
    let schema = graphql::build(Some(services.clone()), Limits::default());
    let state = AppState::new(&services, schema.clone(), auth);
    let addr = common::serve(state).await?;

    println!(
        "live benchmark: {} events projected, one process, in-process bus and cache",
        events.len()
    );
    for subscribers in [1, 100, 1_000] {
        let lags = delivery(&bench, &addr, &token, &slug, subscribers).await?;
        println!(
            "  accepted → sessionUpdated, {subscribers:>5} subscribers: p50 {:.0} ms, p95 {:.0} ms ({} deliveries)",
            common::percentile(&lags, 0.5),
            common::percentile(&lags, 0.95),
            lags.len()
        );
    }
    stop.cancel();
    running.await??;

    let (cached, computed) =
        overview_cached_vs_computed(&bench, &schema, &token, &slug, &plan).await?;
    println!("  90-day overview served from the cache: median {cached:.2} ms; computed: median {computed:.2} ms ({:.0}× faster)", computed / cached);
    Ok(())
}

async fn delivery(
    bench: &common::Bench,
    addr: &str,
    token: &str,
    org: &str,
    subscribers: usize,
) -> anyhow::Result<Vec<f64>> {
    let session = format!("live-{subscribers}");
    let sent_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let lags = Arc::new(Mutex::new(Vec::new()));
    let mut ready = Vec::new();
    for _ in 0..subscribers {
        let mut request = format!("ws://{addr}/graphql").into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
        let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
        ws.send(Message::Text(init.to_string().into())).await?;
        ws.next().await; // connection_ack
        let query = "subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { session { id messageCount } } }";
        let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"org": org, "id": session}}});
        ws.send(Message::Text(subscribe.to_string().into())).await?;
        let (sent_at, lags) = (sent_at.clone(), lags.clone());
        ready.push(tokio::spawn(async move {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = message {
                    if text.contains("\"next\"") {
                        if let Some(at) = *sent_at.lock().await {
                            lags.lock().await.push(at.elapsed().as_secs_f64() * 1_000.0);
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for round in 0..ROUNDS {
        let event = common::message(org, &session, "live-user", format!("round {round}"));
        let outcome = ingest(&bench.db, &OrgScope::All, &[event], chrono::Utc::now()).await?;
        *sent_at.lock().await = Some(Instant::now());
        anyhow::ensure!(outcome.accepted == 1);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for task in ready {
        task.abort();
    }
    let lags = lags.lock().await.clone();
    Ok(lags)
}

async fn overview_cached_vs_computed(
    bench: &common::Bench,
    schema: &graphql::AppSchema,
    token: &str,
    org: &str,
    plan: &Plan,
) -> anyhow::Result<(f64, f64)> {
    use agentmon_api::graphql::RequestContext;
    let to = plan.until.date_naive();
    let from = to - chrono::Duration::days(89);
    let query = format!(
        "{{ org(slug: \"{org}\") {{ overview(range: {{from: \"{from}\", to: \"{to}\"}}) {{ kpis {{ runs costUsd durationP95Ms activeUsers }} daily {{ date kpis {{ runs }} }} topUsers {{ runs }} }} }} }}"
    );
    let auth_principal = agentmon_core::auth::Principal::User(agentmon_core::auth::UserPrincipal {
        sub: "bench".into(),
        role: Role::SuperAdmin,
        org: None,
    });
    let _ = token;
    let run = |q: String, p: agentmon_core::auth::Principal| async move {
        let request =
            async_graphql::Request::new(q).data(RequestContext::new(Some(p), "bench".into()));
        let started = Instant::now();
        let response = schema.execute(request).await;
        anyhow::ensure!(response.errors.is_empty(), "{:?}", response.errors);
        Ok(started.elapsed().as_secs_f64() * 1_000.0)
    };
    let mut computed = Vec::new();
    let mut cached = Vec::new();
    for _ in 0..15 {
        bench
            .db
            .owner()
            .await?
            .batch_execute("UPDATE orgs SET projection_epoch = projection_epoch + 1")
            .await?;
        computed.push(run(query.clone(), auth_principal.clone()).await?);
        cached.push(run(query.clone(), auth_principal.clone()).await?);
    }
    Ok((
        common::percentile(&cached, 0.5),
        common::percentile(&computed, 0.5),
    ))
}
