//! GraphQL subscriptions over graphql-transport-ws on `/graphql`. The token
//! comes in the `connection_init` payload (`{"Authorization": "Bearer …"}`);
//! the connection keeps its expiry and a count of its subscriptions;
//! messages are size-limited and the server pings to keep the connection.
//!
//! A connection does not outlive its token: when it expires the server
//! closes the socket with code 4403 and runs nothing sent after. A user
//! holds at most [`MAX_CONNECTIONS_PER_USER`](super::connections::MAX_CONNECTIONS_PER_USER) connections per process.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::auth::{Principal, Role, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::Error;
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use tokio::sync::watch;

use super::request::{bearer, user_key};
use super::state::AppState;
use crate::gate::{membership, Presence};
use crate::graphql::errors::ToGraphql;
use crate::graphql::live::Connection;
use crate::graphql::RequestContext;
use crate::members::MemberCache;

/// Largest message a client may send.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How much is read from a connection at once.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// The close code for a connection whose credentials no longer hold.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// The close code for a connection over its user's request rate.
pub const CLOSE_TOO_MANY: u16 = 4429;

/// The subprotocol a client asked for, from `Sec-WebSocket-Protocol`.
pub fn protocol(headers: &axum::http::HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
}

pub fn serve(
    state: Arc<AppState>,
    upgrade: WebSocketUpgrade,
    protocol: WebSocketProtocols,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        // Clients send little (a subscribe, a pong). The default 128 KiB
        // read buffer is zeroed on every read and held per connection:
        // 1.3 GB and most of the CPU of a fan-out to 10,000 connections.
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| run(state, socket, protocol))
}

