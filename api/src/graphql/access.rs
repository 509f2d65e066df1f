//! Every read of an org's data goes through here: the policy decides, a
//! SUPPORT read of an org is written to the audit log (once per request and
//! org), and the queries run in a transaction bound to the org by
//! row-level security.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::db::Db;
use agentmon_core::models::audit;
use agentmon_core::models::org::Org;
use agentmon_core::Error;
use async_graphql::Context;
use uuid::Uuid;

use super::context::{db, GqlResult, RequestContext};

/// Orgs whose SUPPORT read this request has written to the audit log.
#[derive(Debug, Default, Clone)]
pub struct Audited(Arc<Mutex<HashSet<Uuid>>>);

/// Checks that the viewer may use `capability` on `org`; audits SUPPORT.
pub async fn authorize<'a>(
    ctx: &Context<'a>,
    org: &Org,
    capability: Capability,
) -> async_graphql::Result<&'a UserPrincipal> {
    let request = RequestContext::of(ctx)?;
    let viewer = request.user().gql()?;
    policy::check(viewer, capability, Some(&org.slug)).gql()?;
    if viewer.role == Role::Support {
        audit_support_read(db(ctx)?, &request.audited, org, viewer)
            .await
            .gql()?;
    }
    Ok(viewer)
}

/// Whether the viewer may see `user_id`'s sessions and figures in `org`.
pub async fn authorize_user<'a>(
    ctx: &Context<'a>,
    org: &Org,
    user_id: &str,
) -> async_graphql::Result<&'a UserPrincipal> {
    let viewer = RequestContext::of(ctx)?.user().gql()?;
    let capability = if viewer.sub == user_id {
        Capability::OwnSessions
    } else {
        Capability::OthersSessions
    };
    authorize(ctx, org, capability).await
}

pub async fn audit_support_read(
    db: &Db,
    audited: &Audited,
    org: &Org,
    viewer: &UserPrincipal,
) -> Result<(), Error> {
    let first = audited
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(org.id);
    if first {
        let detail = serde_json::json!({ "slug": org.slug });
        record_in_org(db, org.id, viewer, "org.read", detail).await?;
    }
    Ok(())
}

/// Writes an audit entry on a request connection, in a transaction bound
/// to the org by row-level security.
pub async fn record_in_org(
    db: &Db,
    org_id: Uuid,
    actor: &UserPrincipal,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), Error> {
    let mut conn = db.app().await?;
    diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::db::set_org(tx, org_id).await?;
        audit::record(tx, org_id, actor, action, detail).await?;
        Ok(())
    })
    .await
}

/// Runs `$body` with `$tx` in a transaction bound to org `$org` by
/// row-level security; evaluates to `async_graphql::Result<T>`.
macro_rules! in_org {
    ($ctx:expr, $org:expr, |$tx:ident| $body:expr) => {{
        use $crate::graphql::context::GqlResult as _;
        let org_id: uuid::Uuid = $org;
        let mut conn = $crate::graphql::context::db($ctx)?.app().await.gql()?;
        diesel_async::AsyncConnection::transaction::<_, agentmon_core::Error, _>(
            &mut conn,
            async |$tx| {
                agentmon_core::db::set_org($tx, org_id).await?;
                Ok($body)
            },
        )
        .await
        .gql()
    }};
}
pub(crate) use in_org;
