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
    /// MEMBER, MANAGER or ORG_ADMIN; never SUPPORT or SUPER_ADMIN.
    Role(Role),
    Disabled(bool),
}

impl Change {
    fn audit(self, user_id: &str) -> Audit {
        let (action, detail) = match self {
            Change::Role(role) => ("ROLE_SET", serde_json::json!({ "role": role.as_str() })),
            Change::Disabled(true) => ("USER_DISABLED", serde_json::json!({})),
            Change::Disabled(false) => ("USER_ENABLED", serde_json::json!({})),
        };
        Audit::new(action, Some(user_id), detail)
    }

    /// What may be granted at all, before anyone is asked.
    pub fn check(self) -> Result<()> {
        match self {
            Change::Role(role)
                if !matches!(role, Role::Member | Role::Manager | Role::OrgAdmin) =>
            {
                Err(Error::BadUserInput(format!(
                    "{} cannot be granted in an org; choose MEMBER, MANAGER or ORG_ADMIN",
                    role.as_str()
                )))
            }
            _ => Ok(()),
        }
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
    change.check()?;
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
            Change::Role(role) => (Some(role), None),
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
