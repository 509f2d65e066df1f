//! The OTLP/HTTP routes, one handler for the three signals.

use agentmon_core::event::MAX_EVENTS_PER_CALL;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::body::{decode, inflate, Format, Refusal};
use super::{answer, auth, Signal};
use crate::http::AppState;
use crate::produce::produce;

/// `/otlp/v1/logs`, `/otlp/v1/traces`, `/otlp/v1/metrics`: so that
/// `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port/otlp` works.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/otlp/v1/logs",
            post(|s, h, b| export(Signal::Logs, s, h, b)),
        )
        .route(
            "/otlp/v1/traces",
            post(|s, h, b| export(Signal::Traces, s, h, b)),
        )
        .route(
            "/otlp/v1/metrics",
            post(|s, h, b| export(Signal::Metrics, s, h, b)),
        )
}

async fn export(
    signal: Signal,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let format = match Format::of(&headers) {
        Ok(format) => format,
        // The answer of an unknown encoding is JSON, the readable one.
        Err(refusal) => return answer::refused(Format::Json, refusal),
    };
    let producer = match auth::producer(&state, &headers).await {
        Ok(p) => p,
        Err(e) => return answer::failed(format, e),
    };
    let mapped = match inflate(&headers, body)
        .and_then(|raw| map(signal, format, &raw, auth::single_org(&producer)))
    {
        Ok(mapped) => mapped,
        Err(refusal) => return answer::refused(format, refusal),
    };
    let mut rejected = mapped.rejected as i64;
    let mut reasons: Vec<String> = mapped.reasons.iter().map(|r| r.to_string()).collect();
    for call in mapped.events.chunks(MAX_EVENTS_PER_CALL) {
        match produce(&state.db, &state.rates, &producer, call).await {
            Ok(outcome) => {
                rejected += outcome.rejected.len() as i64;
                for r in outcome.rejected {
                    let reason = format!("{}: {}", r.code, r.message);
                    if !reasons.contains(&reason) && reasons.len() < 5 {
                        reasons.push(reason);
                    }
                }
            }
            // Calls already stored stay stored: sent again, they are duplicates.
            Err(e) => return answer::failed(format, e),
        }
    }
    answer::success(signal, format, rejected, reasons.join("; "))
}

fn map(
    signal: Signal,
    format: Format,
    raw: &[u8],
    org: Option<&str>,
) -> Result<agentmon_otlp::Mapped, Refusal> {
    let target = agentmon_otlp::Target { org };
    Ok(match signal {
        Signal::Logs => {
            agentmon_otlp::logs(&decode::<ExportLogsServiceRequest>(format, raw)?, target)
        }
        Signal::Traces => {
            agentmon_otlp::traces(&decode::<ExportTraceServiceRequest>(format, raw)?, target)
        }
        Signal::Metrics => {
            agentmon_otlp::metrics(&decode::<ExportMetricsServiceRequest>(format, raw)?, target)
        }
    })
}
