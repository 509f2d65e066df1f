//! Org administration over GraphQL: producer keys, roles and access, the
//! audit log. Every action checks the policy (`OrgAdmin`: ORG_ADMIN of the
//! org or SUPER_ADMIN; `Platform`: SUPER_ADMIN) and writes its audit entry
//! in the transaction of the action.

pub mod audit;
pub mod dead_letters;
pub mod keys;
pub mod lifecycle;
pub mod members;
pub mod teams;

use agentmon_core::Error;
use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct AdminMutation(
    keys::KeyMutation,
    members::MemberMutation,
    teams::TeamMutation,
    lifecycle::LifecycleMutation,
    dead_letters::DeadLetterMutation,
);

#[derive(MergedObject, Default)]
pub struct AdminQuery(
    keys::KeyQuery,
    audit::AuditQuery,
    lifecycle::LifecycleQuery,
    dead_letters::DeadLetterQuery,
);

/// The org a slug names, read with the platform's rights (for SUPER_ADMIN
/// actions over any org); `NOT_FOUND` when none, `None` without a slug.
pub async fn platform_org(
    ctx: &async_graphql::Context<'_>,
    slug: Option<&str>,
) -> async_graphql::Result<Option<agentmon_core::storage::models::org::Org>> {
    use super::context::{db, GqlResult};
    let Some(slug) = slug else { return Ok(None) };
    let mut conn = db(ctx)?.owner().await.gql()?;
    let found = agentmon_core::storage::models::org::by_slug(&mut conn, slug)
        .await
        .map_err(Error::from)
        .gql()?;
    Ok(Some(
        found
            .ok_or_else(|| Error::NotFound(format!("no org {slug:?}")))
            .gql()?,
    ))
}

/// A name given by a person: trimmed, 1 to `max` characters.
pub fn name(field: &str, value: &str, max: usize) -> Result<String, Error> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max || trimmed.contains('\0') {
        return Err(Error::BadUserInput(format!(
            "{field} must have 1 to {max} characters (no NUL); got {chars}"
        )));
    }
    Ok(trimmed.to_string())
}

/// A user id as producers send them: 1 to 256 characters.
pub fn user_id(value: &str) -> Result<&str, Error> {
    if value.is_empty() || value.chars().count() > 256 || value.contains('\0') {
        return Err(Error::BadUserInput(
            "userId must have 1 to 256 characters (no NUL)".into(),
        ));
    }
    Ok(value)
}
