//! What resolvers use, given to the schema once: the database, the cache
//! of heavy figures, the bus of live changes, the rate limits and the
//! producer keys.

use agentmon_core::bus::Bus;
use agentmon_core::cache::Cache;
use agentmon_core::storage::db::Db;

use crate::rate_limits::RateLimits;

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
    /// Which alert targets the operator allows.
    pub webhooks: agentmon_core::alerts::WebhookPolicy,
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
            webhooks: Default::default(),
        }
    }
}
