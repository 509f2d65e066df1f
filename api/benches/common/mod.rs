//! What the benchmarks share: a fresh embedded PostgreSQL, demo orgs, and
//! the raw COPY baseline every rate is reported against.

#![allow(dead_code)]

// The allocator of the agentmon binary (api/src/main.rs), so the benches
// measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod cpu;
pub mod projected;

use std::time::Instant;

use agentmon_core::auth::{Authenticator, JwtSettings};
use agentmon_core::event::EventInput;
use agentmon_core::generate::Plan;
use agentmon_core::storage::db::embedded::EmbeddedPg;
use agentmon_core::storage::db::{create_database_if_missing, migrate, Db, DbUrls, PoolSizes};
use agentmon_core::storage::models::org::{self, NewOrg};
use futures::SinkExt;

pub struct Bench {
    pub pg: EmbeddedPg,
    pub url: String,
    pub db: Db,
}

/// Where the bench called `name` keeps its cluster's data.
pub fn data_dir(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// The PostgreSQL data directory (with postmaster.pid) of bench `name`.
pub fn cluster_dir(name: &str) -> std::path::PathBuf {
    data_dir(name).join("pg")
}

/// A new cluster under the target directory, migrated, with the plan's orgs.
pub async fn start(name: &str, plan: &Plan) -> anyhow::Result<Bench> {
    let dir = data_dir(name);
    let _ = std::fs::remove_dir_all(&dir);
    let pg = tokio::task::spawn_blocking(move || EmbeddedPg::start_or_reuse(&dir)).await??;
    create_database_if_missing(&pg.url("postgres"), "bench").await?;
    let url = pg.url("bench");
    migrate::run(&url).await?;
    let urls = DbUrls::derive(&url).await?;
    let db = Db::connect(
        &urls,
        &PoolSizes {
            app: 16,
            worker: 4,
            owner: 8,
        },
    )?;
    let mut conn = db.owner().await?;
    for o in plan.orgs() {
        org::create(
            &mut conn,
            &NewOrg {
                slug: o.slug,
                name: o.name,
                timezone: o.timezone,
            },
        )
        .await?;
    }
    Ok(Bench { pg, url, db })
}

/// Rows/s of a raw COPY of `events` into the events table.
pub async fn copy_rate(url: &str, events: &[EventInput]) -> anyhow::Result<f64> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let org_id: String = client
        .query_one("SELECT id::text FROM orgs ORDER BY slug LIMIT 1", &[])
        .await?
        .get(0);
    let mut text = String::new();
    for e in events {
        let payload = e.payload().to_string().replace('\\', "\\\\");
        text.push_str(&format!(
            "{org_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{payload}\n",
            e.occurred_at.to_rfc3339(),
            e.event_id,
            e.event_type.as_str(),
            e.session_id,
            e.user_id,
            e.run_id.as_deref().unwrap_or("\\N"),
        ));
    }
    // The months' partitions, as ingest would make them (not timed).
    let months: std::collections::BTreeSet<String> = events
        .iter()
        .map(|e| e.occurred_at.format("%Y-%m-01T00:00:00Z").to_string())
        .collect();
    for month in months {
        client
            .execute(
                "SELECT ensure_event_partition($1::text::timestamptz)",
                &[&month],
            )
            .await?;
    }
    let started = Instant::now();
    let sink = client
        .copy_in("COPY events (org_id, occurred_at, event_id, event_type, session_id, user_id, run_id, payload) FROM STDIN")
        .await?;
    futures::pin_mut!(sink);
    for chunk in text.as_bytes().chunks(1 << 20) {
        sink.send(bytes::Bytes::copy_from_slice(chunk)).await?;
    }
    let rows = sink.finish().await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(rows as usize == events.len());
    // Leave the table as the measured code will find it.
    client
        .execute(
            "DELETE FROM events WHERE org_id = $1::text::uuid",
            &[&org_id],
        )
        .await?;
    Ok(events.len() as f64 / elapsed)
}

/// The nearest-rank percentile of `values`.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The benchmarks' token authority.
pub fn authenticator() -> Authenticator {
    Authenticator::new(JwtSettings {
        secret: "bench-secret-bench-secret-bench-secret".into(),
        issuer: "agentmon".into(),
        audience: "agentmon".into(),
        jwks: None,
    })
}

/// API keys hashed with a fixed bench key.
pub fn keys() -> agentmon_core::auth::ApiKeys {
    agentmon_core::auth::ApiKeys::new([7; 32])
}

/// The first number among the bench's arguments, else `default`.
pub fn size_arg(default: usize) -> usize {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

/// Serves `state` on a free loopback port; returns "127.0.0.1:PORT".
pub async fn serve(state: agentmon_api::AppState) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move { axum::serve(listener, agentmon_api::router(state)).await });
    Ok(addr)
}

/// A user's message in `session` of `org`, occurring now.
pub fn message(org: &str, session: &str, user: &str, text: String) -> EventInput {
    use agentmon_core::event::{EventType, MessageInput, MessageRole};
    EventInput {
        event_id: uuid::Uuid::new_v4(),
        org: org.to_string(),
        event_type: EventType::MessageSent,
        occurred_at: chrono::Utc::now(),
        session_id: session.to_string(),
        user_id: user.to_string(),
        run_id: None,
        message: Some(MessageInput {
            role: MessageRole::User,
            text: Some(text),
        }),
        run: None,
        handoff: None,
        attributes: None,
        user: None,
        model_call: None,
        tool: None,
        code: None,
    }
}
