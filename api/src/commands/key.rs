//! `agentmon key create|revoke`: producer API keys for operators without a
//! dashboard. The secret is printed once, on stdout; the key is hashed with
//! the server's secret, so the command needs the server's data directory
//! (or AGENTMON_JWT_SECRET).

use agentmon_core::auth::ApiKeys;
use agentmon_core::storage::models::api_key::{self, NewKey};
use agentmon_core::storage::models::audit::{self, Action, PLATFORM};
use agentmon_core::storage::models::org;
use agentmon_core::Error;
use diesel_async::AsyncConnection;

use crate::cli::{AuthArgs, KeyCommand, StorageArgs};
use crate::storage::{jwt_settings, SecretFile, Storage};

pub async fn run(
    storage_args: &StorageArgs,
    auth: &AuthArgs,
    command: KeyCommand,
) -> anyhow::Result<()> {
    let settings = jwt_settings(auth, storage_args, SecretFile::MustExist)?;
    let keys = ApiKeys::new(settings.derived_key(super::serve::API_KEYS));
    let storage = Storage::open(storage_args).await?;
    let result = match command {
        KeyCommand::Create { org, name } => create(&storage, &keys, org, name).await,
        KeyCommand::Revoke { id } => revoke(&storage, id).await,
    };
    storage.close();
    result
}

async fn create(
    storage: &Storage,
    keys: &ApiKeys,
    org: Option<String>,
    name: String,
) -> anyhow::Result<()> {
    let name = crate::graphql::admin_name("--name", &name)?;
    let operator = crate::admin::operator();
    let secret = keys.generate();
    let mut conn = storage.db.owner().await?;
    let key = conn
        .transaction::<_, Error, _>(async |tx| {
            let org = match &org {
                Some(slug) => Some(
                    org::by_slug(tx, slug)
                        .await?
                        .ok_or_else(|| Error::NotFound(format!("no org with slug {slug:?}")))?,
                ),
                None => None,
            };
            let new = NewKey {
                org_id: org.as_ref().map(|o| o.id),
                name: &name,
                prefix: &secret.prefix,
                hash: &secret.hash,
                created_by: &operator.sub,
            };
            let key = api_key::create(tx, &new).await?;
            let entry = Action {
                action: "API_KEY_CREATED",
                target: Some(&key.prefix),
                detail: serde_json::json!({ "id": key.id, "name": key.name, "org": org.as_ref().map(|o| &o.slug) }),
            };
            audit::record(tx, org.as_ref().map_or(PLATFORM, |o| o.id), &operator, entry).await?;
            Ok(key)
        })
        .await?;
    eprintln!(
        "created API key {} ({:?}) for {}; the secret below is shown once:",
        key.id,
        key.name,
        org.as_deref().unwrap_or("every org")
    );
    println!("{}", secret.secret);
    Ok(())
}

async fn revoke(storage: &Storage, id: uuid::Uuid) -> anyhow::Result<()> {
    let operator = crate::admin::operator();
    let mut conn = storage.db.owner().await?;
    let key = conn
        .transaction::<_, Error, _>(async |tx| {
            let key = api_key::revoke(tx, id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("no API key {id}")))?;
            let entry = Action {
                action: "API_KEY_REVOKED",
                target: Some(&key.0.prefix),
                detail: serde_json::json!({ "id": key.0.id, "name": key.0.name, "org": key.1 }),
            };
            audit::record(tx, key.0.org_id.unwrap_or(PLATFORM), &operator, entry).await?;
            Ok(key)
        })
        .await?;
    println!(
        "revoked API key {} ({:?}); servers refuse it within seconds",
        key.0.id, key.0.name
    );
    Ok(())
}
