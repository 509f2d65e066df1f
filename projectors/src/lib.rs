//! Projectors turn the write-once event log into read models. An event
//! walks down these modules:
//!
//! 1. [`queue`]: ingest queues it; a batch claims it.
//! 2. `batch`: the sessions it touches are locked and folded from all of
//!    their stored events (`fold`, pure), in one transaction.
//! 3. [`Projector`]s ([`registry`]) turn the folds into the read models
//!    (`read_models`; sums over sessions use the `additive` engine).
//!
//! Around that walk: [`replay`] rebuilds what projectors derived, and
//! [`retention`] and [`erasure`] take sessions out (`removal`), holding
//! the org and session locks (`locks`); [`jobs`] runs those as jobs, [`maintenance`]
//! makes partitions and applies retention hourly, and the [`worker`] loop
//! on top runs batches, jobs and maintenance.

mod additive;
mod batch;
mod fold;
pub mod queue;
pub mod quiet;
mod read_models;

mod epochs;
mod locks;
mod projector;
mod registry;
mod removal;
mod sql;

pub mod alerts;
pub mod erasure;
pub mod jobs;
pub mod maintenance;
pub mod replay;
pub mod retention;
pub mod worker;

pub use projector::{Batch, Changes, Projector, ReplayScope};
pub use registry::registry;
pub use removal::Removed;
