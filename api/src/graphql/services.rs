//! What resolvers use, given to the schema once: the database, the cache
//! of heavy figures, the bus of live changes, the rate limits and the
//! producer keys.

use agentmon_core::bus::Bus;
use agentmon_core::cache::Cache;
use agentmon_core::limits::{Budget, Limiter};
use agentmon_core::storage::db::Db;

/// What resolvers use: the database, the cache of heavy figures, the bus
/// of live changes, the rate limits.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub cache: Cache,
    pub bus: Bus,
    pub rates: RateLimits,
    pub keys: agentmon_core::auth::ApiKeys,
    /// Memberships read by the gate, forgotten when an admin changes one.
    pub members: crate::members::MemberCache,
}

/// Events per second a producer may send into an org; requests per
/// minute a signed-in user may make.
#[derive(Clone)]
pub struct RateLimits {
    pub ingest: Limiter,
    pub requests: Limiter,
}

/// Defaults a demo never reaches.
pub const INGEST_EVENTS_PER_SECOND: u32 = 20_000;
pub const REQUESTS_PER_MINUTE: u32 = 3_000;

impl RateLimits {
    /// `events_per_second` per org, whatever the producer (a whole call of
    /// 1,000 events always fits the burst), `requests_per_minute` per user
    /// (and per producer for calls with nothing to store); in
    /// Redis when `redis_url` is given, shared by every replica.
    pub fn new(
        events_per_second: u32,
        requests_per_minute: u32,
        redis_url: Option<&str>,
    ) -> anyhow::Result<RateLimits> {
        let burst = events_per_second.max(agentmon_core::event::MAX_EVENTS_PER_CALL as u32);
        Ok(RateLimits {
            ingest: Limiter::new(
                "ingest",
                Budget::per_second(events_per_second, burst),
                redis_url,
            )?,
            requests: Limiter::new(
                "requests",
                Budget::per_minute(requests_per_minute),
                redis_url,
            )?,
        })
    }

    pub fn defaults() -> RateLimits {
        RateLimits::new(INGEST_EVENTS_PER_SECOND, REQUESTS_PER_MINUTE, None)
            .unwrap_or_else(|e| unreachable!("in-process limits need no connection: {e}"))
    }
}

impl Services {
    /// In-process cache and bus: one process, no Redis.
    pub fn local(db: Db, keys: agentmon_core::auth::ApiKeys) -> Services {
        Services {
            db,
            cache: Cache::local(
                std::time::Duration::from_secs(300),
                agentmon_core::cache::LOCAL_CAPACITY,
            ),
            bus: Bus::local(),
            rates: RateLimits::defaults(),
            keys,
            members: Default::default(),
        }
    }
}
