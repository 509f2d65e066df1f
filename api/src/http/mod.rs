//! The HTTP surface of one server: `/graphql`, `/graphiql`,
//! `/schema.graphql`, `/healthz`, `/readyz`, `/metrics`, the exports and
//! the static dashboard. This module only declares its modules and builds the
//! router from them:
//!
//! - `state`: what the handlers share ([`AppState`]);
//! - `request`: the request id, the bearer token, a user's rate key;
//! - `graphql`: `/graphql` over HTTP and `/schema.graphql`, with
//!   `ingest_body` reading an `ingestEvents` call's events in one pass;
//! - `websocket`: subscriptions over graphql-transport-ws on `/graphql`,
//!   with `connections` counting each user's open ones;
//! - `export`: the CSV and JSON-lines downloads;
//! - `health`: `/healthz`, `/readyz`, `/metrics`;
//! - `static_files` and `assets`: the dashboard and GraphiQL;
//! - the OpenTelemetry receiver's routes come from [`crate::otlp`].

pub mod assets;
mod connections;
mod export;
pub(crate) mod graphql;
mod health;
pub(crate) mod ingest_body;
mod request;
mod state;
mod static_files;
pub mod websocket;

pub use request::{bearer, peer_ip, Peer, REQUEST_ID};
pub use state::{AppState, MAX_CONCURRENT_EXPORTS};

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Requests with a larger body get 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Every route of one server over `state`, with the body limit, the
/// timeout, `nosniff`, request ids and a span per request.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        })
        .on_response(
            |res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "served");
            },
        );
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/schema.graphql", get(graphql::sdl))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/export/sessions.csv", get(export::sessions_csv))
        .route("/export/users.csv", get(export::users_csv))
        .route("/export/user.jsonl", get(export::user_jsonl))
        .merge(crate::otlp::routes())
        .merge(static_files::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.request_timeout,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(Arc::new(state))
}
