//! The certificate in use, read again from its files when they change:
//! each file's modification time and length are checked every few
//! seconds, and a pair that reads and matches replaces the one in use. A
//! pair that does not (a half-written file, a key of another
//! certificate) is logged and the one in use stays.

use std::fs::Metadata;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::TlsFiles;

/// How often the files are checked for a change.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

type Stamp = Option<(SystemTime, u64)>;

fn stamp(meta: std::io::Result<Metadata>) -> Stamp {
    meta.ok().and_then(|m| Some((m.modified().ok()?, m.len())))
}

#[derive(Debug)]
pub struct Reloading {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
    stamps: RwLock<(Stamp, Stamp)>,
}

/// The chain and key of `files`, checked to belong together.
fn load(files: &TlsFiles) -> anyhow::Result<CertifiedKey> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("cannot read the certificate file {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", files.cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
        files.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&files.key).with_context(|| {
        format!(
            "cannot read a PEM private key (PKCS#8, PKCS#1 or SEC1) from {}",
            files.key.display()
        )
    })?;
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let certified = CertifiedKey::from_der(chain, key, &provider).with_context(|| {
        format!(
            "the key in {} is not the key of the certificate in {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(certified)
}

impl Reloading {
    /// Reads the files now; an error says what to fix.
    pub fn open(files: TlsFiles) -> anyhow::Result<Arc<Reloading>> {
        let stamps = (
            stamp(std::fs::metadata(&files.cert)),
            stamp(std::fs::metadata(&files.key)),
        );
        let current = load(&files)?;
        Ok(Arc::new(Reloading {
            files,
            current: RwLock::new(Arc::new(current)),
            stamps: RwLock::new(stamps),
        }))
    }

    /// Reads the files again if either changed; whether the certificate
    /// in use was replaced.
    pub fn check(&self) -> bool {
        let now = (
            stamp(std::fs::metadata(&self.files.cert)),
            stamp(std::fs::metadata(&self.files.key)),
        );
        if *self.stamps.read().unwrap_or_else(|e| e.into_inner()) == now {
            return false;
        }
        match load(&self.files) {
            Ok(certified) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(certified);
                *self.stamps.write().unwrap_or_else(|e| e.into_inner()) = now;
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                true
            }
            Err(e) => {
                // Said once per change of the files: the next change (the
                // file finished, or fixed) is read again.
                *self.stamps.write().unwrap_or_else(|e| e.into_inner()) = now;
                tracing::warn!(
                    error = format!("{e:#}"),
                    "the changed TLS files do not load; keeping the certificate in use"
                );
                false
            }
        }
    }

    /// Checks the files every [`CHECK_EVERY`] for as long as the process runs.
    pub fn watch(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECK_EVERY);
            loop {
                tick.tick().await;
                let me = me.clone();
                let _ = tokio::task::spawn_blocking(move || me.check()).await;
            }
        })
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}
