//! The projection queue, where the walk of an event begins: ingest queues
//! each stored event; a batch claims ready rows ([`claim`]); a failing
//! event is retried with backoff or moved to the dead letters
//! ([`failure`]), which can be put back ([`dead_letters`]).

pub mod claim;
pub mod dead_letters;
pub mod failure;

pub use claim::{claim, Claimed};
pub use dead_letters::requeue_dead_letters;
