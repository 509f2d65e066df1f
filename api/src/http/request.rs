//! What the HTTP handlers read off a request the same way: the request id,
//! the bearer token, and the key a signed-in user's request rate is kept
//! under.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::Error;
use axum::http::{header, HeaderMap, HeaderName};

/// The header that carries a request's id (set when the client sent none,
/// and returned with the response).
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, or "" when it has none.
pub fn request_id(headers: &HeaderMap) -> &str {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The `Authorization` header's value, when there is one in text.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// The token of an `Authorization: Bearer <token>` value (the scheme in any
/// case), the one reading of it for HTTP, websockets and exports.
pub fn bearer(value: Option<&str>) -> Result<&str, Error> {
    value
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Error::Unauthenticated(
                "send `Authorization: Bearer <token>` (a JWT, or an API key for producers)".into(),
            )
        })
}

/// A signed-in user's rate-limit key: the same person in another org has
/// a budget of their own.
pub fn user_key(user: &UserPrincipal) -> String {
    format!("{}:{}", user.org.as_deref().unwrap_or("*"), user.sub)
}

/// The address a request came from, when the server was started with it
/// (`agentmon serve`; not in-process tests).
pub type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// The IP address of `peer`.
pub fn peer_ip(peer: &Peer) -> Option<std::net::IpAddr> {
    peer.as_ref().map(|p| p.0 .0.ip())
}
