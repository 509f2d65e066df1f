//! Ingest: a producer's batch checked against every rule of SPEC section 2
//! and stored — duplicates counted and not stored again, session and run
//! ownership claimed and committed first, then the accepted events of the
//! call with their projection-queue rows in one transaction.
//! From here the worker takes the queue (see the projectors crate).

mod admission;
mod batch;
mod claims;
mod current_run;
mod outcome;
mod rules;
mod store;
mod stored;

pub use batch::ingest;
pub use current_run::join_current_runs;
pub use outcome::IngestOutcome;
pub use store::EVENTS_CHANNEL;
pub use stored::already_stored;
