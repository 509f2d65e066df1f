//! `/healthz`: the process is up. `/readyz`: and its database answers.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// Prometheus text format; with a metrics token configured, only for a
/// request that carries it.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let matches = super::bearer(given).is_ok_and(|token| {
            use subtle::ConstantTimeEq;
            token
                .as_bytes()
                .ct_eq(expected.expose_secret().as_bytes())
                .into()
        });
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                "send `Authorization: Bearer <AGENTMON_METRICS_TOKEN>`\n",
            )
                .into_response();
        }
    }
    state.metrics.render().into_response()
}
