//! The test harness: a real PostgreSQL, the router driven in-process, token
//! minting and event builders.

mod app;
mod events;
mod postgres;
pub mod read_models;

pub use app::{error_code, TestApp, SECRET};
pub use events::{event, EventBuilder};
pub use postgres::TestDb;
