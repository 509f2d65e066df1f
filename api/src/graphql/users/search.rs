//! Finding a user of an org by id, name or email.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::user;
use agentmon_core::Error;
use async_graphql::Context;

use super::node::UserObject;
use crate::graphql::access::{authorize, in_org};
use crate::graphql::context::GqlResult;

/// Most users a search returns.
const MAX_MATCHES: i32 = 50;
/// Longest text a search takes.
const MAX_SEARCH: usize = 256;

/// Users whose id starts with `text` or whose name or email holds it.
pub async fn matching_users(
    ctx: &Context<'_>,
    org: &Org,
    text: &str,
    first: i32,
) -> async_graphql::Result<Vec<UserObject>> {
    authorize(ctx, org, Capability::People).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_SEARCH {
        return Err(Error::BadUserInput(format!(
            "search takes 1 to {MAX_SEARCH} characters (a user id, or part of a name or email)"
        )))
        .gql();
    }
    if !(1..=MAX_MATCHES).contains(&first) {
        return Err(Error::BadUserInput(format!(
            "first must be between 1 and {MAX_MATCHES}; got {first}"
        )))
        .gql();
    }
    let org_id = org.id;
    let rows = in_org!(ctx, org_id, |tx| user::matching(
        tx,
        org_id,
        text,
        i64::from(first)
    )
    .await?)?;
    Ok(rows
        .into_iter()
        .map(|row| UserObject {
            org: org.clone(),
            row,
        })
        .collect())
}
