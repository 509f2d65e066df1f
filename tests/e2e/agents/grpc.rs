//! OTLP/gRPC with the OpenTelemetry project's own generated client: the
//! export Claude Code sent over HTTP, sent over gRPC (gzip), lands the same
//! figures; a wrong key is UNAUTHENTICATED and stores nothing.

use std::io::Read;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use serde_json::json;
use tonic::codec::CompressionEncoding;

use super::otlp::{key_of, reported};
use crate::harness::TestApp;

fn recorded_logs() -> ExportLogsServiceRequest {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/otlp/claude-basic-protobuf-spans-gzip/0002-logs.pb.gz");
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{e}"));
    ExportLogsServiceRequest::decode(raw.as_slice()).unwrap_or_else(|e| panic!("{e}"))
}

fn with_key(
    export: ExportLogsServiceRequest,
    key: &str,
) -> tonic::Request<ExportLogsServiceRequest> {
    let mut request = tonic::Request::new(export);
    request
        .metadata_mut()
        .insert("x-api-key", key.parse().unwrap_or_else(|e| panic!("{e}")));
    request
}

/// A server with org `acme`, a producer key of it, and a logs client that
/// sends gzip to the server's OTLP/gRPC address.
async fn acme_with_client() -> (
    TestApp,
    String,
    LogsServiceClient<tonic::transport::Channel>,
) {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let url = app.listen_grpc().await;
    let client = LogsServiceClient::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .send_compressed(CompressionEncoding::Gzip);
    (app, key, client)
}

#[tokio::test]
async fn claude_code_logs_over_grpc_land_the_figures_claude_code_reported() {
    let (app, key, mut client) = acme_with_client().await;

    let refused = client
        .export(with_key(
            recorded_logs(),
            "amk_wrong_wrong_wrong_wrong_wrong_wrong_wrong0",
        ))
        .await
        .err()
        .map(|s| s.code());
    assert_eq!(refused, Some(tonic::Code::Unauthenticated));
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 0);

    let answer = client
        .export(with_key(recorded_logs(), &key))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_inner();
    assert!(answer.partial_success.is_none(), "{answer:?}");
    app.project_all().await;
    let agent = reported("claude-basic-protobuf-spans-gzip");
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { inputTokens outputTokens cacheReadTokens cacheCreationTokens costUsd } } }",
            json!({ "id": agent["session_id"] }),
        )
        .await;
    let s = &body["data"]["org"]["session"];
    let usage = &agent["usage"];
    assert_eq!(
        s["inputTokens"].as_f64(),
        usage["input_tokens"].as_f64(),
        "{body}"
    );
    assert_eq!(
        s["outputTokens"].as_f64(),
        usage["output_tokens"].as_f64(),
        "{body}"
    );
    assert_eq!(
        s["cacheReadTokens"].as_f64(),
        usage["cache_read_input_tokens"].as_f64(),
        "{body}"
    );
    assert_eq!(
        s["cacheCreationTokens"].as_f64(),
        usage["cache_creation_input_tokens"].as_f64(),
        "{body}"
    );
    assert_eq!(
        s["costUsd"].as_str().and_then(|c| c.parse::<f64>().ok()),
        agent["total_cost_usd"].as_f64(),
        "{body}"
    );
}

/// The key is checked before the message is read: a call without a valid
/// one is UNAUTHENTICATED even when its message, 17 KiB as sent, inflates
/// past the 16 MiB limit (before, the server inflated and decoded it
/// first, and answered with the size). With a key, the limit answers.
#[tokio::test]
async fn a_call_without_a_key_is_refused_before_its_message_is_inflated() {
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

    let (app, key, client) = acme_with_client().await;
    let mut client = client.max_encoding_message_size(64 << 20);
    let bomb = || ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("a".repeat(17 << 20))),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let code = |r: Result<_, tonic::Status>| r.err().map(|s| s.code());

    let anonymous = client.export(tonic::Request::new(bomb())).await;
    assert_eq!(code(anonymous), Some(tonic::Code::Unauthenticated));
    let wrong = client
        .export(with_key(
            bomb(),
            "amk_wrong_wrong_wrong_wrong_wrong_wrong_wrong0",
        ))
        .await;
    assert_eq!(code(wrong), Some(tonic::Code::Unauthenticated));
    let keyed = client.export(with_key(bomb(), &key)).await;
    assert_eq!(
        code(keyed),
        Some(tonic::Code::ResourceExhausted),
        "with a key, the message limit answers"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 0);
}
