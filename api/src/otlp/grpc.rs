//! OTLP/gRPC: the three collector services on their own address
//! (`AGENTMON_OTLP_GRPC_LISTEN`), gzip accepted, the same credentials,
//! mapping and storing as OTLP/HTTP, errors as gRPC statuses
//! (UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE for the rate limit and
//! storage, which exporters retry). Messages are limited to 16 MiB, and
//! read only once their credential is checked ([`super::grpc_gate`]).

use agentmon_core::auth::ProducerPrincipal;
use agentmon_core::Error;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::auth;
use super::body::{within, Refusal, MAX_INFLATED_BYTES};
use super::grpc_gate::GateLayer;
use super::store::{store, Dropped};
use crate::http::AppState;

#[derive(Clone)]
struct Receiver(AppState);

pub(super) fn status(error: Error) -> Status {
    match error {
        Error::Unauthenticated(m) => Status::unauthenticated(m),
        Error::Forbidden(m) => Status::permission_denied(m),
        Error::BadUserInput(m) | Error::NotFound(m) => Status::invalid_argument(m),
        // UNAVAILABLE, which exporters retry with backoff: RESOURCE_EXHAUSTED
        // without retry information makes them drop the export.
        Error::RateLimited { message, .. } => Status::unavailable(message),
        Error::Unavailable(m) => Status::unavailable(m),
        Error::Internal(e) => {
            tracing::error!(error = %e, "OTLP export failed");
            Status::unavailable("the export could not be stored now; send it again later")
        }
    }
}

/// How a signal's export is counted and mapped.
type Reading<M> = (
    fn(&M) -> usize,
    fn(&M, agentmon_otlp::Target<'_>) -> agentmon_otlp::Mapped,
);

impl Receiver {
    /// Maps and stores one export of the request's producer.
    async fn take<M: Send + 'static>(
        &self,
        request: Request<M>,
        (count, map): Reading<M>,
    ) -> Result<Dropped, Status> {
        // Checked before the message was read ([`GateLayer`]), which every
        // route passes through.
        let producer = request
            .extensions()
            .get::<ProducerPrincipal>()
            .cloned()
            .ok_or_else(|| Status::internal("the call's credential was not checked"))?;
        let org = auth::single_org(&producer).map(str::to_string);
        let export = request.into_inner();
        if let Err(Refusal::TooLarge(m)) = within(count(&export)) {
            return Err(Status::invalid_argument(m));
        }
        // Mapping is CPU work: off the async threads.
        let mapped = tokio::task::spawn_blocking(move || {
            map(
                &export,
                agentmon_otlp::Target {
                    org: org.as_deref(),
                },
            )
        })
        .await
        .map_err(|e| Status::internal(format!("OTLP mapping: {e}")))?;
        store(&self.0, &producer, mapped).await.map_err(status)
    }
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let d = self
            .take(request, (agentmon_otlp::count::logs, agentmon_otlp::logs))
            .await?;
        Ok(Response::new(d.logs()))
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let d = self
            .take(
                request,
                (agentmon_otlp::count::traces, agentmon_otlp::traces),
            )
            .await?;
        Ok(Response::new(d.traces()))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let d = self
            .take(
                request,
                (agentmon_otlp::count::metrics, agentmon_otlp::metrics),
            )
            .await?;
        Ok(Response::new(d.metrics()))
    }
}

/// Serves OTLP/gRPC on `listener` (over TLS with `tls`) until `shutdown`
/// completes.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let receiver = Receiver(state.clone());
    let limit = MAX_INFLATED_BYTES as usize;
    let router = tonic::transport::Server::builder()
        .timeout(std::time::Duration::from_secs(30))
        .concurrency_limit_per_connection(32)
        .layer(GateLayer(state))
        .add_service(
            LogsServiceServer::new(receiver.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        )
        .add_service(
            TraceServiceServer::new(receiver.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        )
        .add_service(
            MetricsServiceServer::new(receiver)
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        );
    match tls {
        Some(acceptor) => {
            let incoming = crate::tls::grpc_incoming(listener, acceptor);
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await?
        }
        None => {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            router
                .serve_with_incoming_shutdown(incoming, shutdown)
                .await?
        }
    }
    Ok(())
}
