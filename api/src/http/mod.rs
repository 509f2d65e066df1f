//! The HTTP surface of one server: `/graphql`, `/graphiql`,
//! `/schema.graphql`, `/healthz`, `/readyz` and the static dashboard.

pub mod assets;
mod export;

pub use export::MAX_CONCURRENT_EXPORTS;
pub(crate) mod graphql;
mod health;
mod static_files;
pub mod websocket;

use std::time::Duration;

use agentmon_core::auth::Authenticator;
use agentmon_core::storage::db::Db;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::AppSchema;

/// Requests with a larger body get 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The token of an `Authorization: Bearer <token>` value (the scheme in any
/// case), the one reading of it for HTTP, websockets and exports.
pub fn bearer(value: Option<&str>) -> Result<&str, agentmon_core::Error> {
    value
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            agentmon_core::Error::Unauthenticated(
                "send `Authorization: Bearer <token>` (a JWT, or an API key for producers)".into(),
            )
        })
}

#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub auth: Authenticator,
    pub db: Db,
    /// Where the dashboard's files come from (the binary, or a folder).
    pub web: assets::Source,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Producer API keys.
    pub keys: agentmon_core::auth::ApiKeys,
    /// Signed-in users seen, written now and then.
    pub presence: crate::gate::Presence,
    /// Open websocket connections per user.
    pub connections: websocket::OpenConnections,
    /// When set, `/metrics` answers only requests bearing it.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Longest a request may take to produce its response.
    pub request_timeout: Duration,
    /// The rate limits (the same as the schema's).
    pub rates: crate::graphql::RateLimits,
    /// Slots for CSV exports streaming at once.
    pub exports: std::sync::Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// A server over `services` (whose keys and rate limits it shares)
    /// with the defaults: the dashboard from the binary, `/metrics` open,
    /// 30 s per request, [`MAX_CONCURRENT_EXPORTS`] exports at once.
    pub fn new(
        services: &crate::graphql::Services,
        schema: AppSchema,
        auth: Authenticator,
    ) -> AppState {
        AppState {
            schema,
            auth,
            db: services.db.clone(),
            web: assets::Source::Embedded,
            metrics: crate::metrics::handle(),
            keys: services.keys.clone(),
            presence: Default::default(),
            connections: Default::default(),
            metrics_token: None,
            request_timeout: Duration::from_secs(30),
            rates: services.rates.clone(),
            exports: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_EXPORTS)),
        }
    }
}

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
        .with_state(state)
}
