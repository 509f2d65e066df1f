//! Roles and access set in agentmon: a member's role, and whether they are
//! disabled. They win over the token's role claim from the next request on.

use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::member;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::user::{self, UserRow};
use agentmon_core::storage::schema::users;
use agentmon_core::{Error, Result};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{audited, Audit, Scope};

/// What changes of a member.
#[derive(Clone, Copy)]
pub enum Change {
    Role(Grant),
    Disabled(bool),
}

/// A role an org's admin may grant: MEMBER, MANAGER or ORG_ADMIN, never
/// SUPPORT or SUPER_ADMIN. Only [`Grant::new`] makes one.
#[derive(Clone, Copy)]
pub struct Grant(Role);

impl Grant {
    pub fn new(role: Role) -> Result<Grant> {
        if !matches!(role, Role::Member | Role::Manager | Role::OrgAdmin) {
            return Err(Error::BadUserInput(format!(
                "{} cannot be granted in an org; choose MEMBER, MANAGER or ORG_ADMIN",
                role.as_str()
            )));
        }
        Ok(Grant(role))
    }
}

impl Change {
    fn audit(self, user_id: &str) -> Audit {
        let (action, detail) = match self {
            Change::Role(Grant(role)) => ("ROLE_SET", serde_json::json!({ "role": role.as_str() })),
            Change::Disabled(true) => ("USER_DISABLED", serde_json::json!({})),
            Change::Disabled(false) => ("USER_ENABLED", serde_json::json!({})),
        };
        Audit::new(action, Some(user_id), detail)
    }
}

/// Changes `user_id`'s role or access in `org`. An admin may not change
/// themselves; the user must be known to the org. The user's profile as it
/// is now (`None`: known only as a member).
pub async fn change(
    db: &Db,
    actor: &UserPrincipal,
    org: &Org,
    user_id: &str,
    change: Change,
) -> Result<Option<UserRow>> {
    if is_self(actor, org, user_id) {
        return Err(Error::Forbidden(
            "you may not change your own role or access; ask another admin".into(),
        ));
    }
    audited!(db, actor, Scope::Org(org), |tx| {
        if !known(tx, org.id, user_id).await? {
            return Err(Error::NotFound(format!(
                "org {:?} has no user {user_id:?}: they appear once they produce events or sign in",
                org.slug
            )));
        }
        let (role, disabled) = match change {
            Change::Role(Grant(role)) => (Some(role), None),
            Change::Disabled(disabled) => (None, Some(disabled)),
        };
        member::set(tx, org.id, user_id, role, disabled, &actor.sub).await?;
        (
            user::by_id(tx, org.id, user_id).await?,
            change.audit(user_id),
        )
    })
}

fn is_self(actor: &UserPrincipal, org: &Org, user_id: &str) -> bool {
    actor.sub == user_id && (actor.org.as_deref() == Some(&org.slug) || actor.org.is_none())
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
