//! Metric maths shared by the projectors and the read API.

pub mod kpis;
pub mod pricing;
pub mod sketch;
