//! Read replicas: PostgreSQL standbys streaming from the primary, which
//! answer read-only requests so the primary keeps its work for writes.
//!
//! Each replica has a pool of its own, logged in as the request login
//! (`agentmon_api`, bound by row-level security exactly as on the primary;
//! a login that is a superuser, bypasses row-level security or owns a table
//! it guards is refused). A watcher reads the primary's write position
//! (WAL LSN) every second and keeps a short history of it; a replica has
//! no lag when it has replayed up to the primary's current position, and
//! otherwise is as far behind as the time since the primary was last at
//! the position the replica has replayed (the primary's clock, from this
//! process: no clock of another server is trusted). A replica further
//! behind than allowed, unreachable, not a standby, or not measured for
//! [`STALE`] is skipped, so reads go to the primary; it comes back by
//! itself once the watcher finds it caught up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::RecyclingMethod;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::pool;
use probe::{Primary, Replayed};

mod probe;

/// How often every replica is asked how far it has replayed.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// A replica not measured for this long (the watcher cannot reach it, or
/// the primary) is skipped: its last state is too old to trust.
pub const STALE: Duration = Duration::from_secs(3);

/// How long a request waits for a replica's connection (a free one, a new
/// one, or its ping) before it reads from the primary instead.
const CHECKOUT: Duration = Duration::from_secs(1);

/// What the watcher allows itself per replica and round.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

static START: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since this process started measuring.
fn now_ms() -> u64 {
    START.elapsed().as_millis() as u64
}

/// One standby.
pub struct Replica {
    /// `host:port/database`: how logs and `/metrics` name it (no login).
    pub name: String,
    url: String,
    pool: Pool<AsyncPgConnection>,
    /// Whether its last measurement allowed reads.
    usable: AtomicBool,
    /// When it was last measured ([`now_ms`]); 0 never.
    measured_at: AtomicU64,
    /// Its lag in milliseconds as last measured; `u64::MAX` when unknown.
    lag_ms: AtomicU64,
    /// Why it is skipped, when it is.
    reason: Mutex<Option<String>>,
    /// The watcher's own connection, apart from the requests' pool.
    probe: tokio::sync::Mutex<Option<AsyncPgConnection>>,
}

/// What `/metrics` and the API say of a replica.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    pub name: String,
    pub usable: bool,
    /// Seconds behind the primary; `None` when unknown.
    pub lag_seconds: Option<f64>,
}

pub struct Replicas {
    members: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
    /// The primary's write positions as read each round, oldest first.
    history: Mutex<VecDeque<(u64, Instant)>>,
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
                    pool: pool(
                        &url,
                        16,
                        "agentmon-api-replica",
                        RecyclingMethod::Verified,
                        CHECKOUT,
                    )?,
                    url,
                    name,
                    usable: AtomicBool::new(false),
                    measured_at: AtomicU64::new(0),
                    lag_ms: AtomicU64::new(u64::MAX),
                    reason: Mutex::new(None),
                    probe: tokio::sync::Mutex::new(None),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Replicas {
            members,
            max_lag,
            next: AtomicUsize::new(0),
            history: Mutex::new(VecDeque::new()),
        })
    }

    /// The lag beyond which a replica is skipped.
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// The index of a usable replica, taking turns among them; `None` when
    /// none is.
    pub fn pick(&self) -> Option<usize> {
        // No list is built per request: the usable ones are counted, then
        // the turn's one found (one that changed meanwhile gives `None`: the
        // request reads the primary).
        let usable = self.members.iter().filter(|r| r.usable()).count();
        if usable == 0 {
            return None;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % usable;
        self.members
            .iter()
            .enumerate()
            .filter(|(_, r)| r.usable())
            .nth(turn)
            .map(|(i, _)| i)
    }

    /// Replica `index` (as [`Replicas::pick`] gave it).
    pub fn member(&self, index: usize) -> Option<&Replica> {
        self.members.get(index)
    }

    /// Each replica's state, in the configured order.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.members.iter().map(Replica::status).collect()
    }

    /// Reads the primary's write position (on `primary`), then measures
    /// every replica against it and marks it usable or not.
    pub async fn measure(&self, primary: &mut AsyncPgConnection) {
        let primary = match tokio::time::timeout(PROBE_TIMEOUT, probe::primary(primary)).await {
            Ok(Ok(primary)) => primary,
            Err(_) => {
                tracing::warn!(
                    "the primary did not say where it writes, and which cluster it is, within 2 s"
                );
                return;
            }
            Ok(Err(e)) => {
                // Without the primary's position no lag can be known: the
                // replicas keep their state, which goes stale after STALE.
                tracing::warn!(error = %e, "cannot read the primary's WAL position and system identifier");
                return;
            }
        };
        let (position, now) = (primary.position, Instant::now());
        if let Ok(mut history) = self.history.lock() {
            history.push_back((position, now));
            let keep = self.max_lag + Duration::from_secs(60);
            while history
                .front()
                .is_some_and(|(_, at)| now.duration_since(*at) > keep)
            {
                history.pop_front();
            }
        }
        for replica in &self.members {
            let verdict = match replica.replayed(&primary).await {
                Ok(Replayed::NotStandby) => Err(
                    "it is not a standby (promoted, or not a replica of this primary)".to_string(),
                ),
                Ok(Replayed::Refused(why)) => Err(why),
                Ok(Replayed::Upto(replayed)) => Ok(self.lag(replayed, position, now)),
                Err(e) => Err(format!("cannot measure its lag: {e:#}")),
            };
            replica.record(verdict, self.max_lag);
        }
    }

    /// How long the primary has been past `replayed`: none when the replica
    /// has replayed up to `position` (the primary's now); else the time
    /// since the last round at which the primary was at or before it (at
    /// least the whole history when it was never seen there).
    fn lag(&self, replayed: u64, position: u64, now: Instant) -> Duration {
        if replayed >= position {
            return Duration::ZERO;
        }
        let Ok(history) = self.history.lock() else {
            return Duration::MAX;
        };
        let since = history
            .iter()
            .rev()
            .find(|(lsn, _)| *lsn <= replayed)
            .or(history.front())
            .map_or(now, |(_, at)| *at);
        now.duration_since(since)
    }
}

