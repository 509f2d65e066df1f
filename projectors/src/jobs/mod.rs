//! The job runner: every worker runs one beside its projection loop, so
//! long operations (replays, time-zone changes, retention passes,
//! erasures) never run inside a request and never stop projection.
//!
//! A runner takes the oldest open job that no earlier open job of the same
//! org (or of every org) precedes, under a session advisory lock held on a
//! connection of its own; the job's work runs on that connection too. If
//! the worker dies, PostgreSQL ends the connection: the work rolls back,
//! the lock goes, and another runner takes the job over from the start
//! (every job is one transaction, or a sequence of idempotent ones).
//!
//! Rebuilds (a replay, a time-zone change) and erasures pause the org's
//! projection (`jobs.paused_org`) and hold its row: workers leave its queued
//! events alone, and other orgs project as before.

mod lock;
mod work;

use std::time::Duration;

use agentmon_core::bus::Bus;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::job::{self, Job};
use agentmon_core::{Error, Result};
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use lock::{try_lock, unlock};
use work::work;

/// Times a job is started before it is given up: faults of the moment
/// queue it again, and so does a worker dying under it.
const MAX_ATTEMPTS: i32 = 5;
/// The wait before a job that met a fault of the moment may run again;
/// doubles with each attempt.
const BACKOFF: Duration = Duration::from_millis(500);

pub struct JobRunner {
    db: Db,
    url: String,
    bus: Option<Bus>,
    poll: Duration,
}

impl JobRunner {
    /// `url` is the owner's: a job's connection is its own, not pooled.
    pub fn new(db: Db, url: &str) -> Self {
        JobRunner {
            db,
            url: url.to_string(),
            bus: None,
            poll: Duration::from_millis(500),
        }
    }

