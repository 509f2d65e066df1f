//! The GraphQL schema, split by domain and merged here.

pub mod access;
pub(crate) mod admin;
mod breakdowns;
mod cached;
pub mod context;
pub mod enums;
pub mod errors;
pub mod event_input;
mod global;
mod ingest;
mod kpis;
pub mod live;
pub mod loaders;
mod orgs;
mod overview;
pub mod ranges;
mod scalars;
mod session_order;
mod sessions;
mod trends;
mod users;
mod viewer;

use agentmon_core::bus::Bus;
use agentmon_core::cache::Cache;
use agentmon_core::storage::db::Db;
use agentmon_core::limits::{Budget, Limiter};
use async_graphql::{MergedObject, Schema};

pub use access::record_in_org;
pub use context::{GqlResult, RequestContext};

pub type AppSchema = Schema<QueryRoot, MutationRoot, live::SubscriptionRoot>;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    viewer::ViewerQuery,
    orgs::OrgQuery,
    global::GlobalQuery,
    admin::AdminQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    ingest::IngestMutation,
    orgs::OrgMutation,
    admin::AdminMutation,
    breakdowns::BreakdownMutation,
);

/// Depth and complexity a query may have before it is refused unexecuted.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 16,
            complexity: 5_000,
        }
    }
}

/// What resolvers use: the database, the cache of heavy figures, the bus
/// of live changes, the rate limits.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub cache: Cache,
    pub bus: Bus,
    pub rates: RateLimits,
    pub keys: agentmon_core::auth::ApiKeys,
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
    /// `events_per_second` per producer and org (a whole call of 1,000
    /// events always fits the burst), `requests_per_minute` per user; in
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
        }
    }
}

/// The schema, serving `services`. Per-request state (the principal) is
/// added to each request by the HTTP handler, never here.
pub fn build(services: Option<Services>, limits: Limits) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        live::SubscriptionRoot,
    )
    .limit_depth(limits.depth)
    .limit_complexity(limits.complexity)
    .extension(errors::ErrorCodes);
    if let Some(services) = services {
        builder = builder
            .data(services.db)
            .data(services.cache)
            .data(services.bus)
            .data(services.rates)
            .data(services.keys);
    }
    builder.finish()
}

/// The SDL that `agentmon schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build(None, Limits::default()).sdl()
}

/// A name given by a person (a key's, a team's): trimmed, 1 to 100 characters.
pub fn admin_name(field: &str, value: &str) -> Result<String, agentmon_core::Error> {
    admin::name(field, value, 100)
}
