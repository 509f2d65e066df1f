//! The worker: claims batches of queued events with `FOR UPDATE SKIP
//! LOCKED`, runs every projector in the same transaction, deletes the queue
//! rows and commits. It wakes on `NOTIFY` and polls as a fallback; any
//! number of workers may run at once. A batch that fails is retried event
//! by event, so a failing event is isolated: it is retried with backoff and
//! after `max_attempts` moved to `dead_letters` with its error.

mod batch;
mod failure;

use std::time::Duration;

use agentmon_core::db::Db;
use agentmon_core::models::ingest::EVENTS_CHANNEL;
use agentmon_core::Result;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{Changes, Projector};

pub use batch::{claim, fold_sessions, project, run_projectors, Claimed};

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
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch_size: 1_000,
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            poll_interval: Duration::from_secs(1),
        }
    }
}

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
        let mut listener = self.listen().await;
        while !shutdown.is_cancelled() {
            match self.round().await {
                Ok(round) if round.projected + round.failed > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "worker round failed"),
            }
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
                got = notified => if !got { listener = self.listen().await },
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
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
        let batch_size = self.config.batch_size;
        let projectors = &self.projectors;
        let attempt = conn
            .transaction::<_, agentmon_core::Error, _>(async |tx| {
                let claimed = claim(tx, batch_size, None).await?;
                let changes = project(tx, projectors, &claimed).await?;
                Ok((claimed, changes))
            })
            .await;
        let round = match attempt {
            Ok((claimed, changes)) => Round {
                projected: claimed.len(),
                failed: 0,
                changes,
            },
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

    async fn isolate(&self, conn: &mut AsyncPgConnection) -> Result<Round> {
        let candidates = claim_ids(conn, self.config.batch_size).await?;
        let mut round = Round::default();
        for (org_id, event_id) in candidates {
            let projectors = &self.projectors;
            let attempt = conn
                .transaction::<_, agentmon_core::Error, _>(async |tx| {
                    let claimed = claim(tx, 1, Some((org_id, event_id))).await?;
                    let changes = project(tx, projectors, &claimed).await?;
                    Ok((claimed.len(), changes))
                })
                .await;
            match attempt {
                Ok((n, changes)) => {
                    round.projected += n;
                    round.changes.merge(changes);
                }
                Err(e) => {
                    round.failed += 1;
                    failure::record(conn, org_id, event_id, &e.to_string(), &self.config).await?;
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
        "SELECT org_id, event_id FROM projection_queue WHERE next_attempt_at <= now() \
         ORDER BY next_attempt_at, seq LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}
