//! The answers of the OTLP specification: success with `partial_success`
//! (how many records were dropped, and why), or an error status with a
//! `google.rpc.Status`-shaped body in the request's encoding, and
//! `Retry-After` on 429 and 503.

use agentmon_core::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;

use super::body::{Format, Refusal};
use super::store::Dropped;
use super::Signal;

/// `google.rpc.Status`: the body of an OTLP error.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

fn encoded<M: Message + serde::Serialize>(
    format: Format,
    status: StatusCode,
    message: &M,
) -> Response {
    let body = match format {
        Format::Protobuf => message.encode_to_vec(),
        Format::Json => serde_json::to_vec(message).unwrap_or_default(),
    };
    (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response()
}

/// Success, saying what was dropped.
pub fn success(signal: Signal, format: Format, dropped: &Dropped) -> Response {
    match signal {
        Signal::Logs => encoded(format, StatusCode::OK, &dropped.logs()),
        Signal::Traces => encoded(format, StatusCode::OK, &dropped.traces()),
        Signal::Metrics => encoded(format, StatusCode::OK, &dropped.metrics()),
    }
}

/// A body that could not be read.
pub fn refused(format: Format, refusal: Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::UnsupportedType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
        Refusal::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
        Refusal::Malformed(m) => (StatusCode::BAD_REQUEST, m),
    };
    status_body(format, status, message, None)
}

/// An error of the call: credentials, limits, the database.
pub fn failed(format: Format, error: Error) -> Response {
    let (status, retry) = match &error {
        Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, None),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, None),
        Error::BadUserInput(_) | Error::NotFound(_) => (StatusCode::BAD_REQUEST, None),
        Error::RateLimited {
            retry_after_seconds,
            ..
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            Some((*retry_after_seconds).max(1)),
        ),
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, Some(5)),
        Error::Internal(e) => {
            tracing::error!(error = %e, "OTLP export failed");
            (StatusCode::SERVICE_UNAVAILABLE, Some(5))
        }
    };
    let message = match &error {
        Error::Internal(_) => "the export could not be stored now; send it again later".to_string(),
        other => other.to_string(),
    };
    status_body(format, status, message, retry)
}

/// The gRPC code of an HTTP status, as `google.rpc.Status` carries it.
pub fn grpc_code(status: StatusCode) -> i32 {
    match status.as_u16() {
        400 | 415 => 3, // INVALID_ARGUMENT
        401 => 16,      // UNAUTHENTICATED
        403 => 7,       // PERMISSION_DENIED
        413 | 429 => 8, // RESOURCE_EXHAUSTED
        503 => 14,      // UNAVAILABLE
        _ => 13,        // INTERNAL
    }
}

fn status_body(
    format: Format,
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
) -> Response {
    let mut response = encoded(
        format,
        status,
        &Status {
            code: grpc_code(status),
            message,
        },
    );
    if let Some(seconds) = retry_after {
        if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}
