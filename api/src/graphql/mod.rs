//! The GraphQL schema, split by domain and merged here.

mod access;
pub mod context;
mod global;
mod ingest;
mod kpis;
pub mod loaders;
mod orgs;
mod overview;
mod ranges;
mod scalars;
mod sessions;
mod users;
mod viewer;

use agentmon_core::db::Db;
use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use context::{GqlResult, RequestContext};

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

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
            depth: 12,
            complexity: 5_000,
        }
    }
}

/// The schema, serving `db`. Per-request state (the principal) is added to
/// each request by the HTTP handler, never here.
pub fn build(db: Option<Db>, limits: Limits) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(limits.depth)
    .limit_complexity(limits.complexity);
    if let Some(db) = db {
        builder = builder.data(db);
    }
    builder.finish()
}

/// The SDL that `agentmon schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build(None, Limits::default()).sdl()
}
