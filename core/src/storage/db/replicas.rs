//! Read replicas: PostgreSQL standbys streaming from the primary, which
//! answer read-only requests so the primary keeps its work for writes.
//!
//! Each replica has a pool of its own, logged in as the request login
//! (`agentmon_api`, bound by row-level security exactly as on the primary).
//! A watcher asks every replica each second how far it is behind: none when
//! it has replayed all the primary has written (its replay position is at
//! or past the primary's), else the time since the last transaction it
//! replayed. A replica further behind than the allowed lag, unreachable, or
//! not a standby any more is skipped, so reads go to the primary; it comes
//! back by itself once the watcher finds it caught up.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use diesel::sql_types::{Bool, Double, Nullable, Text};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::RecyclingMethod;
use diesel_async::AsyncPgConnection;

use super::pool;

/// How often every replica is asked for its lag.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// One standby.
pub struct Replica {
    /// `host:port/database`: how logs and `/metrics` name it (no login).
    pub name: String,
    pool: Pool<AsyncPgConnection>,
    /// Whether reads may go to it now.
    usable: AtomicBool,
    /// Its lag in milliseconds as last measured; `u64::MAX` when unknown
    /// (unreachable, or not asked yet).
    lag_ms: AtomicU64,
    /// Why it is skipped, when it is.
    reason: std::sync::Mutex<Option<String>>,
}

/// What `/metrics` and the API say of a replica.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    pub name: String,
    pub usable: bool,
    /// Seconds behind the primary; `None` when unknown.
    pub lag_seconds: Option<f64>,
    pub reason: Option<String>,
}

pub struct Replicas {
    members: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
}

