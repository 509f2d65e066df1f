//! Model calls, tool calls and code changes (SPEC section 11) through the
//! whole pipeline.

mod grpc;
mod ingest;
mod otlp;
mod prices;
mod receiver;
mod reference;
mod runs;
mod tool_sessions;
mod waste;
