//! An export's error as HTTP: the status of its code, and the message and
//! code as a GraphQL-style JSON body (with `Retry-After` when rate
//! limited).

use agentmon_core::Error;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error as HTTP: the status of its code, the message as JSON.
pub fn failure(e: &Error) -> Response {
    let status = match e {
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::BadUserInput(_) => StatusCode::BAD_REQUEST,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(inner) => {
            tracing::error!(error = ?inner, "export failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let message = match e {
        Error::Internal(_) => "internal error".to_string(),
        other => other.to_string(),
    };
    let mut extensions = serde_json::json!({ "code": e.code() });
    let retry_after = match e {
        Error::RateLimited {
            retry_after_seconds,
            ..
        } => Some(*retry_after_seconds),
        _ => None,
    };
    if let Some(seconds) = retry_after {
        extensions["retryAfterSeconds"] = seconds.into();
    }
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}
