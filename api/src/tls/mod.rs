//! TLS in the binary: `AGENTMON_TLS_CERT` and `AGENTMON_TLS_KEY` (PEM
//! files) make `serve` answer HTTPS and WSS, and OTLP/gRPC over TLS, with
//! rustls. The files are read again when they change ([`reload`]), so a
//! renewed certificate serves new connections without a restart; open
//! connections keep the one they began with. Without them agentmon speaks
//! plain HTTP and expects a TLS-terminating proxy in front.

mod listener;
mod reload;

use std::path::PathBuf;
use std::sync::Arc;

pub use listener::{grpc_incoming, TlsListener};
pub use reload::Reloading;

/// The certificate chain and private key files, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Both files or neither: one alone is a mistake worth stopping for.
    pub fn from_args(cert: Option<PathBuf>, key: Option<PathBuf>) -> anyhow::Result<Option<Self>> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (Some(_), None) => anyhow::bail!(
                "AGENTMON_TLS_CERT is set but AGENTMON_TLS_KEY is not: give the private key's PEM file too"
            ),
            (None, Some(_)) => anyhow::bail!(
                "AGENTMON_TLS_KEY is set but AGENTMON_TLS_CERT is not: give the certificate chain's PEM file too"
            ),
        }
    }
}

/// What accepts TLS connections with the current certificate; `alpn`:
/// the protocols offered (`http/1.1` for HTTP and WebSockets, `h2` for
/// gRPC).
pub fn acceptor(
    certs: &Arc<Reloading>,
    alpn: &[&[u8]],
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_cert_resolver(certs.clone());
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// `Strict-Transport-Security` sent on every response when TLS is on.
pub const HSTS: &str = "max-age=31536000";
