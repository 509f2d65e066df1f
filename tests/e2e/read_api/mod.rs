//! The read API: every query of the contract, with SPEC section 3's
//! figures, to exactly the callers SPEC section 4 allows.

mod adoption;
mod breakdowns;
mod expect;
mod export;
mod figures;
mod hourly;
mod ordering;
mod pagination;
mod permissions;
mod run_filters;
mod titles;
mod tokens;
mod trends;
