//! Teams: `createTeam`, `setTeamMembers`, `deleteTeam` (ORG_ADMIN of the
//! org, SUPER_ADMIN), `Org.teams`, `Org.team` (every role that may read the
//! org's overview), and a team's members (MANAGER and up), overview and
//! users, over its current members from their own rollups and sketches —
//! exact like the org's.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::db::set_org;
use agentmon_core::storage::models::audit::{self, Action};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::team::{self, Team, MAX_MEMBERS};
use agentmon_core::Error;
use async_graphql::{Context, Object, ID};
use diesel_async::AsyncConnection;

use super::super::access::{administered, authorize, in_org};
use super::super::context::{db, GqlResult};
use super::super::overview::{OrgOverview, TeamRef};
use super::super::ranges::DateRange;
use super::super::users::{list_users, UserObject, UserStatsConnection};

pub struct TeamObject {
    pub org: Org,
    pub team: Team,
}

#[Object(name = "Team")]
impl TeamObject {
    async fn id(&self) -> ID {
        ID(self.team.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.team.name
    }
    /// MANAGER and up, as for other users.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserObject>> {
        authorize(ctx, &self.org, Capability::People).await?;
        let (org_id, id) = (self.org.id, self.team.id);
        let ids = in_org!(ctx, org_id, |tx| team::members(tx, org_id, id).await?)?;
        let mut users = Vec::with_capacity(ids.len());
        for user in ids {
            users.push(UserObject::load(ctx, &self.org, &user).await?);
        }
        Ok(users)
    }
    /// Figures over the team's current members.
    async fn overview(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<OrgOverview> {
        authorize(ctx, &self.org, Capability::OrgOverview).await?;
        let (from, to) = range.days().gql()?;
        Ok(OrgOverview {
            org: self.org.clone(),
            team: Some(TeamRef {
                id: self.team.id,
                version: self.team.members_version,
            }),
            from,
            to,
        })
    }
    /// MANAGER and up: the team's users with any event in the range.
    async fn users(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<UserStatsConnection> {
        list_users(ctx, &self.org, Some(self.team.id), range, first, after).await
    }
}

fn team_id(id: &ID) -> Result<uuid::Uuid, Error> {
    id.parse()
        .map_err(|_| Error::NotFound(format!("no team {}", id.as_str())))
}

pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<TeamObject>> {
    authorize(ctx, org, Capability::OrgOverview).await?;
    let org_id = org.id;
    let teams = in_org!(ctx, org_id, |tx| team::of_org(tx, org_id).await?)?;
    Ok(teams
        .into_iter()
        .map(|team| TeamObject {
            org: org.clone(),
            team,
        })
        .collect())
}

pub async fn one(
    ctx: &Context<'_>,
    org: &Org,
    id: &ID,
) -> async_graphql::Result<Option<TeamObject>> {
    authorize(ctx, org, Capability::OrgOverview).await?;
    let (org_id, id) = (org.id, team_id(id).gql()?);
    let found = in_org!(ctx, org_id, |tx| team::get(tx, org_id, id).await?)?;
    Ok(found.map(|team| TeamObject {
        org: org.clone(),
        team,
    }))
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// ORG_ADMIN of the org, or SUPER_ADMIN.
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        org: String,
        name: String,
    ) -> async_graphql::Result<TeamObject> {
        let name = super::name("name", &name, 100).gql()?;
        administer(ctx, &org, Change::Create(name)).await
    }

    /// ORG_ADMIN of the org, or SUPER_ADMIN: the team's members become
    /// exactly `userIds` (at most 1,000).
    async fn set_team_members(
        &self,
        ctx: &Context<'_>,
        org: String,
        team: ID,
        user_ids: Vec<String>,
    ) -> async_graphql::Result<TeamObject> {
        if user_ids.len() > MAX_MEMBERS {
            return Err(Error::BadUserInput(format!(
                "a team has at most {MAX_MEMBERS} members; this list has {}",
                user_ids.len()
            )))
            .gql();
        }
        for user in &user_ids {
            super::user_id(user).gql()?;
        }
        let id = team_id(&team).gql()?;
        administer(ctx, &org, Change::Members(id, user_ids)).await
    }

    /// ORG_ADMIN of the org, or SUPER_ADMIN.
    async fn delete_team(
        &self,
        ctx: &Context<'_>,
        org: String,
        team: ID,
    ) -> async_graphql::Result<bool> {
        let id = team_id(&team).gql()?;
        administer(ctx, &org, Change::Delete(id))
            .await
            .map(|_| true)
    }
}

enum Change {
    Create(String),
    Members(uuid::Uuid, Vec<String>),
    Delete(uuid::Uuid),
}

impl Change {
    /// Applies the change and writes its audit entry; the team as it is
    /// now (as it was, for a deletion).
    async fn apply(
        &self,
        tx: &mut diesel_async::AsyncPgConnection,
        org: &Org,
        viewer: &agentmon_core::auth::UserPrincipal,
    ) -> Result<Team, Error> {
        let missing = |id| Error::NotFound(format!("org {:?} has no team {id}", org.slug));
        let (team, action, detail) = match self {
            Change::Create(name) => {
                let created = team::create(tx, org.id, name, &viewer.sub).await?;
                let detail = serde_json::json!({ "id": created.id });
                (created, "TEAM_CREATED", detail)
            }
            Change::Members(id, users) => {
                team::get(tx, org.id, *id)
                    .await?
                    .ok_or_else(|| missing(*id))?;
                let changed = team::set_members(tx, org.id, *id, users).await?;
                (
                    changed,
                    "TEAM_MEMBERS_SET",
                    serde_json::json!({ "id": id, "members": users }),
                )
            }
            Change::Delete(id) => {
                let existing = team::get(tx, org.id, *id)
                    .await?
                    .ok_or_else(|| missing(*id))?;
                team::delete(tx, org.id, *id).await?;
                (existing, "TEAM_DELETED", serde_json::json!({ "id": id }))
            }
        };
        let entry = Action {
            action,
            target: Some(&team.name),
            detail,
        };
        audit::record(tx, org.id, viewer, entry).await?;
        Ok(team)
    }
}

/// Applies `change` in a transaction bound to org `slug`, for its
/// ORG_ADMIN or a SUPER_ADMIN.
async fn administer(
    ctx: &Context<'_>,
    slug: &str,
    change: Change,
) -> async_graphql::Result<TeamObject> {
    let (viewer, found) = administered(ctx, slug).await?;
    let mut conn = db(ctx)?.app().await.gql()?;
    let team = conn
        .transaction::<_, Error, _>(async |tx| {
            set_org(tx, found.id).await?;
            change.apply(tx, &found, viewer).await
        })
        .await
        .gql()?;
    Ok(TeamObject { org: found, team })
}
