//! Producer API keys: `createApiKey` (the secret shown once), `revokeApiKey`,
//! `Org.apiKeys`, `Query.apiKeys`. An ORG_ADMIN manages their org's keys; a
//! SUPER_ADMIN any org's, and keys for every org.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::ApiKeys;
use agentmon_core::storage::models::api_key::{self, Key};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::actions::{self, input, Scope};
use crate::graphql::access::{authorize, find_org, in_org, Access};
use crate::graphql::context::{db, GqlResult, RequestContext};

pub struct ApiKeyObject(pub Key);

#[Object(name = "ApiKey")]
impl ApiKeyObject {
    async fn id(&self) -> ID {
        ID(self.0 .0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0 .0.name
    }
    /// Slugs it may write to; `["*"]`: every org.
    async fn orgs(&self) -> Vec<String> {
        vec![self.0 .1.clone().unwrap_or_else(|| "*".into())]
    }
    /// The secret's first characters, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0 .0.prefix
    }
    async fn created_by(&self) -> &str {
        &self.0 .0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0 .0.created_at
    }
    /// Written every few seconds, not on every call.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0 .0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0 .0.revoked_at
    }
}

#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKeyObject,
    /// The only time the secret is shown: store it now.
    pub secret: String,
}

/// An org's keys, for its ORG_ADMIN or a SUPER_ADMIN.
pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<ApiKeyObject>> {
    authorize(ctx, org, Capability::OrgAdmin).await?;
    let org_id = org.id;
    let keys = in_org!(ctx, org_id, |tx| api_key::list(tx, Some(org_id)).await?)?;
    Ok(keys.into_iter().map(ApiKeyObject).collect())
}

#[derive(Default)]
pub struct KeyQuery;

#[Object]
impl KeyQuery {
    /// SUPER_ADMIN: every key, keys for every org included.
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKeyObject>> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let mut conn = db(ctx)?.owner().await.gql()?;
        let keys = api_key::list(&mut conn, None).await.gql()?;
        Ok(keys.into_iter().map(ApiKeyObject).collect())
    }
}

#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// ORG_ADMIN of the org, or SUPER_ADMIN; without an org, a key for
    /// every org (SUPER_ADMIN only). A key may only ingest.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
        name: String,
    ) -> async_graphql::Result<CreatedApiKey> {
        let request = RequestContext::of(ctx)?;
        let viewer = request.user().gql()?;
        let name = input::name("name", &name, input::MAX_NAME_CHARS).gql()?;
        let db = db(ctx)?;
        let found = match org {
            Some(slug) => Some(
                find_org(
                    db,
                    &request.audited,
                    viewer,
                    &slug,
                    Capability::OrgAdmin,
                    Access::Query,
                )
                .await
                .gql()?,
            ),
            None => {
                policy::check(viewer, Capability::Platform, None)
                    .map_err(|_| {
                        Error::Forbidden(
                            "only a SUPER_ADMIN may create a key for every org; name an org".into(),
                        )
                    })
                    .gql()?;
                None
            }
        };
        let keys = ctx.data::<ApiKeys>()?;
        let created = actions::keys::create(
            db,
            keys,
            viewer,
            found.as_ref().map_or(Scope::Platform, Scope::Org),
            found.as_ref(),
            &name,
        )
        .await
        .gql()?;
        Ok(CreatedApiKey {
            api_key: ApiKeyObject(created.key),
            secret: created.secret,
        })
    }

    /// ORG_ADMIN of the key's org, or SUPER_ADMIN. The key is refused from
    /// its next call on (within seconds on every server).
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ApiKeyObject> {
        let request = RequestContext::of(ctx)?;
        let viewer = request.user().gql()?;
        let id: uuid::Uuid = id
            .parse()
            .map_err(|_| Error::BadUserInput("id is not an API key id".into()))
            .gql()?;
        let db = db(ctx)?;
        let within = if policy::allows(viewer, Capability::Platform, None) {
            None
        } else {
            // An ORG_ADMIN reaches only their own org's keys.
            policy::check(viewer, Capability::OrgAdmin, viewer.org.as_deref()).gql()?;
            let slug = viewer
                .org
                .clone()
                .ok_or_else(|| Error::NotFound(format!("no API key {id} that you may manage")))
                .gql()?;
            let found = find_org(
                db,
                &request.audited,
                viewer,
                &slug,
                Capability::OrgAdmin,
                Access::Query,
            )
            .await
            .gql()?;
            Some(found)
        };
        let revoked = actions::keys::revoke(db, viewer, within.as_ref(), id)
            .await
            .gql()?;
        ctx.data::<ApiKeys>()?.forget(revoked.0.id);
        Ok(ApiKeyObject(revoked))
    }
}
