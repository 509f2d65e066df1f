//! The worker: claims batches of queued events with `FOR UPDATE SKIP
//! LOCKED`, runs every projector in the same transaction, deletes the queue
//! rows and commits. It wakes on `NOTIFY` and polls as a fallback (and
//! listens again once the database is back); any number of workers may run
//! at once.
//!
//! A batch that fails is retried event by event. An event whose session
//! projects without it is the poison: it is retried with backoff and after
//! `max_attempts` moved to `dead_letters` with its error, while its
//! session's other events project without it. A transient database error
//! (serialization, deadlock, lock or statement timeout, lost connection)
//! spends no attempt: the work is simply tried again.

mod batch;
mod failure;

use std::time::Duration;

use agentmon_core::ingest::EVENTS_CHANNEL;
use agentmon_core::storage::db::Db;
use agentmon_core::Result;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{Changes, Projector};

pub(crate) use batch::lock_sessions;
pub use batch::{claim, fold_sessions, project, run_projectors, Claimed, Excluded, Locks};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Events claimed per transaction.
    pub batch_size: i64,
    /// Failed attempts before an event becomes a dead letter.
    pub max_attempts: i32,
    /// First retry delay; doubles with each attempt (capped at 10 minutes).
    pub backoff: Duration,
    /// How often to look for work when no NOTIFY arrives.
    pub poll_interval: Duration,
    /// Longest wait for a lock (a session another worker projects, an org
    /// a replay holds) before the batch is tried again later.
    pub lock_timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch_size: 1_000,
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            poll_interval: Duration::from_secs(1),
            lock_timeout: Duration::from_secs(10),
        }
    }
}

/// How long to wait before listening again after LISTEN failed.
const RELISTEN: Duration = Duration::from_secs(2);

pub struct Worker {
    db: Db,
    /// Where to say what changed after each commit.
    bus: Option<agentmon_core::bus::Bus>,
    /// Where LISTEN connects (the owner's URL).
    url: String,
    projectors: Vec<Box<dyn Projector>>,
    config: WorkerConfig,
}

/// The outcome of one claim.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub projected: usize,
    pub failed: usize,
    pub changes: Changes,
}

impl Worker {
    pub fn new(
        db: Db,
        url: &str,
        projectors: Vec<Box<dyn Projector>>,
        config: WorkerConfig,
    ) -> Self {
        Worker {
            db,
            bus: None,
            url: url.to_string(),
            projectors,
            config,
        }
    }

    /// Publishes each commit's changes on `bus` (for live updates).
    pub fn with_bus(mut self, bus: agentmon_core::bus::Bus) -> Self {
        self.bus = Some(bus);
        self
    }

    async fn announce(&self, changes: &Changes) {
        let Some(bus) = &self.bus else { return };
        if changes.orgs.is_empty() {
            return;
        }
        let change = agentmon_core::bus::Change {
            id: uuid::Uuid::new_v4(),
            orgs: changes.orgs.iter().copied().collect(),
            sessions: changes.sessions.iter().cloned().collect(),
        };
        bus.publish(change).await;
    }