    pub fn with_bus(mut self, bus: Option<Bus>) -> Self {
        self.bus = bus;
        self
    }

    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Runs jobs until `shutdown`; a job in hand is abandoned (rolled back)
    /// at shutdown and taken over by the next runner.
    pub async fn run(&self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let next = tokio::select! {
                _ = shutdown.cancelled() => break,
                next = self.run_next() => next,
            };
            match next {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "job runner: trying again shortly"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Runs open jobs until none is left that this runner may take.
    pub async fn drain(&self) -> Result<usize> {
        let mut n = 0;
        while self.run_next().await?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Takes one job and runs it to its end; `None` when there is none to
    /// take. Jobs of one org run in the order they were asked (a job over
    /// every org waits for and holds up all of them); between orgs, the org
    /// whose last job started longest ago (or never) goes first, so one org
    /// asking for many rebuilds does not keep the others waiting.
    pub async fn run_next(&self) -> Result<Option<Job>> {
        let mut conn = AsyncPgConnection::establish(&self.url)
            .await
            .map_err(|e| Error::Unavailable(format!("the job runner cannot connect: {e}")))?;
        conn.batch_execute(
            "SET application_name = 'agentmon-jobs'; SET statement_timeout = 0; SET TIME ZONE 'UTC';",
        )
        .await?;
        #[derive(diesel::QueryableByName)]
        struct Candidate {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
        }
        let candidates: Vec<Candidate> = diesel::sql_query(
            "SELECT id FROM jobs j WHERE status IN ('QUEUED', 'RUNNING') AND NOT EXISTS (
               SELECT 1 FROM jobs e WHERE e.status IN ('QUEUED', 'RUNNING')
                 AND (e.created_at, e.id) < (j.created_at, j.id)
                 AND (e.org_id IS NULL OR j.org_id IS NULL OR e.org_id = j.org_id))
             ORDER BY (SELECT max(x.started_at) FROM jobs x
                        WHERE x.org_id IS NOT DISTINCT FROM j.org_id) ASC NULLS FIRST,
                      created_at, id
             LIMIT 20",
        )
        .load(&mut conn)
        .await?;
        for candidate in candidates {
            if !try_lock(&mut conn, candidate.id).await? {
                continue;
            }
            let Some(job) = job::by_id(&mut conn, candidate.id).await? else {
                continue;
            };
            if !job.is_open() {
                unlock(&mut conn, job.id).await?;
                continue;
            }
            if job.attempts >= MAX_ATTEMPTS {
                // Started that often and never ended: it takes its worker
                // down (or keeps meeting faults). Stop, and free its org.
                tracing::error!(job = %job.id, kind = %job.kind, attempts = job.attempts, "job given up");
                diesel::sql_query(
                    "UPDATE jobs SET status = 'FAILED', finished_at = now(), paused_org = NULL, \
                     error = coalesce(error || '; ', '') || 'given up after ' || attempts || ' attempts' \
                     WHERE id = $1",
                )
                .bind::<SqlUuid, _>(job.id)
                .execute(&mut conn)
                .await?;
                unlock(&mut conn, job.id).await?;
                continue;
            }
            let ran = self.run_job(&mut conn, job).await;
            unlock(&mut conn, candidate.id).await?;
            return ran.map(Some);
        }
        Ok(None)
    }

    async fn run_job(&self, conn: &mut AsyncPgConnection, job: Job) -> Result<Job> {
        diesel::sql_query(
            "UPDATE jobs SET status = 'RUNNING', started_at = coalesce(started_at, now()), \
             attempts = attempts + 1, progress = 0 WHERE id = $1",
        )
        .bind::<SqlUuid, _>(job.id)
        .execute(conn)
        .await?;
        tracing::info!(job = %job.id, kind = %job.kind, org = ?job.org_slug, "job started");
        let (progress, writer) = self.progress_writer(job.id);
        let outcome = work(conn, &job, &progress).await;
        drop(progress);
        let _ = writer.await;
        match outcome {
            Ok(result) => {
                diesel::sql_query(
                    "UPDATE jobs SET status = 'SUCCEEDED', progress = 1, finished_at = now(), \
                     error = NULL, result = $2, paused_org = NULL WHERE id = $1",
                )
                .bind::<SqlUuid, _>(job.id)
                .bind::<Jsonb, _>(result)
                .execute(conn)
                .await?;
                tracing::info!(job = %job.id, kind = %job.kind, "job succeeded");
                if let (Some(bus), Some(org)) = (&self.bus, job.org_id) {
                    bus.publish(agentmon_core::bus::Change {
                        id: Uuid::new_v4(),
                        orgs: vec![org],
                        ..Default::default()
                    })
                    .await;
                }
            }
            Err(e) if e.is_transient() && job.attempts + 1 < MAX_ATTEMPTS => {
                tracing::warn!(job = %job.id, error = %e, "job hit a fault of the moment; queued again");
                diesel::sql_query("UPDATE jobs SET status = 'QUEUED', error = $2 WHERE id = $1")
                    .bind::<SqlUuid, _>(job.id)
                    .bind::<Text, _>(e.to_string())
                    .execute(conn)
                    .await?;
                // Holding the job's lock, so that no runner takes it at once.
                tokio::time::sleep(BACKOFF * 2_u32.pow(job.attempts.clamp(0, 4) as u32)).await;
            }
            Err(e) => {
                let said = match &e {
                    Error::Internal(_) => format!(
                        "internal error; the worker's log has the details (job {})",
                        job.id
                    ),
                    other => other.to_string(),
                };
                tracing::error!(job = %job.id, kind = %job.kind, error = %e, "job failed");
                diesel::sql_query(
                    "UPDATE jobs SET status = 'FAILED', finished_at = now(), error = $2, \
                     paused_org = NULL WHERE id = $1",
                )
                .bind::<SqlUuid, _>(job.id)
                .bind::<Text, _>(said)
                .execute(conn)
                .await?;
            }
        }
        job::by_id(conn, job.id)
            .await?
            .ok_or_else(|| Error::internal("a job vanished while it ran"))
    }

    /// A sender of progress fractions and the task writing the latest one
    /// to the job every 250 ms (on a pooled connection: the job's own is
    /// inside its transaction).
    fn progress_writer(
        &self,
        id: Uuid,
    ) -> (tokio::sync::watch::Sender<f64>, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = tokio::sync::watch::channel(0.0_f64);
        let db = self.db.clone();
        let writer = tokio::spawn(async move {
            loop {
                let closed = rx.changed().await.is_err();
                let value = *rx.borrow_and_update();
                if let Ok(mut conn) = db.worker().await {
                    let _ = job::set_progress(&mut conn, id, value.min(0.99)).await;
                }
                if closed {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        (tx, writer)
    }
}
