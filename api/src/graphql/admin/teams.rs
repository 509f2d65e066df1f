//! `createTeam`, `setTeamMembers`, `deleteTeam` (ORG_ADMIN of the org,
//! SUPER_ADMIN).

use async_graphql::{Context, Object, ID};

use crate::actions::input;
use crate::actions::teams::{self, Change, Members};
use crate::graphql::access::administered;
use crate::graphql::context::{db, GqlResult};
use crate::graphql::teams::{team_id, TeamObject};

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
        let name = input::name("name", &name, input::MAX_NAME_CHARS).gql()?;
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
        let members = Members::new(user_ids).gql()?;
        let id = team_id(&team).gql()?;
        administer(ctx, &org, Change::Members(id, members)).await
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

/// Applies `change` to org `slug`, for its ORG_ADMIN or a SUPER_ADMIN.
async fn administer(
    ctx: &Context<'_>,
    slug: &str,
    change: Change,
) -> async_graphql::Result<TeamObject> {
    let (viewer, found) = administered(ctx, slug).await?;
    let team = teams::apply(db(ctx)?, viewer, &found, change).await.gql()?;
    Ok(TeamObject { org: found, team })
}
