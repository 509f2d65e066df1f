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
pub mod prepared;
pub mod replicas;

pub use prepared::prepared;

use diesel::sql_types::Text;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::FutureExt;
use std::sync::Arc;
use uuid::Uuid;

use replicas::Replicas;

use crate::Result;

pub type Conn = Object<AsyncPgConnection>;

/// How long a checkout from the primary's pools may wait.
const CHECKOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Settings every connection starts with. Statements kept prepared
/// ([`prepared`]) are planned for their parameters on each run: a generic
/// plan, which PostgreSQL may settle on after five runs, cannot see how
/// many keys an array holds or which of a statement's modes a NULL
/// parameter turns off.
const SESSION_SETUP: &str =
    "SET statement_timeout = '30s'; SET TIME ZONE 'UTC'; SET plan_cache_mode = force_custom_plan;";

#[derive(Clone)]
pub struct Db {
    app: Pool<AsyncPgConnection>,
    worker: Pool<AsyncPgConnection>,
    owner: Pool<AsyncPgConnection>,
    pub partitions: partitions::KnownPartitions,
    replicas: Option<Arc<Replicas>>,
    /// The replica this handle's request connections come from (see
    /// [`Db::for_reads`]); the primary when `None`.
    reading_from: Option<usize>,
    /// Set once a request of this handle read from the primary: the rest
    /// of the request stays there, so that it never reads older rows after
    /// newer ones (a cache key from the primary over a replica's figures).
    on_primary: Arc<std::sync::atomic::AtomicBool>,
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
            app: pool(
                &urls.app,
                sizes.app,
                "agentmon-api",
                RecyclingMethod::Fast,
                CHECKOUT,
            )?,
            worker: pool(
                &urls.owner,
                sizes.worker,
                "agentmon-worker",
                RecyclingMethod::Fast,
                CHECKOUT,
            )?,
            owner: pool(
                &urls.owner,
                sizes.owner,
                "agentmon-admin",
                RecyclingMethod::Fast,
                CHECKOUT,
            )?,
            partitions: Default::default(),
            replicas: None,
            reading_from: None,
            on_primary: Default::default(),
        })
    }

    /// Adds read replicas (see [`replicas`]) and starts measuring them.
    pub fn with_replicas(mut self, replicas: Replicas) -> Self {
        let replicas = Arc::new(replicas);
        replicas::watch(replicas.clone(), self.owner.clone());
        self.replicas = Some(replicas);
        self
    }

    /// The read replicas, when configured.
    pub fn replicas(&self) -> Option<&Replicas> {
        self.replicas.as_deref()
    }

    /// This handle for a request that only reads: its request connections
    /// ([`Db::app`]) come from one usable replica, the same for the whole
    /// request, or from the primary when none is usable or none is
    /// configured. Owner and worker connections stay on the primary.
    pub fn for_reads(&self) -> Db {
        let mut reads = self.clone();
        reads.reading_from = self.replicas.as_ref().and_then(|r| r.pick());
        reads.on_primary = Default::default();
        reads
    }

    /// This handle with its request connections on the primary: for a
    /// write made while answering a read (an audit entry).
    pub fn primary(&self) -> Db {
        let mut primary = self.clone();
        primary.reading_from = None;
        primary
    }

    /// How far behind the primary what [`Db::app`] reads may be, in
    /// seconds: 0 on the primary.
    pub fn read_lag_seconds(&self) -> f64 {
        if self.stuck_on_primary() {
            return 0.0;
        }
        self.replica().and_then(|r| r.lag_seconds()).unwrap_or(0.0)
    }

    /// Whether this handle fell back to the primary (and stays there).
    fn stuck_on_primary(&self) -> bool {
        std::sync::atomic::AtomicBool::load(&self.on_primary, std::sync::atomic::Ordering::Relaxed)
    }

    fn replica(&self) -> Option<&replicas::Replica> {
        let index = self.reading_from?;
        self.replicas.as_ref()?.member(index)
    }

    /// A connection bound by row-level security: tenant rows are visible only
    /// inside a transaction that called [`set_org`]. On a replica for a
    /// handle made by [`Db::for_reads`] while that replica is usable; a
    /// replica that fails to give one is skipped for the primary.
    pub async fn app(&self) -> Result<Conn> {
        if !self.stuck_on_primary() {
            if let Some(replica) = self.replica().filter(|r| r.usable()) {
                if let Some(conn) = replica.get().await {
                    return Ok(conn);
                }
            }
            if self.reading_from.is_some() {
                self.on_primary
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
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

/// A pool of `size` connections to `url`. With [`RecyclingMethod::Fast`] a
/// connection handed back is checked for an open transaction and for having
/// broken, not pinged with a query on every checkout: a round trip less per
/// use. One the server closed meanwhile fails its next query as UNAVAILABLE
/// ("retry the request") and is then discarded. Replicas are pinged
/// ([`RecyclingMethod::Verified`]): one that went down is then found at
/// checkout, and the request reads from the primary instead of failing.
/// A checkout waits at most `checkout` for a free connection, a new one, or
/// the ping.
fn pool(
    url: &str,
    size: usize,
    application_name: &'static str,
    recycling: RecyclingMethod<AsyncPgConnection>,
    checkout: std::time::Duration,
) -> anyhow::Result<Pool<AsyncPgConnection>> {
    let mut config = ManagerConfig::default();
    config.recycling_method = recycling;
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
        .wait_timeout(Some(checkout))
        .create_timeout(Some(checkout))
        .recycle_timeout(Some(checkout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// Binds the current transaction to `org`: row-level security then shows and
/// accepts only that org's rows. Transaction-local, so it never leaks through
/// the pool.
pub async fn set_org(conn: &mut AsyncPgConnection, org: Uuid) -> diesel::QueryResult<()> {
    prepared("SELECT set_config('app.org_id', $1, true)")
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
