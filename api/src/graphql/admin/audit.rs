//! The audit log, newest first: `Org.auditLog` (ORG_ADMIN of the org,
//! SUPER_ADMIN) and `Query.auditLog` (SUPER_ADMIN: every org and the
//! platform's own actions). Entries cannot be changed through agentmon, and
//! the request role may only read and add them.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::Role;

use crate::graphql::enums::RoleValue;
use agentmon_core::storage::models::audit::{self, Entry};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::graphql::access::{authorize, in_org};
use crate::graphql::context::{db, GqlResult, RequestContext};
use crate::graphql::paging::{page_size, List, PageInfo};

pub struct AuditEntry(pub Entry);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The user id, or `key:<prefix>`.
    async fn actor(&self) -> &str {
        &self.0.actor_sub
    }
    async fn actor_role(&self) -> Option<RoleValue> {
        self.0.actor_role.parse::<Role>().ok().map(Into::into)
    }
    /// SUPPORT_READ, API_KEY_CREATED, API_KEY_REVOKED, ROLE_SET, USER_DISABLED, …
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The org's slug; null for platform actions.
    async fn org(&self) -> Option<&str> {
        self.0.org_slug.as_deref()
    }
    async fn target(&self) -> Option<&str> {
        self.0.target.as_deref()
    }
    async fn detail(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.detail.clone())
    }
}

#[derive(SimpleObject)]
pub struct AuditEdge {
    pub cursor: String,
    pub node: AuditEntry,
}

#[derive(SimpleObject)]
pub struct AuditConnection {
    pub edges: Vec<AuditEdge>,
    pub page_info: PageInfo,
}

/// `first` (a page of items, see `paging`) and `after` (a cursor of this
/// list) as a page ask.
fn page(first: Option<i32>, after: Option<String>) -> Result<(i64, Option<i64>), Error> {
    let first = page_size(List::Items, first)?;
    let after = after
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| Error::BadUserInput("after is not a cursor of this list".into()))
        })
        .transpose()?;
    Ok((first, after))
}

fn connection(mut entries: Vec<Entry>, first: i64) -> AuditConnection {
    let more = entries.len() as i64 > first;
    entries.truncate(usize::try_from(first).unwrap_or(0));
    let end_cursor = entries.last().map(|e| e.id.to_string());
    AuditConnection {
        edges: entries
            .into_iter()
            .map(|e| AuditEdge {
                cursor: e.id.to_string(),
                node: AuditEntry(e),
            })
            .collect(),
        page_info: PageInfo {
            has_next_page: more,
            end_cursor,
        },
    }
}

pub async fn of_org(
    ctx: &Context<'_>,
    org: &Org,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<AuditConnection> {
    authorize(ctx, org, Capability::OrgAdmin).await?;
    let (first, after) = page(first, after).gql()?;
    let org_id = org.id;
    let entries = in_org!(ctx, org_id, |tx| audit::of_org(
        tx,
        org_id,
        after,
        first + 1
    )
    .await?)?;
    Ok(connection(entries, first))
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// SUPER_ADMIN: every org's entries and the platform's, newest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditConnection> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let (first, after) = page(first, after).gql()?;
        // Every org's rows: a platform read, on the admin pool.
        let mut conn = db(ctx)?.owner().await.gql()?;
        let entries = audit::everything(&mut conn, after, first + 1).await.gql()?;
        Ok(connection(entries, first))
    }
}
