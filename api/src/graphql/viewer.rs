//! `me`: who the token says the caller is.

use super::enums::RoleValue;
use agentmon_core::storage::models::org;
use async_graphql::{Context, Object, SimpleObject};

use super::context::{db, GqlResult, RequestContext};
use super::orgs::OrgObject;

#[derive(SimpleObject)]
#[graphql(name = "Viewer")]
pub struct Viewer {
    pub user_id: String,
    pub role: RoleValue,
    pub org: Option<OrgObject>,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, from their token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let user = RequestContext::of(ctx)?.user().gql()?;
        let org = match &user.org {
            Some(slug) => {
                let mut conn = db(ctx)?.app().await.gql()?;
                org::by_slug(&mut conn, slug).await.gql()?.map(OrgObject)
            }
            None => None,
        };
        Ok(Viewer {
            user_id: user.sub.clone(),
            role: user.role.into(),
            org,
        })
    }
}
