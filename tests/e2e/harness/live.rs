//! A graphql-transport-ws client, as a browser's graphql-ws would speak it.

use std::time::Duration;

use agentmon_core::bus::{Bus, Change};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct LiveClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl LiveClient {
    /// Connects to `ws://addr/graphql` and sends `connection_init` with
    /// `payload`; returns the client and the server's first answer.
    pub async fn connect(addr: &str, payload: Value) -> (LiveClient, Value) {
        let mut client = LiveClient::silent(addr).await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let answer = client
            .next(Duration::from_secs(10))
            .await
            .unwrap_or(Value::Null);
        (client, answer)
    }

    /// Connects with a bearer token and expects `connection_ack`.
    pub async fn signed_in(addr: &str, token: &str) -> LiveClient {
        let (client, answer) =
            LiveClient::connect(addr, json!({ "Authorization": format!("Bearer {token}") })).await;
        assert_eq!(answer["type"], "connection_ack", "{answer}");
        client
    }

    /// Waits `wait` without reading the connection: it answers no ping
    /// meanwhile, as a client that is gone would not.
    pub async fn deaf_for(&mut self, wait: Duration) {
        tokio::time::sleep(wait).await;
    }

    /// Whether the server ends the connection (a close frame, or the
    /// stream's end) within `wait`; false when it is still open then.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// A connection opened without `connection_init`.
    pub async fn silent(addr: &str) -> LiveClient {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .unwrap_or_else(|e| panic!("{e}"));
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let (ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        LiveClient { ws }
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// Publishes `change` on `bus` (with a fresh id each time), again every
    /// 500 ms, until this connection receives a message, and returns that
    /// message. A subscription hears only what is published after it is
    /// registered, so its answer is the positive sign that it is: no guess
    /// at how long registering takes. The change must name something the
    /// subscription answers for (an existing session of its org). Copies of
    /// the answer, to earlier probes, may still follow: skip them with
    /// [`LiveClient::next_besides`].
    pub async fn probe(&mut self, bus: &Bus, change: &Change) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            bus.publish(Change {
                id: uuid::Uuid::new_v4(),
                ..change.clone()
            })
            .await;
            if let Some(answer) = self.next(Duration::from_millis(500)).await {
                return answer;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no answer to any probe: the subscription never became active"
            );
        }
    }

    /// [`probe`](Self::probe) with a change of `session` of `org`: the
    /// subscription to that session is active once this answer comes.
    pub async fn probe_session(&mut self, bus: &Bus, org: uuid::Uuid, session: &str) -> Value {
        let change = Change {
            orgs: vec![org],
            sessions: vec![(org, session.to_string())],
            ..Default::default()
        };
        self.probe(bus, &change).await
    }

    /// The next message that is not a copy of one of `seen` (answers to
    /// probes, say), or None on timeout or close.
    pub async fn next_besides(&mut self, seen: &[&Value], wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.next(left).await?;
            if !seen.iter().any(|s| **s == message) {
                return Some(message);
            }
        }
    }

    /// The next protocol message other than pings, or None on timeout or close.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).ok()?;
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(frame) => {
                    return Some(json!({
                        "type": "closed",
                        "code": frame.as_ref().map(|f| u16::from(f.code)),
                        "reason": frame.map(|f| f.reason.to_string()),
                    }))
                }
                _ => continue,
            }
        }
    }
}
