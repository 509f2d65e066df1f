//! The GraphQL schema, split by domain and merged here.

pub mod access;
pub(crate) mod admin;
mod adoption;
mod alert_notifications;
mod alert_rules;
mod alert_value;
mod alert_watch;
mod alerts;
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
pub mod paging;
mod parsed;
pub mod ranges;
mod scalars;
pub mod services;
pub mod sessions;
mod teams;
mod tools;
mod trends;
mod users;
mod viewer;

use async_graphql::{MergedObject, Schema};

pub use crate::rate_limits::{RateLimits, INGEST_EVENTS_PER_SECOND, REQUESTS_PER_MINUTE};
pub use access::record_in_org;
pub use context::{GqlResult, RequestContext};
pub use services::Services;

pub type AppSchema = Schema<QueryRoot, MutationRoot, live::SubscriptionRoot>;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    viewer::ViewerQuery,
    orgs::OrgQuery,
    global::GlobalQuery,
    admin::AdminQuery,
    admin::prices::PriceQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    ingest::IngestMutation,
    admin::orgs::OrgMutation,
    admin::AdminMutation,
    admin::breakdown_keys::BreakdownMutation,
    admin::prices::PriceMutation,
    alerts::AlertMutation,
    alert_rules::AlertRuleMutation,
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
    .extension(errors::ErrorCodes)
    .extension(parsed::ParsedQueries::default());
    if let Some(services) = services {
        builder = builder
            .data(services.db)
            .data(services.cache)
            .data(services.bus)
            .data(services.rates)
            .data(services.keys)
            .data(services.members)
            .data(services.webhooks);
    }
    builder.finish()
}

/// The SDL that `agentmon schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build(None, Limits::default()).sdl()
}
