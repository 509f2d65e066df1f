//! agentmon's domain, shared by the projectors and the API: configuration,
//! storage (pool, migrations, the embedded PostgreSQL), the event envelope
//! and its validation, authentication, and the one error type.

pub mod alerts;
pub mod auth;
pub mod bus;
pub mod cache;
pub mod error;
pub mod event;
pub mod generate;
pub mod ingest;
pub mod limits;
pub mod metrics;
pub mod storage;

pub use error::{Error, Result};