impl Replica {
    /// A connection on this replica, or `None` (the request reads from the
    /// primary): when every connection is busy for [`CHECKOUT`], or when it
    /// cannot be reached, which also skips it until measured again.
    pub async fn get(&self) -> Option<super::Conn> {
        match self.pool.get().await {
            Ok(conn) => Some(conn),
            Err(PoolError::Timeout(deadpool::managed::TimeoutType::Wait)) => None,
            Err(e) => {
                self.skip(format!("cannot connect: {e}"), None);
                None
            }
        }
    }

    /// Whether reads may go to it now: its last measurement allowed them,
    /// and is recent.
    pub fn usable(&self) -> bool {
        let at = self.measured_at.load(Ordering::Relaxed);
        self.usable.load(Ordering::Relaxed)
            && at != 0
            && now_ms().saturating_sub(at) <= STALE.as_millis() as u64
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
        }
    }

    /// Stores a round's verdict: a lag, or why it could not be measured.
    fn record(&self, verdict: Result<Duration, String>, max_lag: Duration) {
        self.measured_at.store(now_ms().max(1), Ordering::Relaxed);
        match verdict {
            Ok(lag) if lag > max_lag => self.skip(
                format!(
                    "{:.1} s behind the primary (at most {:.1} s allowed)",
                    lag.as_secs_f64(),
                    max_lag.as_secs_f64()
                ),
                Some(lag),
            ),
            Ok(lag) => {
                self.lag_ms.store(lag.as_millis() as u64, Ordering::Relaxed);
                let was = self.usable.swap(true, Ordering::Relaxed);
                if let Ok(mut reason) = self.reason.lock() {
                    *reason = None;
                }
                if !was {
                    tracing::info!(replica = %self.name, "replica in use for reads");
                }
            }
            Err(why) => self.skip(why, None),
        }
    }

    fn skip(&self, why: String, lag: Option<Duration>) {
        let was = self.usable.swap(false, Ordering::Relaxed);
        self.lag_ms.store(
            lag.map_or(u64::MAX, |l| l.as_millis() as u64),
            Ordering::Relaxed,
        );
        if let Ok(mut reason) = self.reason.lock() {
            if was || reason.is_none() {
                tracing::warn!(replica = %self.name, reason = %why, "replica skipped: reads go to the primary");
            }
            *reason = Some(why);
        }
    }

    /// How far it has replayed, on the watcher's own connection (made anew
    /// when it broke), if it is a standby of `primary`'s cluster serving
    /// its database, logged in as a login row-level security binds.
    async fn replayed(&self, primary: &Primary) -> anyhow::Result<Replayed> {
        let mut probe = self.probe.lock().await;
        if probe.is_none() {
            let conn = tokio::time::timeout(PROBE_TIMEOUT, AsyncPgConnection::establish(&self.url))
                .await
                .context("no connection within 2 s")??;
            *probe = Some(conn);
        }
        let Some(conn) = probe.as_mut() else {
            anyhow::bail!("no connection");
        };
        match tokio::time::timeout(PROBE_TIMEOUT, probe::replica(conn, primary)).await {
            Ok(Ok(replayed)) => Ok(replayed),
            failed => {
                // A broken or hanging connection is made anew next round.
                *probe = None;
                Err(match failed {
                    Ok(Err(e)) => e,
                    _ => anyhow::anyhow!("no answer within 2 s"),
                })
            }
        }
    }
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
            match tokio::time::timeout(PROBE_TIMEOUT, primary.get()).await {
                Ok(Ok(mut conn)) => replicas.measure(&mut conn).await,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot reach the primary to measure the replicas")
                }
                Err(_) => tracing::warn!(
                    "no connection to the primary within 2 s to measure the replicas"
                ),
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
    fn lag_is_the_time_since_the_primary_was_where_the_replica_is() {
        let replicas =
            Replicas::new(&[], APP, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let start = Instant::now();
        if let Ok(mut h) = replicas.history.lock() {
            h.extend([
                (100, start),
                (200, start + Duration::from_secs(1)),
                (300, start + Duration::from_secs(2)),
            ]);
        }
        let now = start + Duration::from_secs(3);
        assert_eq!(replicas.lag(300, 300, now), Duration::ZERO, "caught up");
        assert_eq!(
            replicas.lag(250, 300, now),
            Duration::from_secs(2),
            "the primary was at 200 two seconds ago"
        );
        assert_eq!(replicas.lag(100, 300, now), Duration::from_secs(3));
        assert_eq!(
            replicas.lag(50, 300, now),
            Duration::from_secs(3),
            "before the history: at least all of it"
        );
    }

    #[test]
    fn a_replica_url_that_is_not_one_is_refused() {
        assert!(replica_url("standby-1:5432", APP).is_err());
    }
}
