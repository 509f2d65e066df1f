//! The credential of an OTLP/gRPC call, checked before its message is read:
//! tonic decodes (and inflates) the whole message before a service method
//! runs, so an unauthenticated caller could otherwise make the server
//! inflate and decode up to the message limit. The producer found travels
//! to the method in the request's extensions.

use std::net::IpAddr;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use super::auth;
use crate::http::AppState;

/// Wraps the gRPC services with [`Gated`].
#[derive(Clone)]
pub struct GateLayer(pub AppState);

impl<S> Layer<S> for GateLayer {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            state: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Gated<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<axum::http::Request<Body>> for Gated<S>
where
    S: Service<axum::http::Request<Body>, Response = axum::http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: axum::http::Request<Body>) -> Self::Future {
        // The clone that was made ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let peer = peer(&request);
            match auth::producer(&state, request.headers(), peer).await {
                Ok(producer) => {
                    request.extensions_mut().insert(producer);
                    inner.call(request).await
                }
                Err(e) => Ok(super::grpc::status(e).into_http()),
            }
        })
    }
}

/// The caller's address, over TCP or TLS.
fn peer(request: &axum::http::Request<Body>) -> Option<IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        })
        .and_then(TcpConnectInfo::remote_addr)
        .map(|a| a.ip())
}
