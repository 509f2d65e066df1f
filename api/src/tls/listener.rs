//! Accepting TLS connections: TCP connections are taken as they come and
//! their handshakes run each in a task of its own (at most
//! [`HANDSHAKE_TIMEOUT`], at most [`MAX_HANDSHAKES`] at once), so a slow or
//! silent client holds up no other;
//! finished handshakes are handed to axum ([`TlsListener`]) or to tonic
//! ([`grpc_incoming`]).

use std::net::SocketAddr;
use std::time::Duration;

use futures::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Longest a client may take to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Most handshakes in progress at once: past it, new connections wait in
/// the kernel's backlog (a flood of hellos cannot take every descriptor).
pub const MAX_HANDSHAKES: usize = 512;

type Accepted = (TlsStream<TcpStream>, SocketAddr);

/// Accepts on `listener` until the receiver is dropped.
fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor) -> mpsc::Receiver<Accepted> {
    let (tx, rx) = mpsc::channel::<Accepted>(64);
    let handshakes = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = handshakes.clone().acquire_owned().await else {
                return;
            };
            let (tcp, peer) = tokio::select! {
                _ = tx.closed() => return,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, go on.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                let _permit = permit;
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => {
                        let _ = tx.send((tls, peer)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    rx
}

/// An axum listener that speaks TLS.
pub struct TlsListener {
    local: SocketAddr,
    accepted: mpsc::Receiver<Accepted>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        Ok(TlsListener {
            local: listener.local_addr()?,
            accepted: accept_loop(listener, acceptor),
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(accepted) => accepted,
            // The accept loop ends only when this receiver is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// TLS connections on `listener` for tonic's `serve_with_incoming`.
pub fn grpc_incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
) -> impl Stream<Item = std::io::Result<TlsStream<TcpStream>>> + Send + 'static {
    let accepted = accept_loop(listener, acceptor);
    futures::stream::unfold(accepted, |mut rx| async move {
        let (tls, _) = rx.recv().await?;
        Some((Ok(tls), rx))
    })
}
