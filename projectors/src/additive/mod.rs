//! The additive-projection engine: read models that are sums over
//! sessions (per day), kept exact under re-folds, erasures and retention.
//!
//! Each session's contribution is stored ([`store`]); when a session is
//! folded again, the difference between its new and its stored
//! contribution is applied to the sum rows as atomic increments, in key
//! order so that concurrent workers cannot deadlock. Removing sessions
//! subtracts what they contributed; forgetting days deletes the sum rows
//! before the cutoff and trims the stored contributions to match.
//!
//! A read model of this kind declares its tables, its contribution type and
//! how a folded session contributes ([`AdditiveModel`]); wrapped in an
//! [`AdditiveProjector`] it is a [`crate::Projector`].

pub mod increment;
pub mod model;
pub mod projector;
pub mod store;

pub use model::{AdditiveModel, Contribution, Deltas, Tables};
pub use projector::AdditiveProjector;
