//! OTLP ingest against `ingestEvents` for the same events: Claude Code
//! `api_request` log records (one model call each) sent as 1,000-record
//! OTLP/HTTP exports (protobuf, protobuf+gzip, JSON) to a real server, and
//! the events those records map to sent as 1,000-event `ingestEvents`
//! calls to another org, 1 and 4 clients each, in the same run.
//!
//!   cargo bench --bench otlp [-- RECORDS]   (default 40000 per measurement)

mod common;

use std::io::Write;
use std::time::Instant;

use agentmon_api::graphql::{self, Limits};
use agentmon_api::AppState;
use agentmon_core::auth::MintRequest;
use agentmon_core::generate::Plan;
use futures::StreamExt;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::json;

const PER_EXPORT: usize = 1_000;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn text(key: &str, v: String) -> KeyValue {
    kv(key, any_value::Value::StringValue(v))
}

/// `n` api_request records in exports of [`PER_EXPORT`]; `tag` keeps the
/// measurements' records apart. Sessions of 50 calls.
fn exports(n: usize, tag: &str) -> Vec<ExportLogsServiceRequest> {
    let start: u64 = 1_796_000_000_000_000_000;
    (0..n)
        .collect::<Vec<_>>()
        .chunks(PER_EXPORT)
        .map(|chunk| {
            let records = chunk
                .iter()
                .map(|&i| LogRecord {
                    time_unix_nano: start + i as u64 * 1_000_000,
                    observed_time_unix_nano: start + i as u64 * 1_000_000,
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(
                            "claude_code.api_request".into(),
                        )),
                    }),
                    attributes: vec![
                        text("event.name", "api_request".into()),
                        text("session.id", format!("{tag}-session-{}", i / 50)),
                        text("prompt.id", format!("{tag}-prompt-{}", i / 10)),
                        text("request_id", format!("{tag}-req-{i}")),
                        text("model", "claude-opus-5-5".into()),
                        kv(
                            "input_tokens",
                            any_value::Value::IntValue(100 + (i % 50) as i64),
                        ),
                        kv("output_tokens", any_value::Value::IntValue(20)),
                        kv("cache_read_tokens", any_value::Value::IntValue(2_000)),
                        kv("cache_creation_tokens", any_value::Value::IntValue(500)),
                        kv("cost_usd", any_value::Value::DoubleValue(0.0037794)),
                        kv("duration_ms", any_value::Value::IntValue(66)),
                    ],
                    ..Default::default()
                })
                .collect();
            ExportLogsServiceRequest {
                resource_logs: vec![ResourceLogs {
                    resource: Some(Resource {
                        attributes: vec![
                            text("service.name", "claude-code".into()),
                            text("enduser.id", "bench-user".into()),
                            text("repository", "acme/widgets".into()),
                        ],
                        ..Default::default()
                    }),
                    scope_logs: vec![ScopeLogs {
                        scope: Some(InstrumentationScope {
                            name: "com.anthropic.claude_code.events".into(),
                            ..Default::default()
                        }),
                        log_records: records,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            }
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Wire {
    Protobuf,
    Gzip,
    Json,
}

fn body(
    export: &ExportLogsServiceRequest,
    wire: Wire,
) -> anyhow::Result<(Vec<u8>, &'static str, Option<&'static str>)> {
    Ok(match wire {
        Wire::Protobuf => (export.encode_to_vec(), "application/x-protobuf", None),
        Wire::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&export.encode_to_vec())?;
            (gz.finish()?, "application/x-protobuf", Some("gzip"))
        }
        Wire::Json => (serde_json::to_vec(export)?, "application/json", None),
    })
}

/// Events stored per second from OTLP exports over `clients` connections.
async fn send_otlp(
    base: &str,
    token: &str,
    exports: &[ExportLogsServiceRequest],
    wire: Wire,
    clients: usize,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let bodies: Vec<_> = exports
        .iter()
        .map(|e| body(e, wire))
        .collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(bodies)
        .map(|(bytes, kind, encoding)| {
            let client = client.clone();
            async move {
                let mut request = client
                    .post(format!("{base}/otlp/v1/logs"))
                    .header("x-api-key", token)
                    .header("content-type", kind)
                    .body(bytes);
                if let Some(e) = encoding {
                    request = request.header("content-encoding", e);
                }
                let response = request.send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "OTLP export: {}",
                    response.status()
                );
                Ok(())
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok((exports.len() * PER_EXPORT) as f64 / started.elapsed().as_secs_f64())
}

/// Events stored per second from 1,000-event `ingestEvents` calls.
async fn send_graphql(
    base: &str,
    token: &str,
    events: &[agentmon_core::event::EventInput],
    clients: usize,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::new();
    let query = "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }";
    let bodies: Vec<String> = events
        .chunks(1_000)
        .map(|c| json!({ "query": query, "variables": { "e": c } }).to_string())
        .collect();
    let started = Instant::now();
    let results: Vec<anyhow::Result<u64>> = futures::stream::iter(bodies)
        .map(|body| {
            let client = client.clone();
            async move {
                let r: serde_json::Value = client
                    .post(format!("{base}/graphql"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?
                    .json()
                    .await?;
                r["data"]["ingestEvents"]["accepted"]
                    .as_u64()
                    .ok_or_else(|| anyhow::anyhow!("ingest failed: {r}"))
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let mut stored = 0;
    for r in results {
        stored += r?;
    }
    anyhow::ensure!(
        stored as usize == events.len(),
        "stored {stored} of {}",
        events.len()
    );
    Ok(events.len() as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = common::size_arg(40_000);
    let plan = Plan {
        orgs: 2,
        users: 10,
        days: 7,
        ..Plan::default()
    };
    let common::Bench { pg, db, .. } = common::start("bench-otlp", &plan).await?;
    let slugs: Vec<String> = plan.orgs().into_iter().map(|o| o.slug).collect();
    let (otlp_org, gql_org) = (slugs[0].clone(), slugs[1].clone());
    let auth = common::authenticator();
    let hour = std::time::Duration::from_secs(3600);
    // Rates as a busy deployment would set them: the bench measures the path, not the limit.
    let rates = graphql::RateLimits::new(10_000_000, 10_000_000, None)?;
    let services = graphql::Services {
        rates,
        ..graphql::Services::local(db.clone(), common::keys())
    };
    let otlp_token = auth.mint(
        &MintRequest::Ingest {
            orgs: vec![otlp_org.clone()],
        },
        hour,
    )?;
    let gql_token = auth.mint(
        &MintRequest::Ingest {
            orgs: vec![gql_org.clone()],
        },
        hour,
    )?;
    let state = AppState::new(
        &services,
        graphql::build(Some(services.clone()), Limits::default()),
        auth,
    );
    let base = format!("http://{}", common::serve(state).await?);

    println!("OTLP benchmark: {n} Claude Code api_request records per measurement in {PER_EXPORT}-record exports, \
              against the same events through ingestEvents (1,000-event calls), embedded PostgreSQL 127.0.0.1:{}", pg.port());
    let mut lines = Vec::new();
    for (round, clients) in [1usize, 4].into_iter().enumerate() {
        let mut rates = Vec::new();
        for (i, (name, wire)) in [
            ("OTLP protobuf", Wire::Protobuf),
            ("OTLP protobuf+gzip", Wire::Gzip),
            ("OTLP JSON", Wire::Json),
        ]
        .into_iter()
        .enumerate()
        {
            let batch = exports(n, &format!("r{round}w{i}"));
            rates.push((
                name,
                send_otlp(&base, &otlp_token, &batch, wire, clients).await?,
            ));
        }
        // The same records, mapped by the receiver's own mapping, into the other org.
        let batch = exports(n, &format!("r{round}gql"));
        let events: Vec<_> = batch
            .iter()
            .flat_map(|e| {
                agentmon_otlp::logs(
                    e,
                    agentmon_otlp::Target {
                        org: Some(&gql_org),
                    },
                )
                .events
            })
            .collect();
        anyhow::ensure!(
            events.len() == n,
            "{} events from {n} records",
            events.len()
        );
        let baseline = send_graphql(&base, &gql_token, &events, clients).await?;
        for (name, rate) in rates {
            lines.push(format!(
                "  {name:<20} {clients} client(s): {rate:>9.0} events/s  ({:.2}× ingestEvents)",
                rate / baseline
            ));
        }
        lines.push(format!(
            "  ingestEvents         {clients} client(s): {baseline:>9.0} events/s  (baseline)"
        ));
    }
    for l in lines {
        println!("{l}");
    }
    drop(db);
    drop(pg);
    Ok(())
}
