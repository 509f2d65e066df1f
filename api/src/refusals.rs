//! Addresses that present API keys agentmon does not know. Every unknown
//! key costs a database lookup; an address that presented
//! [`MAX_REFUSED_KEYS`] of them within [`REFUSAL_WINDOW`] gets no more key
//! checks (429) until the window ends, so guessing keys or flooding the
//! lookup with random ones is bounded per address. Known keys of other
//! addresses are not affected.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::Error;

/// Unknown keys one address may present in a window.
pub const MAX_REFUSED_KEYS: u32 = 30;
/// How long an address's count of unknown keys lasts from its first one.
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct KeyRefusals(moka::future::Cache<IpAddr, Arc<AtomicU32>>);

impl Default for KeyRefusals {
    fn default() -> Self {
        KeyRefusals(
            moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(REFUSAL_WINDOW)
                .build(),
        )
    }
}

impl KeyRefusals {
    /// Refuses a key check from `peer` once it presented too many unknown
    /// keys in this window.
    pub async fn check(&self, peer: Option<IpAddr>) -> Result<(), Error> {
        let Some(peer) = peer else {
            return Ok(());
        };
        match self.0.get(&peer).await {
            Some(count) if count.load(Ordering::Relaxed) >= MAX_REFUSED_KEYS => {
                Err(Error::RateLimited {
                    message: format!(
                        "this address presented {MAX_REFUSED_KEYS} unknown API keys within {} s; \
                         check the key your producer sends",
                        REFUSAL_WINDOW.as_secs()
                    ),
                    retry_after_seconds: REFUSAL_WINDOW.as_secs(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts an unknown key presented by `peer`.
    pub async fn count(&self, peer: Option<IpAddr>) {
        if let Some(peer) = peer {
            self.0
                .get_with(peer, async { Arc::new(AtomicU32::new(0)) })
                .await
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}
