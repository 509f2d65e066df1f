//! The read models, the end of an event's walk: one projector each, every
//! one a function of the folded sessions of a batch. Sessions, runs,
//! handoffs and users are upserted rows; rollups, breakdowns and tools are sums
//! kept by the additive engine ([`crate::additive`]).

pub mod breakdowns;
pub mod handoffs;
pub mod rollups;
pub mod runs;
pub mod sessions;
pub mod tools;
pub mod users;
