//! `/healthz`: the process is up. `/readyz`: and its database answers.

use axum::extract::State;
use axum::http::StatusCode;

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

/// Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}
