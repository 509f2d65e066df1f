//! The agentmon server and command line: GraphQL over axum, the embedded
//! defaults, and the commands of the `agentmon` binary.

pub mod actions;
pub mod cli;
pub mod commands;
pub mod data_dir;
pub mod demo;
pub mod gate;
pub mod graphql;
pub mod http;
pub mod logging;
pub mod members;
pub mod metrics;
pub mod otlp;
pub mod produce;
pub mod rate_limits;
pub mod refusals;
pub mod storage;
pub mod tls;

pub use http::{router, AppState};
