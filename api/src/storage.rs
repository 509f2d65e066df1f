//! Opens the database the configuration names, or the embedded one, and
//! brings its schema up to date. Dropping a `Storage` stops an embedded
//! cluster that this process started.

use agentmon_core::auth::JwtSettings;
use agentmon_core::storage::db::embedded::{read_or_create_secret, EmbeddedPg};
use agentmon_core::storage::db::replicas::Replicas;
use agentmon_core::storage::db::{create_database_if_missing, migrate, Db, DbUrls, PoolSizes};
use agentmon_core::storage::models::org::{self, Org};
use anyhow::{bail, Context};
use secrecy::ExposeSecret;

use crate::cli::{AuthArgs, StorageArgs};
use crate::data_dir;

/// Shortest HS256 secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

const EMBEDDED_DATABASE: &str = "agentmon";

pub struct Storage {
    pub db: Db,
    pub url: String,
    /// The request login's URL (a replica's pool logs in with it).
    app_url: String,
    embedded: Option<EmbeddedPg>,
}

/// Whether a command may create the JWT secret when the data directory has
/// none: only the server does; every other command must use the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFile {
    CreateIfMissing,
    MustExist,
}

impl Storage {
    /// Org `slug` read with the operator's rights; `None` without a slug,
    /// an error naming the slug when there is no such org.
    pub async fn org(&self, slug: Option<&str>) -> anyhow::Result<Option<Org>> {
        let Some(slug) = slug else { return Ok(None) };
        let mut conn = self.db.owner().await?;
        let found = org::by_slug(&mut conn, slug).await?;
        Ok(Some(found.ok_or_else(|| {
            anyhow::anyhow!("no org with slug {slug:?}")
        })?))
    }

    /// Connects (starting the embedded cluster when no URL is configured) and
    /// applies pending migrations.
    pub async fn open(args: &StorageArgs) -> anyhow::Result<Self> {
        let (url, embedded) = locate(args).await?;
        let versions = migrate::run(&url)
            .await
            .context("cannot migrate the database")?;
        if !versions.is_empty() {
            tracing::info!(?versions, "migrations applied");
        }
        let urls = match &args.database_app_url {
            Some(app) => DbUrls {
                owner: url.clone(),
                app: app.expose_secret().to_string(),
            },
            None => DbUrls::derive(&url).await?,
        };
        let db = Db::connect(&urls, &PoolSizes::default())?;
        Ok(Storage {
            db,
            url,
            app_url: urls.app,
            embedded,
        })
    }

    /// Adds the read replicas of DATABASE_REPLICA_URL (for the server: its
    /// queries read from them) and starts measuring their lag.
    pub fn read_from_replicas(&mut self, args: &StorageArgs) -> anyhow::Result<()> {
        let urls: Vec<String> = args
            .database_replica_url
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Ok(());
        }
        let replicas = Replicas::new(&urls, &self.app_url, args.database_replica_max_lag)
            .context("DATABASE_REPLICA_URL")?;
        for status in replicas.status() {
            tracing::info!(replica = %status.name, "read replica configured");
        }
        self.db = self.db.clone().with_replicas(replicas);
        Ok(())
    }

    /// Which PostgreSQL this is, for the start-up lines (no password).
    pub fn describe(&self) -> String {
        match &self.embedded {
            Some(pg) => format!("embedded, on 127.0.0.1:{}", pg.port()),
            None => redact(&self.url),
        }
    }

    /// Closes the pools, then stops the embedded cluster if this process
    /// started it.
    pub fn close(self) {
        drop(self.db);
        drop(self.embedded);
    }
}

/// The database's owner URL: DATABASE_URL, or the embedded cluster's
/// (started, and its database made, when needed), which is kept running
/// while the returned handle lives. Nothing is migrated.
pub async fn locate(args: &StorageArgs) -> anyhow::Result<(String, Option<EmbeddedPg>)> {
    Ok(match &args.database_url {
        Some(url) => (url.expose_secret().to_string(), None),
        None => {
            let (dir, origin) = data_dir::resolve(args.data_dir.as_deref())?;
            data_dir::announce(&dir, origin);
            let pg =
                tokio::task::spawn_blocking(move || EmbeddedPg::start_or_reuse(&dir)).await??;
            create_database_if_missing(&pg.url("postgres"), EMBEDDED_DATABASE).await?;
            (pg.url(EMBEDDED_DATABASE), Some(pg))
        }
    })
}

