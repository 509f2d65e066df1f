//! Users: the `User` node, its fields, their figures and lists, search.

pub mod node;
pub mod object;
pub mod search;
pub mod stats;
