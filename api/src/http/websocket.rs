//! GraphQL subscriptions over graphql-transport-ws on `/graphql`. The token
//! comes in the `connection_init` payload (`{"Authorization": "Bearer …"}`);
//! the connection keeps its expiry and a count of its subscriptions;
//! messages are size-limited and the server pings to keep the connection.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::Error;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Data, ErrorExtensions};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;

use super::AppState;
use crate::graphql::live::Connection;
use crate::graphql::loaders::UserLoader;
use crate::graphql::RequestContext;

/// Largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How often the server pings an idle connection.
const KEEPALIVE: Duration = Duration::from_secs(20);

pub fn serve(state: AppState, upgrade: WebSocketUpgrade, protocol: GraphQLProtocol) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let schema = state.schema.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| connection_init(state, payload))
                .keepalive_timeout(KEEPALIVE)
                .serve()
        })
}

async fn connection_init(
    state: AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<Data> {
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            Error::Unauthenticated(
                "send {\"Authorization\": \"Bearer <JWT>\"} in connection_init".into(),
            )
            .extend()
        })?;
    let token = header.strip_prefix("Bearer ").ok_or_else(|| {
        Error::Unauthenticated("the Authorization value must be `Bearer <JWT>`".into()).extend()
    })?;
    let (principal, expires_at) = state
        .auth
        .verify_with_expiry(token.trim())
        .map_err(|e| e.extend())?;
    let mut data = Data::default();
    data.insert(RequestContext::new(
        Some(principal),
        format!("ws-{}", uuid::Uuid::new_v4()),
    ));
    data.insert(Arc::new(DataLoader::new(
        UserLoader {
            db: state.db.clone(),
        },
        tokio::spawn,
    )));
    data.insert(Connection {
        expires_at: Some(expires_at),
        subscriptions: Arc::new(AtomicUsize::new(0)),
    });
    Ok(data)
}
