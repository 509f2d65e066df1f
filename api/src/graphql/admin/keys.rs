//! Producer API keys: `createApiKey` (the secret shown once), `revokeApiKey`,
//! `Org.apiKeys`, `Query.apiKeys`. An ORG_ADMIN manages their org's keys; a
//! SUPER_ADMIN any org's, and keys for every org.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::ApiKeys;
use agentmon_core::storage::db::set_org;
use agentmon_core::storage::models::api_key::{self, Key, NewKey};
use agentmon_core::storage::models::audit::{self, Action, PLATFORM};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use super::super::access::{find_org, Access};
use super::super::context::{db, GqlResult, RequestContext};

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

/// The audit entry of an action on `key` (never its secret).
fn key_entry<'a>(action: &'a str, key: &'a Key) -> Action<'a> {
    Action {
        action,
        target: Some(&key.0.prefix),
        detail: serde_json::json!({ "id": key.0.id, "name": key.0.name, "org": key.1 }),
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
    super::super::access::authorize(ctx, org, Capability::OrgAdmin).await?;
    let org_id = org.id;
    let keys =
        super::super::access::in_org!(ctx, org_id, |tx| api_key::list(tx, Some(org_id)).await?)?;
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
        let name = super::name("name", &name, 100).gql()?;
        let keys = ctx.data::<ApiKeys>()?;
        let secret = keys.generate();
        let by = viewer.sub.clone();
        let new = |org_id| NewKey {
            org_id,
            name: &name,
            prefix: &secret.prefix,
            hash: &secret.hash,
            created_by: &by,
        };
        let created: Key = match org {
            Some(slug) => {
                let db = db(ctx)?;
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
                let mut conn = db.app().await.gql()?;
                conn.transaction::<_, Error, _>(async |tx| {
                    set_org(tx, found.id).await?;
                    let key = (
                        api_key::create(tx, &new(Some(found.id))).await?,
                        Some(found.slug.clone()),
                    );
                    audit::record(tx, found.id, viewer, key_entry("API_KEY_CREATED", &key)).await?;
                    Ok(key)
                })
                .await
                .gql()?
            }
            None => {
                policy::check(viewer, Capability::Platform, None)
                    .map_err(|_| {
                        Error::Forbidden(
                            "only a SUPER_ADMIN may create a key for every org; name an org".into(),
                        )
                    })
                    .gql()?;
                let mut conn = db(ctx)?.owner().await.gql()?;
                conn.transaction::<_, Error, _>(async |tx| {
                    let key = (api_key::create(tx, &new(None)).await?, None);
                    audit::record(tx, PLATFORM, viewer, key_entry("API_KEY_CREATED", &key)).await?;
                    Ok(key)
                })
                .await
                .gql()?
            }
        };
        Ok(CreatedApiKey {
            api_key: ApiKeyObject(created),
            secret: secret.secret,
        })
    }

    /// ORG_ADMIN of the key's org, or SUPER_ADMIN. The key is refused from
    /// its next call on (within seconds on every server).
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ApiKeyObject> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        let id: uuid::Uuid = id
            .parse()
            .map_err(|_| Error::BadUserInput("id is not an API key id".into()))
            .gql()?;
        let not_found = || Error::NotFound(format!("no API key {id} that you may manage"));
        let db = db(ctx)?;
        let revoked: Key = if policy::allows(viewer, Capability::Platform, None) {
            let mut conn = db.owner().await.gql()?;
            conn.transaction::<_, Error, _>(async |tx| {
                let key = api_key::revoke(tx, id).await?.ok_or_else(not_found)?;
                let org = key.0.org_id.unwrap_or(PLATFORM);
                audit::record(tx, org, viewer, key_entry("API_KEY_REVOKED", &key)).await?;
                Ok(key)
            })
            .await
            .gql()?
        } else {
            // An ORG_ADMIN reaches only their own org's keys.
            policy::check(viewer, Capability::OrgAdmin, viewer.org.as_deref()).gql()?;
            let slug = viewer.org.clone().ok_or_else(not_found).gql()?;
            let request = RequestContext::of(ctx)?;
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
            let mut conn = db.app().await.gql()?;
            conn.transaction::<_, Error, _>(async |tx| {
                set_org(tx, found.id).await?;
                let key = api_key::revoke(tx, id).await?.ok_or_else(not_found)?;
                audit::record(tx, found.id, viewer, key_entry("API_KEY_REVOKED", &key)).await?;
                Ok(key)
            })
            .await
            .gql()?
        };
        ctx.data::<ApiKeys>()?.forget(revoked.0.id);
        Ok(ApiKeyObject(revoked))
    }
}
