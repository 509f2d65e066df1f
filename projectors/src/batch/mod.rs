//! One batch inside a transaction, the second step of an event's walk:
//! from claimed queue rows to the sessions they touch, each folded from
//! its kept state and the new events, or from its history when it has no
//! state ([`folds`], [`states`]), under the org and session locks
//! ([`orgs`], [`crate::locks`]); then every projector runs on the folds
//! ([`run`]). The worker and replay build on this; retention and erasures
//! take the same session locks.

pub mod folds;
pub mod orgs;
pub mod project;
pub mod run;
pub mod states;

pub use folds::{fold_sessions, Excluded, Locks};
pub use project::project;
pub use run::run_projectors;
