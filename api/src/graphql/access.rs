//! Every read of an org's data goes through here: the policy decides, a
//! SUPPORT read of an org is written to the audit log (once per request and
//! org), and the queries run in a transaction bound to the org by
//! row-level security.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::audit;
use agentmon_core::storage::models::org::{self, Org};
use agentmon_core::Error;
use async_graphql::Context;
use uuid::Uuid;

use super::context::{db, GqlResult, RequestContext};
pub use super::context::{Access, Audited};

/// The one authorization path of queries, subscriptions and exports: may
/// `viewer` use `capability` on `org`? A SUPPORT access is written to the
/// audit log.
pub async fn check(
    db: &Db,
    audited: &Audited,
    viewer: &UserPrincipal,
    org: &Org,
    capability: Capability,
    access: Access,
) -> Result<(), Error> {
    policy::check(viewer, capability, Some(&org.slug))?;
    if viewer.role == Role::Support {
        // Held while the entry is written: a resolver running beside this
        // one answers only once the read is on record.
        let mut done = audited.0.lock().await;
        if !done.contains(&(org.id, access)) {
            let entry = audit::Action {
                action: access.action(),
                target: None,
                detail: serde_json::json!({ "slug": org.slug }),
            };
            record_in_org(db, org.id, viewer, entry).await?;
            done.insert((org.id, access));
        }
    }
    Ok(())
}

/// Finds org `slug` for `viewer` and checks `capability` on it. The policy
/// is asked before the org is looked up, so a caller learns nothing about
/// orgs it may not see.
pub async fn find_org(
    db: &Db,
    audited: &Audited,
    viewer: &UserPrincipal,
    slug: &str,
    capability: Capability,
    access: Access,
) -> Result<Org, Error> {
    policy::check(viewer, capability, Some(slug))?;
    let mut conn = db.app().await?;
    let found = org::by_slug(&mut conn, slug)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no org with slug {slug:?}")))?;
    drop(conn);
    check(db, audited, viewer, &found, capability, access).await?;
    Ok(found)
}

/// [`check`] for a resolver.
pub async fn authorize<'a>(
    ctx: &Context<'a>,
    org: &Org,
    capability: Capability,
) -> async_graphql::Result<&'a UserPrincipal> {
    let request = RequestContext::of(ctx)?;
    let viewer = request.user().gql()?;
    check(
        db(ctx)?,
        &request.audited,
        viewer,
        org,
        capability,
        Access::Query,
    )
    .await
    .gql()?;
    Ok(viewer)
}

/// Org `slug` for a resolver that administers it (its ORG_ADMIN, a
/// SUPER_ADMIN), with the viewer.
pub async fn administered<'a>(
    ctx: &Context<'a>,
    slug: &str,
) -> async_graphql::Result<(&'a UserPrincipal, Org)> {
    let request = RequestContext::of(ctx)?;
    let viewer = request.user().gql()?;
    let found = find_org(
        db(ctx)?,
        &request.audited,
        viewer,
        slug,
        Capability::OrgAdmin,
        Access::Query,
    )
    .await
    .gql()?;
    Ok((viewer, found))
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

/// Writes an audit entry on a request connection of the primary (also
/// while answering a read, which may come from a replica), in a
/// transaction bound to the org by row-level security.
pub async fn record_in_org(
    db: &Db,
    org_id: Uuid,
    actor: &UserPrincipal,
    entry: audit::Action<'_>,
) -> Result<(), Error> {
    let mut conn = db.primary().app().await?;
    diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::storage::db::set_org(tx, org_id).await?;
        audit::record(tx, org_id, actor, entry).await?;
        Ok(())
    })
    .await
}

/// The org a slug names, read with the platform's rights (for SUPER_ADMIN
/// actions over any org); `NOT_FOUND` when none, `None` without a slug.
pub async fn platform_org(
    ctx: &Context<'_>,
    slug: Option<&str>,
) -> async_graphql::Result<Option<Org>> {
    let Some(slug) = slug else { return Ok(None) };
    let mut conn = db(ctx)?.owner().await.gql()?;
    let found = org::by_slug(&mut conn, slug)
        .await
        .map_err(Error::from)
        .gql()?;
    Ok(Some(
        found
            .ok_or_else(|| Error::NotFound(format!("no org {slug:?}")))
            .gql()?,
    ))
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
                agentmon_core::storage::db::set_org($tx, org_id).await?;
                Ok($body)
            },
        )
        .await
        .gql()
    }};
}
pub(crate) use in_org;
