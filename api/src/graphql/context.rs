//! What a resolver knows about its request, and the one conversion of
//! agentmon's errors into GraphQL errors.

use std::collections::HashSet;
use std::sync::Arc;

use agentmon_core::auth::{Principal, ProducerPrincipal, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::Error;
use async_graphql::Context;
use uuid::Uuid;

use super::errors::ToGraphql;

/// Orgs whose SUPPORT access this request (or websocket connection) has
/// written to the audit log, with the kind of access.
#[derive(Debug, Default, Clone)]
pub struct Audited(pub Arc<tokio::sync::Mutex<HashSet<(Uuid, Access)>>>);

/// How an org is reached; a SUPPORT access is audited once per request and
/// kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Query,
    Subscription,
    Export,
}

impl Access {
    /// The audit action of a SUPPORT access of this kind.
    pub fn action(self) -> &'static str {
        match self {
            Access::Query => "SUPPORT_READ",
            Access::Subscription => "SUPPORT_SUBSCRIBE",
            Access::Export => "SUPPORT_EXPORT",
        }
    }
}

/// Built by the HTTP handler for each request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Option<Principal>,
    pub request_id: String,
    pub audited: Audited,
}

impl RequestContext {
    pub fn new(principal: Option<Principal>, request_id: String) -> Self {
        RequestContext {
            principal,
            request_id,
            audited: Default::default(),
        }
    }
}

impl RequestContext {
    pub fn of<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestContext> {
        ctx.data::<RequestContext>()
    }

    pub fn principal(&self) -> Result<&Principal, Error> {
        self.principal.as_ref().ok_or_else(|| {
            Error::Unauthenticated(
                "no token: send `Authorization: Bearer <JWT>` (mint one with `agentmon token`)"
                    .into(),
            )
        })
    }

    pub fn user(&self) -> Result<&UserPrincipal, Error> {
        self.principal()?.user()
    }

    pub fn producer(&self) -> Result<&ProducerPrincipal, Error> {
        self.principal()?.producer()
    }
}

pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Db> {
    ctx.data::<Db>()
}

/// Turns agentmon's errors into GraphQL errors with `extensions.code`.
/// Use `.gql()?` rather than `?` on an `agentmon_core::Error`: the blanket
/// conversion would drop the code.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.to_graphql())
    }
}

impl<T> GqlResult<T> for diesel::QueryResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| Error::from(e).to_graphql())
    }
}
