//! Rounds of projection: one claim, projected in one transaction; a batch
//! that fails is projected again event by event, to find its poison.
//!
//! An event whose session projects without it is the poison: it is retried
//! with backoff and after `max_attempts` moved to `dead_letters` with its
//! error, while its session's other events project without it. A transient
//! database error (serialization, deadlock, lock or statement timeout, lost
//! connection) spends no attempt: the work is simply tried again.

use agentmon_core::storage::db::{prepared, Db};
use agentmon_core::Result;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::config::WorkerConfig;
use crate::batch::{project, Excluded};
use crate::projector::{Changes, Projector};
use crate::queue::{claim, failure};

/// The outcome of one claim.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub projected: usize,
    pub failed: usize,
    pub changes: Changes,
}

/// What runs the rounds: the projectors, and where and how they run.
pub struct Rounds {
    db: Db,
    projectors: Vec<Box<dyn Projector>>,
    config: WorkerConfig,
}

impl Rounds {
    pub fn new(db: Db, projectors: Vec<Box<dyn Projector>>, config: WorkerConfig) -> Self {
        Rounds {
            db,
            projectors,
            config,
        }
    }

    /// Claims one batch and projects it; on failure, retries its events one
    /// at a time and records the failures of those that still fail.
    pub async fn round(&self) -> Result<Round> {
        let mut conn = self.db.worker().await?;
        let orgs = std::sync::Mutex::new(Vec::new());
        let attempt = self
            .attempt(&mut conn, None, &Excluded::new(), Some(&orgs))
            .await;
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
                let orgs = orgs.into_inner().unwrap_or_else(|e| e.into_inner());
                self.isolate(&mut conn, &orgs).await?
            }
        };
        if round.projected > 0 {
            metrics::counter!("agentmon_projected_events_total").increment(round.projected as u64);
        }
        if round.failed > 0 {
            metrics::counter!("agentmon_projection_failures_total").increment(round.failed as u64);
        }
        Ok(round)
    }

    /// One transaction: claims a batch (or the one event given), projects it
    /// leaving `excluded` out of the folds, commits. The orgs it claimed
    /// events of are noted in `claimed_orgs`, whatever the outcome.
    async fn attempt(
        &self,
        conn: &mut AsyncPgConnection,
        only: Option<(Uuid, Uuid)>,
        excluded: &Excluded,
        claimed_orgs: Option<&std::sync::Mutex<Vec<Uuid>>>,
    ) -> Result<(usize, Changes)> {
        let limit = if only.is_some() {
            1
        } else {
            self.config.batch_size
        };
        let lock_timeout = format!("{}ms", self.config.lock_timeout.as_millis().max(1));
        let projectors = &self.projectors;
        conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
            prepared("SELECT set_config('lock_timeout', $1, true)")
                .bind::<diesel::sql_types::Text, _>(&lock_timeout)
                .execute(tx)
                .await?;
            let claimed = claim::claim(tx, limit, only).await?;
            if let Some(orgs) = claimed_orgs {
                let mut orgs = orgs.lock().unwrap_or_else(|e| e.into_inner());
                orgs.extend(claimed.iter().map(|c| c.org_id));
                orgs.sort_unstable();
                orgs.dedup();
            }
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
                let claimed = claim::claim(tx, 1, Some(key)).await?;
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
    async fn isolate(&self, conn: &mut AsyncPgConnection, orgs: &[Uuid]) -> Result<Round> {
        // The failed batch's orgs: the oldest ready rows of others may be
        // another worker's, and trying those would never reach the poison.
        let orgs = (!orgs.is_empty()).then_some(orgs);
        let candidates = claim::ready(conn, self.config.batch_size, orgs).await?;
        let mut round = Round::default();
        // Events already failing and waiting for their retry stay out of
        // the other events' folds until they project or die.
        let mut poison: Excluded = claim::failing(conn).await?.into_iter().collect();
        let mut innocent = Vec::new();
        for key in candidates {
            match self.attempt(conn, Some(key), &poison, None).await {
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
                    failure::record(conn, key.0, key.1, &e.to_string(), self.config.retry())
                        .await?;
                }
                Err(e) => innocent.push((key, e)),
            }
        }
        // Events that failed before their session's poison was found.
        for (key, first) in innocent {
            match self.attempt(conn, Some(key), &poison, None).await {
                Ok((n, changes)) => {
                    round.projected += n;
                    round.changes.merge(changes);
                }
                Err(e) if e.is_transient() => return Ok(round),
                Err(e) => {
                    tracing::debug!(first = %first, "failed again");
                    round.failed += 1;
                    failure::record(conn, key.0, key.1, &e.to_string(), self.config.retry())
                        .await?;
                }
            }
        }
        Ok(round)
    }
}
