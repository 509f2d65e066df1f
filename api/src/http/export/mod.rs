//! `/export/sessions.csv` and `/export/users.csv`: the same filters and
//! permissions as the GraphQL queries; `/export/user.jsonl`: one user's
//! profile and every stored event (ORG_ADMIN, SUPER_ADMIN; audited). All
//! stream page by page (a large org never sits in memory); CSV is quoted by
//! the `csv` crate, and cells that a spreadsheet would run as a formula are
//! defused with a leading `'`.

mod params;
mod sessions;
mod user_data;
mod users;

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use super::AppState;
use crate::graphql::access;

pub use sessions::sessions_csv;
pub use user_data::user_jsonl;
pub use users::users_csv;

/// Rows fetched per page while streaming.
const PAGE: i64 = 500;

/// Who asks, and for which org: 401, 403 or 404 otherwise.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    capability: Capability,
) -> Result<(UserPrincipal, Org), Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = super::bearer(header).map_err(|e| failure(&e))?;
    let (principal, _) = crate::gate::principal(state, token)
        .await
        .map_err(|e| failure(&e))?;
    let viewer = principal.user().map_err(|e| failure(&e))?.clone();
    state
        .rates
        .requests
        .take(&super::graphql::user_key(&viewer), 1)
        .await
        .map_err(|e| failure(&e))?;
    let org = access::find_org(
        &state.db,
        &Default::default(),
        &viewer,
        slug,
        capability,
        access::Access::Export,
    )
    .await
    .map_err(|e| failure(&e))?;
    Ok((viewer, org))
}

/// An error as HTTP: the status of its code, the message as JSON.
fn failure(e: &Error) -> Response {
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

/// A spreadsheet runs a cell that starts with = + - @ as a formula.
fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// Encodes records as CSV bytes.
fn encode(records: &[Vec<String>]) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(record.iter().map(|v| cell(v)));
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// Exports one server streams at once; more wait for `RATE_LIMITED`.
pub const MAX_CONCURRENT_EXPORTS: usize = 4;

/// A streaming CSV response fed by `producer` through a bounded channel,
/// while holding one of the server's export slots.
fn stream_csv<F>(state: &AppState, filename: &str, header_row: &[&str], producer: F) -> Response
where
    F: FnOnce(
            mpsc::Sender<Result<Bytes, std::io::Error>>,
        ) -> futures::future::BoxFuture<'static, ()>
        + Send
        + 'static,
{
    let head = encode(&[header_row.iter().map(|h| h.to_string()).collect()]);
    stream(state, filename, "text/csv; charset=utf-8", head, producer)
}

/// A streaming download fed by `producer` through a bounded channel, while
/// holding one of the server's export slots; `head` goes first.
fn stream<F>(
    state: &AppState,
    filename: &str,
    content_type: &str,
    head: Bytes,
    producer: F,
) -> Response
where
    F: FnOnce(
            mpsc::Sender<Result<Bytes, std::io::Error>>,
        ) -> futures::future::BoxFuture<'static, ()>
        + Send
        + 'static,
{
    let Ok(slot) = state.exports.clone().try_acquire_owned() else {
        return failure(&Error::RateLimited {
            message: format!(
                "this server streams at most {MAX_CONCURRENT_EXPORTS} exports at once; retry shortly"
            ),
            retry_after_seconds: 5,
        });
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let first = tx.clone();
    tokio::spawn(async move {
        if first.send(Ok(head)).await.is_ok() {
            producer(first).await;
        }
        drop(slot);
    });
    drop(tx);
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
