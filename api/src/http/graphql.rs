//! `/graphql` over HTTP and `/schema.graphql`: the bearer token becomes the
//! request's principal, bodies over 8 MiB get 413, malformed JSON 400,
//! mutations are refused over GET, and every error leaves with
//! `extensions.code`. A GET that asks for a websocket is handed to
//! [`super::websocket`].

use agentmon_core::auth::Principal;
use agentmon_core::Error;
use async_graphql::http::parse_query_string;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Response as GqlResponse};
use axum::body::Bytes;
use axum::extract::ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use std::net::IpAddr;
use std::sync::Arc;

use super::ingest_body;
use super::request::{bearer, peer_ip, request_id, user_key, Peer};
use super::state::AppState;
use super::websocket;
use crate::graphql::errors::{complete_errors, ToGraphql};
use crate::graphql::RequestContext;

pub async fn post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> Response {
    let request = match ingest_body::read(&body) {
        Some(request) => request,
        None => match parse_body(&body) {
            Ok(request) => request,
            Err(response) => return response,
        },
    };
    // With read replicas, a query (not a mutation) reads from one of them,
    // unless the client asks to read its own writes.
    let reads = state.db.replicas().is_some()
        && !wants_primary(&headers)
        && !is_mutation(&request.query, request.operation_name.as_deref());
    execute(
        &state,
        &headers,
        peer_ip(&peer),
        BatchRequest::Single(request),
        reads,
    )
    .await
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
    peer: Peer,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let (Ok(upgrade), Some(protocol)) = (upgrade, websocket::protocol(&headers)) {
        return websocket::serve(state, upgrade, protocol);
    }
    let request = match parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => request,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("the query string is not a GraphQL request: {e}"),
                "BAD_USER_INPUT",
            )
        }
    };
    if is_mutation(&request.query, request.operation_name.as_deref()) {
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
            "BAD_USER_INPUT",
        );
    }
    execute(
        &state,
        &headers,
        peer_ip(&peer),
        BatchRequest::Single(request),
        !wants_primary(&headers),
    )
    .await
}

/// The header a client sends, after a write of its own, so that its next
/// queries read from the primary (and see that write) rather than from a
/// replica that may not have it yet.
pub const READ_PRIMARY: &str = "x-agentmon-read";

fn wants_primary(headers: &HeaderMap) -> bool {
    headers
        .get(READ_PRIMARY)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"primary"))
}

pub async fn sdl(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        state.schema.sdl(),
    )
}

/// Runs the request; one that only `reads` (a query) gets its request
/// connections from a read replica when one is usable.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    batch: BatchRequest,
    reads: bool,
) -> Response {
    let request_id = request_id(headers).to_string();
    let principal = match principal(state, headers, peer).await {
        Ok(principal) => principal,
        Err(e) => {
            let mut response = GqlResponse::from_errors(vec![e
                .to_graphql()
                .into_server_error(Default::default())]);
            complete_errors(&mut response, &request_id);
            return Json(response).into_response();
        }
    };
    if let Some(Principal::User(user)) = &principal {
        if let Err(e) = state.rates.requests.take(&user_key(user), 1).await {
            let mut response = GqlResponse::from_errors(vec![e
                .to_graphql()
                .into_server_error(Default::default())]);
            complete_errors(&mut response, &request_id);
            return Json(response).into_response();
        }
    }
    let context = RequestContext::new(principal, request_id.clone());
    // The request's Db (request data comes before the schema's): the
    // loaders and every resolver read from the same place.
    let db = if reads {
        state.db.for_reads()
    } else {
        state.db.clone()
    };
    let loaders = crate::graphql::loaders::Loaders::new(&db);
    let batch = batch.data(db).data(context).data(loaders);
    let mut response = state.schema.execute_batch(batch).await;
    match &mut response {
        BatchResponse::Single(r) => complete_errors(r, &request_id),
        BatchResponse::Batch(rs) => rs.iter_mut().for_each(|r| complete_errors(r, &request_id)),
    }
    Json(response).into_response()
}

/// No header: an anonymous request (fields that need a viewer say so). A
/// header with a bad token fails the whole request.
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Option<Principal>, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = bearer(value.to_str().ok())?;
    state
        .gate(peer)
        .principal(token)
        .await
        .map(|(principal, _)| Some(principal))
}

/// One GraphQL operation from a POST body: an object, or a batch of one.
/// The object is read directly: `BatchRequest`'s untagged form buffers the
/// whole body in an intermediate tree before reading it again, which was a
/// third of the server's work on a 1,000-event `ingestEvents` call.
#[allow(clippy::result_large_err)]
fn parse_body(body: &[u8]) -> Result<async_graphql::Request, Response> {
    let malformed = |e: serde_json::Error| {
        error_response(
            StatusCode::BAD_REQUEST,
            &format!("the body is not a GraphQL request in JSON: {e}"),
            "BAD_USER_INPUT",
        )
    };
    if body.trim_ascii_start().first() != Some(&b'[') {
        return serde_json::from_slice(body).map_err(malformed);
    }
    let mut requests: Vec<async_graphql::Request> =
        serde_json::from_slice(body).map_err(malformed)?;
    match requests.len() {
        1 => Ok(requests.remove(0)),
        // One operation per request: a batch would multiply the limits on
        // events per call, depth and complexity by its length.
        n => Err(error_response(
            StatusCode::BAD_REQUEST,
            &format!(
                "send one GraphQL operation per request; this one holds {n} (batching is off)"
            ),
            "BAD_USER_INPUT",
        )),
    }
}

fn is_mutation(query: &str, operation: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    document.operations.iter().any(|(name, op)| {
        let selected = match (operation, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && op.node.ty == OperationType::Mutation
    })
}

fn error_response(status: StatusCode, message: &str, code: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, Json(body)).into_response()
}
