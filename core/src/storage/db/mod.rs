//! Storage: the connection pools, tenant-scoped transactions, migrations and
//! the embedded PostgreSQL cluster used when no `DATABASE_URL` is set.
//!
//! Three pools share one database, each with its `application_name` so
//! `pg_stat_activity` says who is who:
//! - `agentmon-api`: every request, logged in as `agentmon_api` (see
//!   [`login`]), which row-level security binds: every tenant query runs
//!   inside [`set_org`];
//! - `agentmon-worker`: the projection worker, with the owner's rights;
//! - `agentmon-admin`: migrations, maintenance and org administration, with
//!   the owner's rights, apart from the worker so neither starves the other.

pub mod embedded;
pub mod login;
pub mod migrate;
pub mod partitions;

use diesel::sql_types::Text;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::FutureExt;
use uuid::Uuid;

use crate::Result;

pub type Conn = Object<AsyncPgConnection>;

/// Settings every connection starts with.
const SESSION_SETUP: &str = "SET statement_timeout = '30s'; SET TIME ZONE 'UTC';";

#[derive(Clone)]
pub struct Db {
    app: Pool<AsyncPgConnection>,
    worker: Pool<AsyncPgConnection>,
    owner: Pool<AsyncPgConnection>,
    pub partitions: partitions::KnownPartitions,
}

/// Where the pools log in: the owner (migrations, worker, administration)
/// and the request login (`agentmon_api`).
#[derive(Debug, Clone)]
pub struct DbUrls {
    pub owner: String,
    pub app: String,
}

impl DbUrls {
    /// The owner's URL and the request login derived from it (its password
    /// set if needed).
    pub async fn derive(owner: &str) -> anyhow::Result<Self> {
        Ok(DbUrls {
            owner: owner.to_string(),
            app: login::app_login(owner).await?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct PoolSizes {
    pub app: usize,
    pub worker: usize,
    pub owner: usize,
}

impl Default for PoolSizes {
    fn default() -> Self {
        PoolSizes {
            app: 16,
            worker: 4,
            owner: 4,
        }
    }
}

impl Db {
    /// The pools; connections are made lazily.
    pub fn connect(urls: &DbUrls, sizes: &PoolSizes) -> anyhow::Result<Self> {
        Ok(Db {
            app: pool(&urls.app, sizes.app, "agentmon-api")?,
            worker: pool(&urls.owner, sizes.worker, "agentmon-worker")?,
            owner: pool(&urls.owner, sizes.owner, "agentmon-admin")?,
            partitions: Default::default(),
        })
    }

    /// A connection bound by row-level security: tenant rows are visible only
    /// inside a transaction that called [`set_org`].
    pub async fn app(&self) -> Result<Conn> {
        Ok(self.app.get().await?)
    }

    /// A connection with the owner's rights, for administration and
    /// maintenance; not bound by row-level security.
    pub async fn owner(&self) -> Result<Conn> {
        Ok(self.owner.get().await?)
    }

    /// A connection with the owner's rights for the projection worker.
    pub async fn worker(&self) -> Result<Conn> {
        Ok(self.worker.get().await?)
    }

    /// True when the database answers a trivial query.
    pub async fn ready(&self) -> bool {
        match self.app.get().await {
            Ok(mut conn) => conn.batch_execute("SELECT 1").await.is_ok(),
            Err(_) => false,
        }
    }
}

fn pool(
    url: &str,
    size: usize,
    application_name: &'static str,
) -> anyhow::Result<Pool<AsyncPgConnection>> {
    let mut config = ManagerConfig::default();
    // A connection handed back is checked for an open transaction and for
    // having broken, not pinged with a query on every checkout: a round
    // trip less per use. One the server closed meanwhile fails its next
    // query as UNAVAILABLE ("retry the request") and is then discarded.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_string();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&format!(
                "SET application_name = '{application_name}'; {SESSION_SETUP}"
            ))
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    Ok(Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(10)))
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// Binds the current transaction to `org`: row-level security then shows and
/// accepts only that org's rows. Transaction-local, so it never leaks through
/// the pool.
pub async fn set_org(conn: &mut AsyncPgConnection, org: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT set_config('app.org_id', $1, true)")
        .bind::<Text, _>(org.to_string())
        .execute(conn)
        .await
        .map(|_| ())
}

/// Creates database `name` on the server at `server_url` unless it exists.
pub async fn create_database_if_missing(server_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(server_url).await?;
    let quoted = name.replace('"', "\"\"");
    match conn
        .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
        .await
    {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot create database {name}: {e}")),
    }
}
