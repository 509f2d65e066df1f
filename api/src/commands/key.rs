//! `agentmon key create|revoke`: producer API keys for operators without a
//! dashboard. The secret is printed once, on stdout; the key is hashed with
//! the server's secret, so the command needs the server's data directory
//! (or AGENTMON_JWT_SECRET).

use agentmon_core::auth::ApiKeys;

use crate::actions::{self, input, operator, Scope};
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
    let name = input::name("--name", &name, input::MAX_NAME_CHARS)?;
    let org = storage.org(org.as_deref()).await?;
    let created = actions::keys::create(
        &storage.db,
        keys,
        &operator(),
        Scope::Platform,
        org.as_ref(),
        &name,
    )
    .await?;
    eprintln!(
        "created API key {} ({:?}) for {}; the secret below is shown once:",
        created.key.0.id,
        created.key.0.name,
        org.as_ref().map_or("every org", |o| o.slug.as_str())
    );
    println!("{}", created.secret);
    Ok(())
}

async fn revoke(storage: &Storage, id: uuid::Uuid) -> anyhow::Result<()> {
    let key = actions::keys::revoke(&storage.db, &operator(), None, id).await?;
    println!(
        "revoked API key {} ({:?}); servers refuse it within seconds",
        key.0.id, key.0.name
    );
    Ok(())
}
