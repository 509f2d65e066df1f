//! `me`: who the token says the caller is. Their org is read only when
//! asked for.

use super::enums::RoleValue;
use agentmon_core::storage::models::org;
use async_graphql::{Context, Object};

use super::context::{db, GqlResult, RequestContext};
use super::orgs::OrgObject;

pub struct Viewer {
    user_id: String,
    role: RoleValue,
    org: Option<String>,
}

#[Object(name = "Viewer")]
impl Viewer {
    async fn user_id(&self) -> &str {
        &self.user_id
    }
    async fn role(&self) -> RoleValue {
        self.role
    }
    async fn org(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrgObject>> {
        let Some(slug) = &self.org else {
            return Ok(None);
        };
        let mut conn = db(ctx)?.app().await.gql()?;
        Ok(org::by_slug(&mut conn, slug).await.gql()?.map(OrgObject))
    }
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, from their token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let user = RequestContext::of(ctx)?.user().gql()?;
        Ok(Viewer {
            user_id: user.sub.clone(),
            role: user.role.into(),
            org: user.org.clone(),
        })
    }

    /// How far behind the primary database the figures this request read
    /// may be, in seconds: 0 when they were read on the primary; a read
    /// replica's lag as last measured (every second) when they came from
    /// one.
    async fn read_lag_seconds(&self, ctx: &Context<'_>) -> async_graphql::Result<f64> {
        Ok(db(ctx)?.read_lag_seconds())
    }
}
