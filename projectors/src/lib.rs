//! Projectors turn the write-once event log into read models: one module
//! per projector, one line in [`registry`] to register it. The [`worker`]
//! claims queued events and runs every projector in the same transaction;
//! [`replay`] rebuilds what projectors derived from the stored events.

mod breakdowns;
mod contributions;
pub mod fold;
mod handoffs;
mod projector;
mod rollups;
mod runs;
mod sessions;
mod sql;
mod users;

pub mod erasure;
pub mod jobs;
pub mod maintenance;
mod removal;
pub mod replay;
pub mod retention;
pub mod worker;

pub use projector::{Batch, Changes, Projector, ReplayScope};
pub use removal::Removed;

/// Every projector, in the order they run within a batch.
pub fn registry() -> Vec<Box<dyn Projector>> {
    vec![
        Box::new(sessions::SessionsProjector),
        Box::new(runs::RunsProjector),
        Box::new(handoffs::HandoffsProjector),
        Box::new(users::UsersProjector),
        Box::new(rollups::RollupsProjector),
        Box::new(breakdowns::BreakdownsProjector),
    ]
}
