//! A real HTTP receiver on a loopback port: it records every request
//! (path, headers, body) and answers with the statuses it is told, in
//! order (then 200). A status of 302 redirects to `/elsewhere`; a status
//! of 0 holds the request open and never answers (a receiver that hangs).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
struct State {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

pub struct Receiver {
    pub addr: String,
    state: State,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = State::default();
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = shared.clone();
            async move {
                state
                    .received
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Received {
                        path: uri.to_string(),
                        headers,
                        body,
                    });
                let status = state
                    .answers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .pop_front()
                    .unwrap_or(200);
                if status == 0 {
                    std::future::pending::<()>().await;
                }
                let mut response: Response = StatusCode::from_u16(status)
                    .unwrap_or(StatusCode::OK)
                    .into_response();
                if status == 302 {
                    response.headers_mut().insert(
                        axum::http::header::LOCATION,
                        axum::http::HeaderValue::from_static("/elsewhere"),
                    );
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, state }
    }

    /// Answers the next requests with these statuses.
    pub fn answer(&self, statuses: &[u16]) {
        self.state
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// `X-Agentmon-Signature` of `body` with `secret`, computed here apart
/// from the server's code.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}
