//! Projectors turn the write-once event log into read models. The worker
//! and the read models arrive with the projectors issue; the trait is here
//! so that they have one shape from the start.
