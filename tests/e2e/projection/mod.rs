//! Projection: read models exact under any arrival order, repetition,
//! batching, number of workers, crash, poison event and replay.

mod kill;
mod listen;
pub mod model;
mod poison;
mod property;
mod replay;
pub mod stream;
mod timezone;
mod users;
pub mod verify;
mod workers;