    /// Runs until `shutdown` is cancelled; the batch in hand is finished (or
    /// rolled back) first.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<()> {
        tracing::info!(batch_size = self.config.batch_size, "worker started");
        let jobs = crate::jobs::JobRunner::new(self.db.clone(), &self.url)
            .with_bus(self.bus.clone())
            .with_poll(self.config.poll_interval);
        let jobs_stop = shutdown.clone();
        let jobs = tokio::spawn(async move { jobs.run(jobs_stop).await });
        let mut listener = self.listen().await;
        let mut last_listen = tokio::time::Instant::now();
        let mut next_maintenance = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            if tokio::time::Instant::now() >= next_maintenance {
                match crate::maintenance::run(&self.db, chrono::Utc::now()).await {
                    Ok(Some(months)) => tracing::info!(months, "maintenance: partitions ready"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "maintenance failed; trying again later"),
                }
                next_maintenance = tokio::time::Instant::now() + crate::maintenance::EVERY;
            }
            if listener.is_none() && last_listen.elapsed() >= RELISTEN {
                listener = self.listen().await;
                last_listen = tokio::time::Instant::now();
                if listener.is_some() {
                    tracing::info!("listening for new events again");
                }
            }
            match self.round().await {
                Ok(round) if round.projected + round.failed > 0 => continue,
                Ok(_) => {}
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "worker round hit a transient fault; trying again")
                }
                Err(e) => tracing::error!(error = %e, "worker round failed"),
            }
            let wait = if listener.is_some() {
                self.config.poll_interval
            } else {
                self.config.poll_interval.min(RELISTEN)
            };
            let notified = async {
                match listener.as_mut() {
                    Some(conn) => {
                        let mut stream = std::pin::pin!(conn.notifications_stream());
                        stream.next().await.is_some()
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                got = notified => if !got {
                    tracing::warn!("the LISTEN connection was lost; listening again");
                    listener = self.listen().await;
                    last_listen = tokio::time::Instant::now();
                },
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let _ = jobs.await;
        tracing::info!("worker stopped");
        Ok(())
    }

    async fn listen(&self) -> Option<AsyncPgConnection> {
        let mut conn = match AsyncPgConnection::establish(&self.url).await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN; polling only");
                return None;
            }
        };
        let listen = diesel::sql_query(format!("LISTEN {EVENTS_CHANNEL}"))
            .execute(&mut conn)
            .await;
        listen.ok().map(|_| conn)
    }

    /// Projects until no event is ready; returns how many were projected.
    pub async fn drain(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let round = self.round().await?;
            total += round.projected;
            if round.projected + round.failed == 0 {
                return Ok(total);
            }
        }
    }

    /// Claims one batch and projects it; on failure, retries its events one
    /// at a time and records the failures of those that still fail.
    pub async fn round(&self) -> Result<Round> {
        let mut conn = self.db.worker().await?;
        let attempt = self.attempt(&mut conn, None, &Excluded::new()).await;
        let round = match attempt {
            Ok((projected, changes)) => Round {
                projected,
                failed: 0,
                changes,
            },
            // Nothing is wrong with the events: the whole batch goes again.
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "batch failed; projecting its events one by one");
                self.isolate(&mut conn).await?
            }
        };
        if round.projected > 0 {
            metrics::counter!("agentmon_projected_events_total").increment(round.projected as u64);
        }
        if round.failed > 0 {
            metrics::counter!("agentmon_projection_failures_total").increment(round.failed as u64);
        }
        self.announce(&round.changes).await;
        Ok(round)
    }

    /// One transaction: claims a batch (or the one event given), projects it
    /// leaving `excluded` out of the folds, commits.
    async fn attempt(
        &self,
        conn: &mut AsyncPgConnection,
        only: Option<(Uuid, Uuid)>,
        excluded: &Excluded,
    ) -> Result<(usize, Changes)> {
        let limit = if only.is_some() {
            1
        } else {
            self.config.batch_size
        };
        let lock_timeout = format!(
            "SET LOCAL lock_timeout = '{}ms'",
            self.config.lock_timeout.as_millis().max(1)
        );
        let projectors = &self.projectors;
        conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
            diesel::sql_query(&lock_timeout).execute(tx).await?;
            let claimed = claim(tx, limit, only).await?;
            let changes = project(tx, projectors, &claimed, excluded).await?;
            Ok((claimed.len(), changes))
        })
        .await
    }

    /// Whether event `key`'s session projects without it: tried in a
    /// transaction that is always rolled back.
    async fn projects_without(
        &self,
        conn: &mut AsyncPgConnection,
        key: (Uuid, Uuid),
        excluded: &Excluded,
    ) -> bool {
        let mut without = excluded.clone();
        without.insert(key);
        let projectors = &self.projectors;
        let probe = conn
            .transaction::<(), agentmon_core::Error, _>(async |tx| {
                let claimed = claim(tx, 1, Some(key)).await?;
                project(tx, projectors, &claimed, &without).await?;
                Err(agentmon_core::Error::internal("probe: roll back"))
            })
            .await;
        matches!(probe, Err(agentmon_core::Error::Internal(e)) if e.to_string() == "probe: roll back")
    }

    /// Projects the ready events one at a time. An event that fails is
    /// the poison only if its session projects without it; the others of
    /// its session are then projected without it. An event that fails even
    /// so spends an attempt; a transient fault spends none.
    async fn isolate(&self, conn: &mut AsyncPgConnection) -> Result<Round> {
        let candidates = claim_ids(conn, self.config.batch_size).await?;
        let mut round = Round::default();
        // Events already failing and waiting for their retry stay out of
        // the other events' folds until they project or die.
        let mut poison: Excluded = failing(conn).await?.into_iter().collect();
        let mut innocent = Vec::new();
        for key in candidates {
            match self.attempt(conn, Some(key), &poison).await {
                Ok((n, changes)) => {
                    round.projected += n;
                    round.changes.merge(changes);
                }
                Err(e) if e.is_transient() => {
                    tracing::warn!(error = %e, "transient fault while isolating; trying again later");
                    return Ok(round);
                }
                Err(e) if self.projects_without(conn, key, &poison).await => {
                    round.failed += 1;
                    poison.insert(key);
                    failure::record(conn, key.0, key.1, &e.to_string(), &self.config).await?;
                }
                Err(e) => innocent.push((key, e)),
            }
        }
        // Events that failed before their session's poison was found.
        for (key, first) in innocent {
            match self.attempt(conn, Some(key), &poison).await {
                Ok((n, changes)) => {
                    round.projected += n;
                    round.changes.merge(changes);
                }
                Err(e) if e.is_transient() => return Ok(round),
                Err(e) => {
                    tracing::debug!(first = %first, "failed again");
                    round.failed += 1;
                    failure::record(conn, key.0, key.1, &e.to_string(), &self.config).await?;
                }
            }
        }
        Ok(round)
    }
}

/// The ids of the events a batch would claim now, without claiming them.
async fn claim_ids(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<(Uuid, Uuid)>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        org_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        event_id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT org_id, event_id FROM projection_queue p WHERE next_attempt_at <= now() \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = p.org_id) \
         ORDER BY next_attempt_at, seq LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}

/// Queued events that failed before and wait for their next attempt.
async fn failing(conn: &mut AsyncPgConnection) -> Result<Vec<(Uuid, Uuid)>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        org_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        event_id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT org_id, event_id FROM projection_queue WHERE attempts > 0 AND next_attempt_at > now()",
    )
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}
