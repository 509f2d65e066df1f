//! Teams: `Org.teams`, `Org.team` (every role that may read the org's
//! overview), and a team's members (MANAGER and up), overview and
//! users, over its current members from their own rollups and sketches —
//! exact like the org's.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::team::{self, Team};
use agentmon_core::Error;
use async_graphql::{Context, Object, ID};

use super::access::{authorize, in_org};
use super::context::GqlResult;
use super::errors::ToGraphql;
use super::overview::{OrgOverview, TeamRef};
use super::paging::LISTED;
use super::ranges::DateRange;
use super::users::node::UserObject;
use super::users::stats::{list_users, UserStatsConnection};

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
    #[graphql(complexity = "LISTED * child_complexity")]
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
    /// Figures over the team's current members. A team with one member
    /// besides the viewer shows that person's figures: like other users'
    /// figures, MANAGER and up only.
    async fn overview(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<OrgOverview> {
        let viewer = authorize(ctx, &self.org, Capability::OrgOverview).await?;
        if !policy::allows(viewer, Capability::People, Some(&self.org.slug)) {
            let (org_id, id) = (self.org.id, self.team.id);
            let members = in_org!(ctx, org_id, |tx| team::members(tx, org_id, id).await?)?;
            if members.iter().filter(|m| **m != viewer.sub).count() == 1 {
                return Err(Error::Forbidden(format!(
                    "team {:?} has one member besides you: their figures are for MANAGER and up",
                    self.team.name
                ))
                .to_graphql());
            }
        }
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

/// A team id as GraphQL gives it; `NOT_FOUND` for one that cannot be.
pub fn team_id(id: &ID) -> Result<uuid::Uuid, Error> {
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
