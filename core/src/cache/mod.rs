//! A cache for the heavy aggregates: Redis when configured, in-process
//! (moka) otherwise. Callers put the org's projection epoch in the key, so a
//! figure is never served after newer events were projected; entries also
//! expire (TTL with jitter). One computation per key at a time in a process
//! (no stampede when a hot key expires). When Redis is down or slow the
//! value is computed uncached: a warning and the `agentmon_cache_errors_total`
//! counter say so, and nothing fails because of the cache.

mod backend;

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;

use backend::Backend;

/// Entries an in-process cache holds at most.
pub const LOCAL_CAPACITY: u64 = 10_000;
/// How long a cache operation may take before the cache is bypassed.
const OP_TIMEOUT: Duration = Duration::from_millis(150);
/// Locks that make concurrent misses of one key compute once.
const FLIGHT_STRIPES: usize = 256;

#[derive(Clone)]
pub struct Cache {
    backend: Arc<Backend>,
    flights: Arc<Vec<Mutex<()>>>,
    ttl: Duration,
}

impl Cache {
    /// In-process, up to `capacity` entries.
    pub fn local(ttl: Duration, capacity: u64) -> Cache {
        Cache::with(Backend::local(capacity), ttl)
    }

    /// Redis at `url`; connects lazily and reconnects by itself.
    pub fn redis(url: &str, ttl: Duration) -> anyhow::Result<Cache> {
        Ok(Cache::with(Backend::redis(url)?, ttl))
    }

    fn with(backend: Backend, ttl: Duration) -> Cache {
        Cache {
            backend: Arc::new(backend),
            flights: Arc::new((0..FLIGHT_STRIPES).map(|_| Mutex::new(())).collect()),
            ttl,
        }
    }

    pub fn kind(&self) -> &'static str {
        self.backend.kind()
    }

    /// The cached value of `key`, or `compute`'s (then cached).
    pub async fn get_or_compute<T, E, F, Fut>(&self, key: &str, compute: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(hit) = self.lookup(key).await {
            return Ok(hit);
        }
        let stripe = {
            let mut h = DefaultHasher::new();
            key.hash(&mut h);
            (h.finish() as usize) % FLIGHT_STRIPES
        };
        let _flight = self.flights[stripe].lock().await;
        // Whoever held the flight before us may have filled the key.
        if let Some(hit) = self.lookup(key).await {
            return Ok(hit);
        }
        metrics::counter!("agentmon_cache_misses_total").increment(1);
        let value = compute().await?;
        if let Ok(bytes) = serde_json::to_vec(&value) {
            let jitter = rand::rng().random_range(0.9..1.1);
            let ttl = self.ttl.mul_f64(jitter);
            match tokio::time::timeout(OP_TIMEOUT, self.backend.set(key, bytes, ttl)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => bypassed("set", &e.to_string()),
                Err(_) => bypassed("set", "timed out"),
            }
        }
        Ok(value)
    }

    async fn lookup<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let found = match tokio::time::timeout(OP_TIMEOUT, self.backend.get(key)).await {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                bypassed("get", &e.to_string());
                None
            }
            Err(_) => {
                bypassed("get", "timed out");
                None
            }
        }?;
        let value = serde_json::from_slice(&found).ok();
        if value.is_some() {
            metrics::counter!("agentmon_cache_hits_total").increment(1);
        }
        value
    }
}

fn bypassed(op: &str, why: &str) {
    metrics::counter!("agentmon_cache_errors_total").increment(1);
    tracing::warn!(op, why, "cache unavailable; answering uncached");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_misses_of_one_key_compute_once() {
        let cache = Cache::local(Duration::from_secs(60), 100);
        let computed = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, computed) = (cache.clone(), computed.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_compute("k", || async {
                            computed.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, ()>(42)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.ok().and_then(Result::ok), Some(42));
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_unreachable_redis_answers_uncached() {
        let cache = Cache::redis("redis://127.0.0.1:1", Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}"));
        for expected in [1, 2] {
            let got = cache
                .get_or_compute("k", || async move { Ok::<_, ()>(expected) })
                .await;
            assert_eq!(got, Ok(expected), "computed each time, never failing");
        }
    }
}
