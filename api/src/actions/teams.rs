//! Teams: create one, set its members, delete it.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::team::{self, Team, MAX_MEMBERS};
use agentmon_core::{Error, Result};
use uuid::Uuid;

use super::{audited, input, Audit, Scope};

/// What changes of an org's teams.
pub enum Change {
    /// A new team with this name (checked by [`input::name`]).
    Create(String),
    /// The team's members become exactly these.
    Members(Uuid, Members),
    Delete(Uuid),
}

/// A team's members: at most [`MAX_MEMBERS`] user ids, each one that
/// producers could send. Only [`Members::new`] makes one.
pub struct Members(Vec<String>);

impl Members {
    pub fn new(users: Vec<String>) -> Result<Members> {
        if users.len() > MAX_MEMBERS {
            return Err(Error::BadUserInput(format!(
                "a team has at most {MAX_MEMBERS} members; this list has {}",
                users.len()
            )));
        }
        for user in &users {
            input::user_id(user)?;
        }
        Ok(Members(users))
    }
}

/// Applies `change` to `org`'s teams; the team as it is now (as it was,
/// for a deletion).
pub async fn apply(db: &Db, actor: &UserPrincipal, org: &Org, change: Change) -> Result<Team> {
    let missing = |id| Error::NotFound(format!("org {:?} has no team {id}", org.slug));
    audited!(db, actor, Scope::Org(org), |tx| {
        let (team, action, detail) = match &change {
            Change::Create(name) => {
                let created = team::create(tx, org.id, name, &actor.sub).await?;
                let detail = serde_json::json!({ "id": created.id });
                (created, "TEAM_CREATED", detail)
            }
            Change::Members(id, Members(users)) => {
                team::get(tx, org.id, *id)
                    .await?
                    .ok_or_else(|| missing(*id))?;
                let changed = team::set_members(tx, org.id, *id, users).await?;
                let detail = serde_json::json!({ "id": id, "members": users });
                (changed, "TEAM_MEMBERS_SET", detail)
            }
            Change::Delete(id) => {
                let existing = team::get(tx, org.id, *id)
                    .await?
                    .ok_or_else(|| missing(*id))?;
                team::delete(tx, org.id, *id).await?;
                (existing, "TEAM_DELETED", serde_json::json!({ "id": id }))
            }
        };
        let entry = Audit::new(action, Some(&team.name), detail);
        (team, entry)
    })
}
