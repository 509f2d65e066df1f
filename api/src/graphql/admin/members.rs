//! Roles and access set in agentmon: `setUserRole`, `setUserDisabled`,
//! `Org.members`. They win over the token's role claim from the next
//! request on (and close the user's live connections, which re-check within
//! seconds). An ORG_ADMIN may grant MEMBER, MANAGER or ORG_ADMIN, never
//! SUPPORT or SUPER_ADMIN, and may not change or disable themselves.

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::storage::db::set_org;
use agentmon_core::storage::models::audit::{self, Action};
use agentmon_core::storage::models::member::{self, Member};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::user;
use agentmon_core::storage::schema::users;
use agentmon_core::Error;
use async_graphql::{Context, Object};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::super::access::{administered, in_org};
use super::super::context::{db, GqlResult};
use super::super::users::UserObject;

/// Every user with a role in the org (signed in, or set here), with their
/// profiles.
pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<UserObject>> {
    super::super::access::authorize(ctx, org, Capability::OrgAdmin).await?;
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
        role: super::super::enums::RoleValue,
    ) -> async_graphql::Result<UserObject> {
        let role = Role::from(role);
        if !matches!(role, Role::Member | Role::Manager | Role::OrgAdmin) {
            return Err(Error::BadUserInput(format!(
                "{} cannot be granted in an org; choose MEMBER, MANAGER or ORG_ADMIN",
                role.as_str()
            )))
            .gql();
        }
        change(ctx, &org, &user_id, Change::Role(role)).await
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

#[derive(Clone, Copy)]
enum Change {
    Role(Role),
    Disabled(bool),
}

impl Change {
    async fn apply(
        self,
        tx: &mut AsyncPgConnection,
        org_id: uuid::Uuid,
        user_id: &str,
        by: &str,
    ) -> diesel::QueryResult<Member> {
        let (role, disabled) = match self {
            Change::Role(role) => (Some(role), None),
            Change::Disabled(disabled) => (None, Some(disabled)),
        };
        member::set(tx, org_id, user_id, role, disabled, by).await
    }

    fn entry<'a>(self, user_id: &'a str) -> Action<'a> {
        let (action, detail) = match self {
            Change::Role(role) => ("ROLE_SET", serde_json::json!({ "role": role.as_str() })),
            Change::Disabled(true) => ("USER_DISABLED", serde_json::json!({})),
            Change::Disabled(false) => ("USER_ENABLED", serde_json::json!({})),
        };
        Action {
            action,
            target: Some(user_id),
            detail,
        }
    }
}

/// One change of a member, checked and audited in its transaction.
async fn change(
    ctx: &Context<'_>,
    slug: &str,
    user_id: &str,
    change: Change,
) -> async_graphql::Result<UserObject> {
    let user_id = super::user_id(user_id).gql()?;
    let (viewer, found) = administered(ctx, slug).await?;
    let db = db(ctx)?;
    if is_self(viewer, &found, user_id) {
        return Err(Error::Forbidden(
            "you may not change your own role or access; ask another admin".into(),
        ))
        .gql();
    }
    let mut conn = db.app().await.gql()?;
    let row = conn
        .transaction::<_, Error, _>(async |tx| {
            set_org(tx, found.id).await?;
            if !known(tx, found.id, user_id).await? {
                return Err(Error::NotFound(format!(
                    "org {slug:?} has no user {user_id:?}: they appear once they produce events or sign in"
                )));
            }
            change.apply(tx, found.id, user_id, &viewer.sub).await?;
            audit::record(tx, found.id, viewer, change.entry(user_id)).await?;
            Ok(user::by_id(tx, found.id, user_id).await?)
        })
        .await
        .gql()?;
    Ok(match row {
        Some(row) => UserObject { org: found, row },
        None => UserObject::bare(found, user_id),
    })
}

fn is_self(viewer: &UserPrincipal, org: &Org, user_id: &str) -> bool {
    viewer.sub == user_id && (viewer.org.as_deref() == Some(&org.slug) || viewer.org.is_none())
}

/// A user the org knows: one who produced events or signed in.
async fn known(
    tx: &mut AsyncPgConnection,
    org_id: uuid::Uuid,
    user_id: &str,
) -> diesel::QueryResult<bool> {
    if member::get(tx, org_id, user_id).await?.is_some() {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::user_id.eq(user_id)),
    ))
    .get_result(tx)
    .await
}
