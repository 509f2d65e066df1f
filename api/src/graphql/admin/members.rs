//! Roles and access set in agentmon: `setUserRole`, `setUserDisabled`,
//! `Org.members`. They win over the token's role claim from the next
//! request on (and close the user's live connections, which re-check within
//! seconds). An ORG_ADMIN may grant MEMBER, MANAGER or ORG_ADMIN, never
//! SUPPORT or SUPER_ADMIN, and may not change or disable themselves.

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::Role;
use agentmon_core::storage::models::member;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::user;
use async_graphql::{Context, Object};

use crate::actions::input;
use crate::actions::members::{self, Change, Grant};
use crate::graphql::access::{administered, authorize, in_org};
use crate::graphql::context::{db, GqlResult};
use crate::graphql::enums::RoleValue;
use crate::graphql::users::node::UserObject;
use crate::members::MemberCache;

/// Every user with a role in the org (signed in, or set here), with their
/// profiles.
pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<UserObject>> {
    authorize(ctx, org, Capability::OrgAdmin).await?;
    let org_id = org.id;
    let (members, rows) = in_org!(ctx, org_id, |tx| {
        let members = member::of_org(tx, org_id).await?;
        let ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
        (members, user::by_ids(tx, org_id, &ids).await?)
    })?;
    Ok(members
        .iter()
        .map(|m| match rows.iter().find(|r| r.user_id == m.user_id) {
            Some(row) => UserObject {
                org: org.clone(),
                row: row.clone(),
            },
            None => UserObject::bare(org.clone(), &m.user_id),
        })
        .collect())
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// ORG_ADMIN of the org or SUPER_ADMIN: MEMBER, MANAGER or ORG_ADMIN.
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        org: String,
        user_id: String,
        role: RoleValue,
    ) -> async_graphql::Result<UserObject> {
        let grant = Grant::new(Role::from(role)).gql()?;
        change(ctx, &org, &user_id, Change::Role(grant)).await
    }

    /// ORG_ADMIN of the org or SUPER_ADMIN: a disabled user's requests to
    /// the org are refused and their live connections end.
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        org: String,
        user_id: String,
        disabled: bool,
    ) -> async_graphql::Result<UserObject> {
        change(ctx, &org, &user_id, Change::Disabled(disabled)).await
    }
}

/// One change of a member, by the org's admin.
async fn change(
    ctx: &Context<'_>,
    slug: &str,
    user_id: &str,
    change: Change,
) -> async_graphql::Result<UserObject> {
    let user_id = input::user_id(user_id).gql()?;
    let (viewer, found) = administered(ctx, slug).await?;
    let row = members::change(db(ctx)?, viewer, &found, user_id, change)
        .await
        .gql()?;
    ctx.data::<MemberCache>()?
        .forget(&found.slug, user_id)
        .await;
    Ok(match row {
        Some(row) => UserObject { org: found, row },
        None => UserObject::bare(found, user_id),
    })
}