impl Replicas {
    /// Pools on the replicas at `urls` (each `postgres://host:port/db`; a
    /// login in the URL is used, else `app_url`'s, the request login's):
    /// made lazily, and none usable until the watcher has measured it.
    pub fn new(urls: &[String], app_url: &str, max_lag: Duration) -> anyhow::Result<Self> {
        let members = urls
            .iter()
            .map(|url| {
                let (name, url) = replica_url(url, app_url)?;
                Ok(Replica {
                    pool: pool(&url, 16, "agentmon-api-replica", RecyclingMethod::Verified)?,
                    name,
                    usable: AtomicBool::new(false),
                    lag_ms: AtomicU64::new(u64::MAX),
                    reason: std::sync::Mutex::new(Some("not measured yet".into())),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Replicas {
            members,
            max_lag,
            next: AtomicUsize::new(0),
        })
    }

    /// The lag beyond which a replica is skipped.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// The index of a usable replica, taking turns among them; `None` when
    /// none is.
    pub fn pick(&self) -> Option<usize> {
        let usable: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.members[i].usable())
            .collect();
        if usable.is_empty() {
            return None;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        Some(usable[turn % usable.len()])
    }

    /// Replica `index` (as [`Replicas::pick`] gave it).
    pub fn member(&self, index: usize) -> Option<&Replica> {
        self.members.get(index)
    }

    /// Each replica's state, in the configured order.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.members.iter().map(Replica::status).collect()
    }

    /// Measures every replica against the primary's current write position
    /// (read on `primary`) and marks it usable or not.
    pub async fn measure(&self, primary: &mut AsyncPgConnection) {
        let position = match primary_position(primary).await {
            Ok(position) => position,
            Err(e) => {
                // Without the primary's position no lag can be known: the
                // replicas keep their state until the next round.
                tracing::warn!(error = %e, "cannot read the primary's WAL position");
                return;
            }
        };
        for replica in &self.members {
            replica.measure(&position, self.max_lag).await;
        }
    }
}

impl Replica {
    /// A connection on this replica.
    pub async fn get(&self) -> crate::Result<super::Conn> {
        match self.pool.get().await {
            Ok(conn) => Ok(conn),
            Err(e) => {
                // Down since the last round: skipped until measured again.
                self.skip(format!("cannot connect: {e}"), None);
                Err(e.into())
            }
        }
    }

    /// Whether reads may go to it now.
    pub fn usable(&self) -> bool {
        self.usable.load(Ordering::Relaxed)
    }

    /// Its lag in seconds as last measured; `None` when unknown.
    pub fn lag_seconds(&self) -> Option<f64> {
        match self.lag_ms.load(Ordering::Relaxed) {
            u64::MAX => None,
            ms => Some(ms as f64 / 1000.0),
        }
    }

    fn status(&self) -> ReplicaStatus {
        ReplicaStatus {
            name: self.name.clone(),
            usable: self.usable(),
            lag_seconds: self.lag_seconds(),
            reason: self.reason.lock().map(|r| r.clone()).unwrap_or_default(),
        }
    }

    async fn measure(&self, position: &str, max_lag: Duration) {
        match self.lag(position).await {
            Ok(Lag::NotStandby) => self.skip(
                "it is not a standby (promoted, or not a replica of this primary)".into(),
                None,
            ),
            Ok(Lag::Behind(lag)) if lag > max_lag => self.skip(
                format!(
                    "{:.1} s behind the primary (at most {:.1} s allowed)",
                    lag.as_secs_f64(),
                    max_lag.as_secs_f64()
                ),
                Some(lag),
            ),
            Ok(Lag::Behind(lag)) => {
                self.lag_ms.store(lag.as_millis() as u64, Ordering::Relaxed);
                if let Ok(mut reason) = self.reason.lock() {
                    if reason.is_some() {
                        tracing::info!(replica = %self.name, "replica in use for reads");
                    }
                    *reason = None;
                }
                self.usable.store(true, Ordering::Relaxed);
            }
            Err(e) => self.skip(format!("cannot measure its lag: {e}"), None),
        }
    }

    fn skip(&self, why: String, lag: Option<Duration>) {
        self.usable.store(false, Ordering::Relaxed);
        self.lag_ms.store(
            lag.map_or(u64::MAX, |l| l.as_millis() as u64),
            Ordering::Relaxed,
        );
        if let Ok(mut reason) = self.reason.lock() {
            if reason.is_none() {
                tracing::warn!(replica = %self.name, reason = %why, "replica skipped: reads go to the primary");
            }
            *reason = Some(why);
        }
    }

    async fn lag(&self, position: &str) -> anyhow::Result<Lag> {
        // Here only: its `load` would shadow the atomics' elsewhere.
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Probe {
            #[diesel(sql_type = Bool)]
            standby: bool,
            #[diesel(sql_type = Nullable<Bool>)]
            caught_up: Option<bool>,
            #[diesel(sql_type = Nullable<Double>)]
            since_replay: Option<f64>,
            #[diesel(sql_type = Bool)]
            bound: bool,
        }
        let mut conn = tokio::time::timeout(Duration::from_secs(2), self.pool.get())
            .await
            .context("no connection within 2 s")??;
        let probe: Probe = tokio::time::timeout(
            Duration::from_secs(2),
            diesel::sql_query(
                "SELECT pg_is_in_recovery() AS standby, \
                        pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up, \
                        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since_replay, \
                        NOT (r.rolsuper OR r.rolbypassrls) AS bound \
                 FROM pg_roles r WHERE r.rolname = current_user",
            )
            .bind::<Text, _>(position)
            .get_result(&mut conn),
        )
        .await
        .context("no answer within 2 s")??;
        if !probe.bound {
            // Reads on a login that row-level security does not bind would
            // show every tenant's rows: never used.
            anyhow::bail!(
                "its login is a superuser or bypasses row-level security; give the request login (agentmon_api)"
            );
        }
        if !probe.standby {
            return Ok(Lag::NotStandby);
        }
        if probe.caught_up == Some(true) {
            return Ok(Lag::Behind(Duration::ZERO));
        }
        let since = probe.since_replay.unwrap_or(f64::INFINITY).max(0.0);
        Ok(Lag::Behind(
            Duration::try_from_secs_f64(since).unwrap_or(Duration::MAX),
        ))
    }
}

enum Lag {
    NotStandby,
    Behind(Duration),
}

async fn primary_position(primary: &mut AsyncPgConnection) -> anyhow::Result<String> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Position {
        #[diesel(sql_type = Text)]
        lsn: String,
    }
    let row: Position = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
        .get_result(primary)
        .await?;
    Ok(row.lsn)
}

/// The replica's name (`host:port/database`) and the URL its pool logs in
/// with: the replica's host, port and database, with its own login when it
/// names one and the request login's (`app_url`) otherwise.
fn replica_url(url: &str, app_url: &str) -> anyhow::Result<(String, String)> {
    let given = url::Url::parse(url).context("DATABASE_REPLICA_URL holds a URL that is not one")?;
    let host = given
        .host_str()
        .context("a DATABASE_REPLICA_URL has no host")?;
    let port = given.port().unwrap_or(5432);
    let mut login = url::Url::parse(app_url).context("the request login's URL is not a URL")?;
    if !given.username().is_empty() {
        login
            .set_username(given.username())
            .map_err(|()| anyhow::anyhow!("cannot use the replica's login"))?;
        login
            .set_password(given.password())
            .map_err(|()| anyhow::anyhow!("cannot use the replica's login"))?;
    }
    login
        .set_host(Some(host))
        .context("a DATABASE_REPLICA_URL has a host that is not one")?;
    login
        .set_port(Some(port))
        .map_err(|()| anyhow::anyhow!("cannot use the replica's port"))?;
    if !given.path().trim_start_matches('/').is_empty() {
        login.set_path(given.path());
    }
    let database = login.path().trim_start_matches('/').to_string();
    if let Some(query) = given.query() {
        login.set_query(Some(query));
    }
    Ok((format!("{host}:{port}/{database}"), login.to_string()))
}

/// Measures the replicas every [`WATCH_EVERY`] on connections of `primary`
/// until the process ends.
pub fn watch(replicas: Arc<Replicas>, primary: Pool<AsyncPgConnection>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match primary.get().await {
                Ok(mut conn) => replicas.measure(&mut conn).await,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the primary to measure the replicas")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "postgres://agentmon_api:s3cret@primary:5432/agentmon";

    #[test]
    fn a_replica_without_a_login_uses_the_request_login() {
        let (name, url) = replica_url("postgres://standby-1:6432", APP).unwrap_or_default();
        assert_eq!(name, "standby-1:6432/agentmon");
        assert_eq!(
            url,
            "postgres://agentmon_api:s3cret@standby-1:6432/agentmon"
        );
    }

    #[test]
    fn a_replica_keeps_its_own_login_database_and_options() {
        let (name, url) = replica_url("postgres://reader:pw@standby-2/other?sslmode=require", APP)
            .unwrap_or_default();
        assert_eq!(name, "standby-2:5432/other");
        assert_eq!(
            url,
            "postgres://reader:pw@standby-2:5432/other?sslmode=require"
        );
    }

    #[test]
    fn a_replica_url_that_is_not_one_is_refused() {
        assert!(replica_url("standby-1:5432", APP).is_err());
    }
}
