//! Opens the database the configuration names, or the embedded one, and
//! brings its schema up to date. Dropping a `Storage` stops an embedded
//! cluster that this process started.

use agentmon_core::auth::JwtSettings;
use agentmon_core::db::embedded::{read_or_create_secret, EmbeddedPg};
use agentmon_core::db::{create_database_if_missing, migrate, Db, PoolSizes};
use anyhow::Context;

use crate::cli::{AuthArgs, StorageArgs};

const EMBEDDED_DATABASE: &str = "agentmon";

pub struct Storage {
    pub db: Db,
    pub url: String,
    embedded: Option<EmbeddedPg>,
}

impl Storage {
    /// Connects (starting the embedded cluster when no URL is configured) and
    /// applies pending migrations.
    pub async fn open(args: &StorageArgs) -> anyhow::Result<Self> {
        let (url, embedded) = match &args.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let dir = args.data_dir.clone();
                let pg =
                    tokio::task::spawn_blocking(move || EmbeddedPg::start_or_reuse(&dir)).await??;
                create_database_if_missing(&pg.url("postgres"), EMBEDDED_DATABASE).await?;
                (pg.url(EMBEDDED_DATABASE), Some(pg))
            }
        };
        let versions = migrate::run(&url)
            .await
            .context("cannot migrate the database")?;
        if !versions.is_empty() {
            tracing::info!(?versions, "migrations applied");
        }
        let db = Db::connect(&url, &PoolSizes::default())?;
        Ok(Storage { db, url, embedded })
    }

    /// Closes the pools, then stops the embedded cluster if this process
    /// started it.
    pub fn close(self) {
        drop(self.db);
        drop(self.embedded);
    }
}

/// The JWT settings: the configured secret, or the one kept in the data
/// directory (created on first use, mode 0600).
pub fn jwt_settings(auth: &AuthArgs, storage: &StorageArgs) -> anyhow::Result<JwtSettings> {
    let secret = match &auth.jwt_secret {
        Some(secret) => secret.clone(),
        None => {
            std::fs::create_dir_all(&storage.data_dir).with_context(|| {
                format!(
                    "cannot create the data directory {}",
                    storage.data_dir.display()
                )
            })?;
            read_or_create_secret(&storage.data_dir.join("jwt-secret"))?
        }
    };
    if secret.len() < 32 {
        tracing::warn!("AGENTMON_JWT_SECRET is shorter than 32 bytes; use a longer random secret");
    }
    let jwks = match &auth.jwks {
        Some(path) => Some(JwtSettings::read_jwks(path)?),
        None => None,
    };
    Ok(JwtSettings {
        secret,
        issuer: auth.jwt_issuer.clone(),
        audience: auth.jwt_audience.clone(),
        jwks,
    })
}

/// The cache and the bus: Redis when `REDIS_URL` is set, in-process otherwise.
pub fn services(
    args: &StorageArgs,
    db: &agentmon_core::db::Db,
) -> anyhow::Result<crate::graphql::Services> {
    use agentmon_core::bus::Bus;
    use agentmon_core::cache::Cache;
    let (cache, bus) = match &args.redis_url {
        Some(url) => (Cache::redis(url, args.cache_ttl)?, Bus::redis(url)?),
        None => (
            Cache::local(args.cache_ttl, agentmon_core::cache::LOCAL_CAPACITY),
            Bus::local(),
        ),
    };
    bus.listen();
    tracing::info!(
        cache = cache.kind(),
        bus = bus.kind(),
        "cache and live updates"
    );
    Ok(crate::graphql::Services {
        db: db.clone(),
        cache,
        bus,
    })
}

/// The bus a separate worker publishes on: Redis when `REDIS_URL` is set
/// (an in-process bus would reach nobody outside this process).
pub fn publishing_bus(args: &StorageArgs) -> anyhow::Result<Option<agentmon_core::bus::Bus>> {
    args.redis_url
        .as_deref()
        .map(agentmon_core::bus::Bus::redis)
        .transpose()
}
