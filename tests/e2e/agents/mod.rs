//! Model calls, tool calls and code changes (SPEC section 11) through the
//! whole pipeline.

mod ingest;
mod otlp;
mod reference;
