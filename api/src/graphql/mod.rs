//! The GraphQL schema, split by domain and merged here.

pub mod access;
mod cached;
pub mod context;
pub mod errors;
mod global;
mod ingest;
mod kpis;
pub mod live;
pub mod loaders;
mod orgs;
mod overview;
pub mod ranges;
mod scalars;
mod sessions;
mod users;
mod viewer;

use agentmon_core::bus::Bus;
use agentmon_core::cache::Cache;
use agentmon_core::db::Db;
use async_graphql::{MergedObject, Schema};

pub use access::record_in_org;
pub use context::{GqlResult, RequestContext};

pub type AppSchema = Schema<QueryRoot, MutationRoot, live::SubscriptionRoot>;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(viewer::ViewerQuery, orgs::OrgQuery, global::GlobalQuery);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(ingest::IngestMutation, orgs::OrgMutation);

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
/// of live changes.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub cache: Cache,
    pub bus: Bus,
}

impl Services {
    /// In-process cache and bus: one process, no Redis.
    pub fn local(db: Db) -> Services {
        Services {
            db,
            cache: Cache::local(
                std::time::Duration::from_secs(300),
                agentmon_core::cache::LOCAL_CAPACITY,
            ),
            bus: Bus::local(),
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
            .data(services.bus);
    }
    builder.finish()
}

/// The SDL that `agentmon schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build(None, Limits::default()).sdl()
}
