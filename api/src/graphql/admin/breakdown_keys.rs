//! `setBreakdownKeys`: the attribute keys an org's figures are broken down
//! by (ORG_ADMIN of the org, SUPER_ADMIN).

use agentmon_core::storage::models::breakdown;
use async_graphql::{Context, Object};

use crate::actions;
use crate::graphql::access::administered;
use crate::graphql::context::{db, GqlResult};
use crate::graphql::orgs::OrgObject;

#[derive(Default)]
pub struct BreakdownMutation;

#[Object]
impl BreakdownMutation {
    /// ORG_ADMIN of the org, SUPER_ADMIN: the attribute keys the org's
    /// figures are broken down by (up to five; the others stay filterable).
    /// Existing data is broken down again by a job (`Query.job`).
    async fn set_breakdown_keys(
        &self,
        ctx: &Context<'_>,
        org: String,
        keys: Vec<String>,
    ) -> async_graphql::Result<OrgObject> {
        let keys = breakdown::check_keys(&keys).gql()?;
        let (viewer, found) = administered(ctx, &org).await?;
        let updated = actions::orgs::set_breakdown_keys(db(ctx)?, viewer, &found, &keys)
            .await
            .gql()?;
        Ok(OrgObject(updated))
    }
}
