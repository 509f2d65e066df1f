//! The registry: every projector, in the order they run within a batch.
//! A new read model is one module under [`crate::read_models`] and one
//! line here.

use crate::additive::AdditiveProjector;
use crate::projector::Projector;
use crate::read_models::{breakdowns, handoffs, rollups, runs, sessions, tools, users};

/// Every projector, in the order they run within a batch.
pub fn registry() -> Vec<Box<dyn Projector>> {
    vec![
        Box::new(sessions::SessionsProjector),
        Box::new(runs::RunsProjector),
        Box::new(handoffs::HandoffsProjector),
        Box::new(users::UsersProjector),
        Box::new(AdditiveProjector(rollups::Rollups)),
        Box::new(AdditiveProjector(breakdowns::Breakdowns)),
        Box::new(AdditiveProjector(tools::Tools)),
    ]
}
