//! Sessions: the filter, the lists (default walk and ordered), one
//! session with its runs and its timeline.

pub mod filter;
pub mod list;
pub mod object;
pub mod order;
pub mod run;
pub mod timeline;
