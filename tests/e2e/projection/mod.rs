//! Projection: read models exact under any arrival order, repetition,
//! batching, number of workers, crash, poison event and replay.

mod kill;
mod model;
mod poison;
mod property;
mod replay;
mod stream;
mod timezone;
mod verify;
mod workers;
