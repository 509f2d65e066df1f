//! Reading the daily rollups: sums, distinct active users and sketch
//! buckets over a range of days, for an org, a user or every org. Each query
//! reads at most one row per day (and key), whatever the number of events.

mod pieces;
mod ranking;
mod scope;
#[macro_use]
mod sums;
mod adoption;

pub use adoption::{adoption, Adoption};
pub use ranking::*;
pub use scope::Scope;
pub use sums::*;
