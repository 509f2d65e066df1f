//! The test harness: a real PostgreSQL, the router driven in-process, token
//! minting and event builders.

mod app;
pub mod batches;
mod events;
pub mod live;
mod postgres;
pub mod process;
pub mod read_models;
pub mod redis;
pub mod replication;

pub use app::{error_code, TestApp, METRICS_TOKEN, SECRET};
pub use events::{event, EventBuilder};
pub use postgres::TestDb;
