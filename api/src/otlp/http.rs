//! The OTLP/HTTP routes, one handler for the three signals.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use std::sync::Arc;

use crate::http::{peer_ip, Peer};
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use super::body::{decode, inflate, within, Format, Refusal};
use super::store::store;
use super::{answer, auth, Signal};
use crate::http::{AppState, MAX_BODY_BYTES};

/// `/otlp/v1/logs`, `/otlp/v1/traces`, `/otlp/v1/metrics`: so that
/// `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port/otlp` works.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/otlp/v1/logs",
            post(|s, h, p, b| export(Signal::Logs, s, h, p, b)),
        )
        .route(
            "/otlp/v1/traces",
            post(|s, h, p, b| export(Signal::Traces, s, h, p, b)),
        )
        .route(
            "/otlp/v1/metrics",
            post(|s, h, p, b| export(Signal::Metrics, s, h, p, b)),
        )
        // The size is checked in `export`, so that a body too large gets
        // an OTLP answer rather than the server's plain one.
        .layer(DefaultBodyLimit::disable())
}

async fn export(
    signal: Signal,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Peer,
    body: Body,
) -> Response {
    // The server's own timeout counts from about now, reading the body
    // and mapping it included.
    let started = std::time::Instant::now();
    let format = match Format::of(&headers) {
        Ok(format) => format,
        // The answer of an unknown encoding is JSON, the readable one.
        Err(refusal) => return answer::refused(Format::Json, refusal),
    };
    // The credential first: a body is read, inflated and decoded only for
    // a sender known to be allowed.
    let producer = match auth::producer(&state, &headers, peer_ip(&peer)).await {
        Ok(p) => p,
        Err(e) => return answer::failed(format, e),
    };
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let too_large = Refusal::TooLarge(format!(
                "the body is over {MAX_BODY_BYTES} bytes as sent (or could not be read): send smaller batches"
            ));
            return answer::refused(format, too_large);
        }
    };
    // Inflating, decoding and mapping are CPU work: off the async threads.
    let org = auth::single_org(&producer).map(str::to_string);
    let work = tokio::task::spawn_blocking(move || {
        inflate(&headers, body).and_then(|raw| map(signal, format, &raw, org.as_deref()))
    });
    let mapped = match work.await {
        Ok(Ok(mapped)) => mapped,
        Ok(Err(refusal)) => return answer::refused(format, refusal),
        Err(e) => {
            return answer::failed(
                format,
                agentmon_core::Error::internal(format!("OTLP mapping: {e}")),
            )
        }
    };
    // Before the server's own timeout (a 408, which exporters do not
    // retry): a 503 they retry; calls stored already are duplicates then.
    // The margin leaves time to answer: 1 s, or a quarter of a shorter
    // timeout.
    let timeout = state.request_timeout;
    let deadline = timeout
        .saturating_sub(std::time::Duration::from_secs(1).min(timeout / 4))
        .saturating_sub(started.elapsed());
    match tokio::time::timeout(deadline, store(&state, &producer, mapped)).await {
        Ok(Ok(dropped)) => answer::success(signal, format, &dropped),
        Ok(Err(e)) => answer::failed(format, e),
        Err(_) => answer::failed(
            format,
            agentmon_core::Error::Unavailable(
                "the export could not be stored in time; send it again (what was stored already counts once)".into(),
            ),
        ),
    }
}

fn map(
    signal: Signal,
    format: Format,
    raw: &[u8],
    org: Option<&str>,
) -> Result<agentmon_otlp::Mapped, Refusal> {
    let target = agentmon_otlp::Target { org };
    match signal {
        Signal::Logs => {
            let r = decode::<ExportLogsServiceRequest>(format, raw)?;
            within(agentmon_otlp::count::logs(&r))?;
            Ok(agentmon_otlp::logs(&r, target))
        }
        Signal::Traces => {
            let r = decode::<ExportTraceServiceRequest>(format, raw)?;
            within(agentmon_otlp::count::traces(&r))?;
            Ok(agentmon_otlp::traces(&r, target))
        }
        Signal::Metrics => {
            let r = decode::<ExportMetricsServiceRequest>(format, raw)?;
            within(agentmon_otlp::count::metrics(&r))?;
            Ok(agentmon_otlp::metrics(&r, target))
        }
    }
}
