//! The worker, the loop on top of everything: it claims batches of queued
//! events and projects each in one transaction ([`rounds`]), waking on
//! `NOTIFY` and polling as a fallback (and listening again once the
//! database is back); beside it run the job runner ([`crate::jobs`]) and,
//! every hour, the maintenance ([`crate::maintenance`]). Any number of
//! workers may run at once. Nothing below imports the loop.

mod config;
mod rounds;

use std::time::Duration;

use agentmon_core::ingest::EVENTS_CHANNEL;
use agentmon_core::storage::db::Db;
use agentmon_core::Result;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::jobs::JobRunner;
use crate::maintenance;
use crate::projector::{Changes, Projector};
use crate::quiet;

pub use config::WorkerConfig;
pub use rounds::{Round, Rounds};

/// How long to wait before listening again after LISTEN failed.
const RELISTEN: Duration = Duration::from_secs(2);

pub struct Worker {
    db: Db,
    /// Where to say what changed after each commit.
    bus: Option<agentmon_core::bus::Bus>,
    /// Where LISTEN connects (the owner's URL).
    url: String,
    config: WorkerConfig,
    rounds: Rounds,
    /// Orgs whose rules wait for their evaluation after batches.
    pace: std::sync::Mutex<crate::alerts::Pace>,
}

impl Worker {
    pub fn new(
        db: Db,
        url: &str,
        projectors: Vec<Box<dyn Projector>>,
        config: WorkerConfig,
    ) -> Self {
        Worker {
            rounds: Rounds::new(db.clone(), projectors, config.clone()),
            db,
            bus: None,
            url: url.to_string(),
            config,
            pace: Default::default(),
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
            ..Default::default()
        };
        bus.publish(change).await;
    }

    /// Runs until `shutdown` is cancelled; the batch in hand is finished (or
    /// rolled back) first.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<()> {
        tracing::info!(batch_size = self.config.batch_size, "worker started");
        let jobs = JobRunner::new(self.db.clone(), &self.url)
            .with_bus(self.bus.clone())
            .with_poll(self.config.poll_interval);
        let jobs_stop = shutdown.clone();
        let jobs = tokio::spawn(async move { jobs.run(jobs_stop).await });
        let deliveries = self.spawn_deliveries(shutdown.clone());
        let mut listener = self.listen().await;
        let mut last_listen = tokio::time::Instant::now();
        let mut next_maintenance = tokio::time::Instant::now();
        let mut next_idle_check = tokio::time::Instant::now();
        let mut next_alerts = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            if tokio::time::Instant::now() >= next_alerts {
                self.alerts(None).await;
                next_alerts = tokio::time::Instant::now() + crate::alerts::EVERY;
            }

            if tokio::time::Instant::now() >= next_idle_check {
                match quiet::end_quiet_runs(&self.db, self.config.run_idle, chrono::Utc::now())
                    .await
                {
                    Ok(0) => {}
                    Ok(ended) => tracing::info!(ended, "quiet runs ended at their last event"),
                    Err(e) => {
                        tracing::warn!(error = %e, "ending quiet runs failed; trying again later")
                    }
                }
                next_idle_check = tokio::time::Instant::now() + quiet::EVERY;
            }
            if tokio::time::Instant::now() >= next_maintenance {
                match maintenance::run(&self.db, chrono::Utc::now()).await {
                    Ok(Some(months)) => tracing::info!(months, "maintenance: partitions ready"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "maintenance failed; trying again later"),
                }
                next_maintenance = tokio::time::Instant::now() + maintenance::EVERY;
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
        let _ = deliveries.await;
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

    /// Claims one batch and projects it (see [`Rounds`]), announces what
    /// changed, and evaluates the alert rules of the orgs batches touched
    /// (each org at most every [`crate::alerts::PACE`]; one still waiting
    /// is evaluated by a later round, with or without events).
    pub async fn round(&self) -> Result<Round> {
        let round = self.rounds.round().await?;
        self.announce(&round.changes).await;
        let due = self
            .pace
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .due(&round.changes, tokio::time::Instant::now());
        if let Some(due) = due {
            self.alerts(Some(&due)).await;
        }
        Ok(round)
    }

    /// Evaluates the alert rules of `orgs` (of every org with rules when
    /// `None`); a failure is logged and tried again at the next chance.
    async fn alerts(&self, changes: Option<&Changes>) {
        match crate::alerts::evaluate_orgs(&self.db, changes, chrono::Utc::now()).await {
            Ok(n) if !n.is_empty() => {
                tracing::info!(notifications = n.len(), "alert states changed");
                if let Some(bus) = &self.bus {
                    bus.publish(agentmon_core::bus::Change {
                        id: uuid::Uuid::new_v4(),
                        notifications: n.iter().map(|n| (n.org_id, n.id)).collect(),
                        ..Default::default()
                    })
                    .await;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "evaluating alert rules failed; trying again later")
            }
        }
    }

    /// Sends due alert deliveries until `shutdown`, apart from
    /// projection: a slow receiver never holds events back. Each round
    /// runs on its own, so a receiver that takes its whole timeout holds up
    /// only its own org's deliveries (see `alerts::deliver`). A round starts
    /// every second, and at once when one that sent something ends: a burst
    /// (a month's budgets resolving together) goes out as fast as its
    /// receivers answer, 3 of an org at a time.
    fn spawn_deliveries(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        /// The most deliveries on their way at once.
        const MAX_SENDING: usize = 32;
        let (db, policy) = (self.db.clone(), self.config.webhooks);
        tokio::spawn(async move {
            let mut rounds: tokio::task::JoinSet<usize> = tokio::task::JoinSet::new();
            while !shutdown.is_cancelled() {
                let room = MAX_SENDING.saturating_sub(crate::alerts::in_flight());
                if room > 0 {
                    let db = db.clone();
                    rounds.spawn(async move {
                        let limit = room.min(20) as i64;
                        crate::alerts::deliver_due(&db, policy, chrono::Utc::now(), limit)
                            .await
                            .unwrap_or_else(|e| {
                                tracing::warn!(error = %e, "delivering alerts failed; trying again later");
                                0
                            })
                    });
                }
                let second = tokio::time::sleep(std::time::Duration::from_secs(1));
                tokio::pin!(second);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = &mut second => break,
                        Some(ended) = rounds.join_next(), if !rounds.is_empty() => {
                            if ended.is_ok_and(|sent| sent > 0) {
                                break;
                            }
                        }
                    }
                }
            }
            // Rounds still sending write their outcomes before the worker
            // stops: a delivery made and not recorded would be sent again.
            while rounds.join_next().await.is_some() {}
        })
    }
}
