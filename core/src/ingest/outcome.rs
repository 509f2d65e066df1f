//! What a call's events came to: accepted, duplicates, rejected with why.

use crate::event::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
}