/// The JWT settings: the configured secret, or the one kept in the data
/// directory (created by the server's first start, mode 0600).
pub fn jwt_settings(
    auth: &AuthArgs,
    storage: &StorageArgs,
    file: SecretFile,
) -> anyhow::Result<JwtSettings> {
    let secret = match auth.jwt_secret.as_ref().map(ExposeSecret::expose_secret) {
        Some(secret) => {
            if secret.len() < MIN_SECRET_BYTES {
                bail!(
                    "AGENTMON_JWT_SECRET is {} bytes long; it must have at least {MIN_SECRET_BYTES} \
                     (make one with `openssl rand -hex 32`)",
                    secret.len()
                );
            }
            secret.to_string()
        }
        None => {
            let (dir, origin) = data_dir::resolve(storage.data_dir.as_deref())?;
            data_dir::announce(&dir, origin);
            let path = dir.join("jwt-secret");
            match file {
                SecretFile::CreateIfMissing => {
                    std::fs::create_dir_all(&dir).with_context(|| {
                        format!("cannot create the data directory {}", dir.display())
                    })?;
                    read_or_create_secret(&path)?
                }
                SecretFile::MustExist => read_secret(&path)?,
            }
        }
    };
    let jwks = match &auth.jwks {
        Some(path) => Some(JwtSettings::read_jwks(path)?),
        None => None,
    };
    Ok(JwtSettings {
        secret: secret.into(),
        issuer: auth.jwt_issuer.clone(),
        audience: auth.jwt_audience.clone(),
        jwks,
    })
}

/// The cache and the bus: Redis when `REDIS_URL` is set, in-process otherwise.
pub fn services(
    args: &StorageArgs,
    db: &agentmon_core::storage::db::Db,
    limits: &crate::cli::RateArgs,
    keys: agentmon_core::auth::ApiKeys,
) -> anyhow::Result<crate::graphql::Services> {
    use agentmon_core::bus::Bus;
    use agentmon_core::cache::Cache;
    let (cache, bus) = match args.redis_url.as_ref().map(ExposeSecret::expose_secret) {
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
    let rates = crate::graphql::RateLimits::new(
        limits.ingest_events_per_second,
        limits.requests_per_minute,
        args.redis_url.as_ref().map(ExposeSecret::expose_secret),
    )?;
    Ok(crate::graphql::Services {
        db: db.clone(),
        cache,
        bus,
        rates,
        keys,
        members: Default::default(),
        webhooks: agentmon_core::alerts::WebhookPolicy::from_env(),
    })
}

/// The bus a separate worker publishes on: Redis when `REDIS_URL` is set
/// (an in-process bus would reach nobody outside this process).
pub fn publishing_bus(args: &StorageArgs) -> anyhow::Result<Option<agentmon_core::bus::Bus>> {
    args.redis_url
        .as_ref()
        .map(|url| agentmon_core::bus::Bus::redis(url.expose_secret()))
        .transpose()
}

/// The secret a server made in its data directory; never a new one, which
/// would mint tokens that server refuses.
fn read_secret(path: &std::path::Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(secret) if !secret.trim().is_empty() => Ok(secret.trim().to_string()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            bail!("cannot read the JWT secret {}: {e}", path.display())
        }
        _ => bail!(
            "there is no JWT secret at {}: `agentmon serve` creates it on its first start. \
             If a server is running, it uses another data directory (it prints it when it \
             starts): set AGENTMON_DATA_DIR to that one, or AGENTMON_JWT_SECRET to the \
             server's secret. Otherwise start `agentmon serve` once first.",
            path.display()
        ),
    }
}

/// A database or Redis URL without its password.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(a URL that does not parse)".into(),
    }
}
