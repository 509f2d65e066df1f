//! The OpenTelemetry receiver: OTLP/HTTP at `/otlp/v1/{logs,traces,metrics}`
//! (protobuf or JSON, gzip or not), and OTLP/gRPC on an address of its own
//! ([`grpc`]). A request is read ([`body`]), its
//! sender's key checked ([`auth`]), its records mapped to events by
//! `agentmon_otlp`, and the events stored as `ingestEvents` stores them
//! ([`crate::produce`]); the answer follows the OTLP specification
//! ([`answer`]).

mod answer;
mod auth;
mod body;
mod grpc;
mod grpc_gate;
mod http;
mod store;

pub use grpc::serve as serve_grpc;
pub use http::routes;

/// The three OTLP signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Logs,
    Traces,
    Metrics,
}