async fn run(state: Arc<AppState>, socket: WebSocket, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    // Set by connection_init: what the connection was granted.
    let (expiry_tx, mut expiry) = watch::channel(None::<Granted>);
    // Every operation sent over the socket counts against its user's
    // requests per minute; over the limit, the connection closes.
    let (over_tx, mut over) = watch::channel(None::<String>);
    let (granted, limiter) = (expiry.clone(), state.rates.requests.clone());
    // When the client was last heard from, in ms since the epoch.
    let heard = Arc::new(AtomicI64::new(Utc::now().timestamp_millis()));
    let heard_in = heard.clone();
    let input = stream
        .take_while(|message| futures::future::ready(message.is_ok()))
        .filter_map(move |message| {
            let (granted, limiter, over_tx) = (granted.clone(), limiter.clone(), over_tx.clone());
            heard_in.store(Utc::now().timestamp_millis(), Ordering::Relaxed);
            async move {
                let data = match message {
                    Ok(m @ (Message::Text(_) | Message::Binary(_))) => m.into_data(),
                    _ => return None,
                };
                let granted = granted
                    .borrow()
                    .as_ref()
                    .map(|g| (g.user.clone(), g.expires_at));
                if let Some((user, expires_at)) = granted {
                    if is_operation(&data) {
                        // Past its token's expiry an operation runs no
                        // more, even before the connection is closed.
                        if Utc::now() >= expires_at {
                            return None;
                        }
                        if let Err(e) = limiter.take(&user_key(&user), 1).await {
                            let _ = over_tx.send(Some(e.to_string()));
                            return None;
                        }
                    }
                }
                Some(data)
            }
        });
    let schema = state.schema.clone();
    let (db, presence, members) = (
        state.db.clone(),
        state.presence.clone(),
        state.members.clone(),
    );
    let mut recheck = tokio::time::interval(RECHECK);
    let every = state.live_ping;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let init_deadline = tokio::time::sleep(state.live_init_timeout);
    futures::pin_mut!(init_deadline);
    // No idle timeout on the client's messages: most graphql-ws clients
    // send none while they wait for updates. The server's pings find the
    // connections that are gone.
    let messages = async_graphql::http::WebSocket::new(schema, input, protocol)
        .on_connection_init(move |payload| connection_init(state, payload, expiry_tx));
    futures::pin_mut!(messages);
    let mut initialising = true;
    let mut failed_checks = 0;
    loop {
        let granted = expiry.borrow_and_update().clone();
        let left = granted
            .as_ref()
            .map(|g| (g.expires_at - Utc::now()).to_std().unwrap_or_default());
        let expired = async {
            match left {
                Some(left) => tokio::time::sleep(left).await,
                None => futures::future::pending().await,
            }
        };
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else { break };
                let message = match message {
                    WsMessage::Text(text) => Message::Text(text.into()),
                    WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame { code, reason: reason.into() })),
                };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            _ = expired => {
                let close = CloseFrame { code: CLOSE_FORBIDDEN, reason: "the token expired; connect again with a new one".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            changed = expiry.changed(), if initialising => initialising = changed.is_ok(),
            _ = &mut init_deadline, if granted.is_none() => {
                let close = CloseFrame { code: 4408, reason: "Connection initialisation timeout".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            _ = ping.tick() => {
                let silent = Utc::now().timestamp_millis() - heard.load(Ordering::Relaxed);
                if silent > 2 * every.as_millis() as i64 {
                    break; // nothing back, not even a pong: the client is gone
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = recheck.tick(), if granted.is_some() => {
                let Some(granted) = &granted else { continue };
                match granted.revoked(&db, &presence, &members).await {
                    Ok(None) => failed_checks = 0,
                    Ok(Some(reason)) => {
                        let close = CloseFrame { code: CLOSE_FORBIDDEN, reason: reason.into() };
                        let _ = sink.send(Message::Close(Some(close))).await;
                        break;
                    }
                    // Fail closed: a connection whose access cannot be
                    // checked for a while does not stay open.
                    Err(e) => {
                        failed_checks += 1;
                        if failed_checks >= 3 {
                            tracing::warn!(error = %e, "closing a live connection whose access cannot be checked");
                            let close = CloseFrame { code: 1011, reason: "access could not be checked; connect again".into() };
                            let _ = sink.send(Message::Close(Some(close))).await;
                            break;
                        }
                    }
                }
            }
            _ = over.changed() => {
                let reason = over.borrow().clone().unwrap_or_default();
                let close = CloseFrame { code: CLOSE_TOO_MANY, reason: reason.into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
        }
    }
}

/// How often a connection asks whether its user's role or access changed.
const RECHECK: Duration = Duration::from_secs(2);

/// What a connection was granted at `connection_init`.
#[derive(Debug, Clone)]
struct Granted {
    expires_at: DateTime<Utc>,
    /// The user as the token claims them, and the role that applied.
    user: UserPrincipal,
    role: Role,
}

impl Granted {
    /// Why the connection may no longer stay open, if it may not: access
    /// disabled, or a role other than the one it was opened with.
    async fn revoked(
        &self,
        db: &Db,
        presence: &Presence,
        members: &MemberCache,
    ) -> Result<Option<String>, Error> {
        match membership(db, presence, members, self.user.clone()).await {
            Err(Error::Forbidden(message)) => Ok(Some(message)),
            Err(e) => Err(e),
            Ok(now) if now.role != self.role => {
                Ok(Some("your role in the org changed; connect again".into()))
            }
            Ok(_) => Ok(None),
        }
    }
}

/// A graphql-transport-ws message that runs an operation.
fn is_operation(data: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(data)
        .is_ok_and(|m| m["type"] == "subscribe" || m["type"] == "start")
}

async fn connection_init(
    state: Arc<AppState>,
    payload: serde_json::Value,
    expiry: watch::Sender<Option<Granted>>,
) -> async_graphql::Result<Data> {
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            Error::Unauthenticated(
                "send {\"Authorization\": \"Bearer <JWT>\"} in connection_init".into(),
            )
            .to_graphql()
        })?;
    let token = bearer(Some(header)).map_err(|e| e.to_graphql())?;
    if agentmon_core::auth::ApiKeys::is_key(token) {
        return Err(Error::Forbidden(
            "API keys may only ingest; subscribe with a user token".into(),
        )
        .to_graphql());
    }
    let (claimed, expires_at) = state
        .auth
        .verify_with_expiry(token)
        .map_err(|e| e.to_graphql())?;
    let claimed = claimed.user().map_err(|e| e.to_graphql())?.clone();
    let user = membership(&state.db, &state.presence, &state.members, claimed.clone())
        .await
        .map_err(|e| e.to_graphql())?;
    let principal = Principal::User(user.clone());
    let held = state
        .connections
        .hold(
            &user_key(principal.user().map_err(|e| e.to_graphql())?),
            "live connections per user; close one first",
        )
        .map_err(|e| e.to_graphql())?;
    let _ = expiry.send(Some(Granted {
        expires_at,
        user: claimed,
        role: user.role,
    }));
    let mut data = Data::default();
    data.insert(RequestContext::new(
        Some(principal),
        format!("ws-{}", uuid::Uuid::new_v4()),
    ));
    data.insert(crate::graphql::loaders::Loaders::new(&state.db));
    data.insert(Connection {
        expires_at: Some(expires_at),
        subscriptions: Arc::new(AtomicUsize::new(0)),
    });
    data.insert(Arc::new(held));
    Ok(data)
}
