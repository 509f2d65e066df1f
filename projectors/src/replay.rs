//! `agentmon replay`: forget what projectors derived for a scope and
//! project it again from the stored events. The result equals a first
//! projection. Dead letters can be put back on the queue.

use std::collections::BTreeSet;

use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::event;
use agentmon_core::{Error, Result};
use diesel::sql_types::{Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::worker::{fold_sessions, run_projectors, Excluded, Locks};
use crate::{Projector, ReplayScope};

/// Sessions re-projected per round within a replay.
const SESSIONS_PER_ROUND: usize = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    pub orgs: usize,
    pub sessions: usize,
    pub events: usize,
}

/// Keeps the projectors named `only` (all when `None`); an unknown name is
/// an error that lists the known ones.
pub fn select(
    projectors: Vec<Box<dyn Projector>>,
    only: Option<&str>,
) -> Result<Vec<Box<dyn Projector>>> {
    let Some(name) = only else {
        return Ok(projectors);
    };
    let names: Vec<&str> = projectors.iter().map(|p| p.name()).collect();
    if !names.contains(&name) {
        return Err(Error::BadUserInput(format!(
            "no projector named {name:?}; known: {}",
            names.join(", ")
        )));
    }
    Ok(projectors
        .into_iter()
        .filter(|p| p.name() == name)
        .collect())
}

/// Replays one org (or every org), each in one transaction, here and now,
/// with no worker running (tests and benchmarks; the server and `agentmon
/// replay` queue a job, which pauses the org's projection).
pub async fn replay(
    db: &Db,
    projectors: &[Box<dyn Projector>],
    org: Option<Uuid>,
) -> Result<ReplayReport> {
    let mut conn = db.owner().await?;
    let orgs = match org {
        Some(org) => vec![org],
        None => all_orgs(&mut conn).await?,
    };
    let mut report = ReplayReport::default();
    for org_id in orgs {
        let (sessions, events) = conn
            .transaction::<_, Error, _>(async |tx| {
                replay_org(tx, projectors, org_id, &mut |_| {}).await
            })
            .await?;
        report.orgs += 1;
        report.sessions += sessions;
        report.events += events;
    }
    Ok(report)
}

/// Every org's id, in id order.
pub async fn all_orgs(conn: &mut AsyncPgConnection) -> Result<Vec<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let ids: Vec<Id> = diesel::sql_query("SELECT id FROM orgs ORDER BY id")
        .load(conn)
        .await?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// Replays one org inside the caller's transaction, holding the org's row
/// (the job runner pauses its projection and lets batches in flight end
/// first).
/// Dead letters stay out of the folds, as in projection. Returns (sessions,
/// events) re-projected; `progress` is told the fraction done.
pub async fn replay_org(
    tx: &mut AsyncPgConnection,
    projectors: &[Box<dyn Projector>],
    org_id: Uuid,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<(usize, usize)> {
    crate::removal::hold_org(tx, org_id).await?;
    let scope = ReplayScope { org: Some(org_id) };
    for projector in projectors {
        projector.reset(tx, &scope).await?;
    }
    #[derive(diesel::QueryableByName)]
    struct Dead {
        #[diesel(sql_type = SqlUuid)]
        event_id: Uuid,
    }
    let dead: Vec<Dead> = diesel::sql_query("SELECT event_id FROM dead_letters WHERE org_id = $1")
        .bind::<SqlUuid, _>(org_id)
        .load(tx)
        .await?;
    let excluded: Excluded = dead.into_iter().map(|d| (org_id, d.event_id)).collect();
    let sessions = event::sessions_of_org(tx, org_id).await?;
    let mut events = 0;
    let mut done = 0;
    for chunk in sessions.chunks(SESSIONS_PER_ROUND) {
        let keys: BTreeSet<(Uuid, String)> = chunk.iter().map(|s| (org_id, s.clone())).collect();
        let batch = fold_sessions(tx, None, &excluded, &keys, Locks::OrgHeld).await?;
        events += batch.events.len();
        run_projectors(tx, projectors, &batch).await?;
        done += chunk.len();
        progress(done as f64 / sessions.len().max(1) as f64);
    }
    Ok((sessions.len(), events))
}

/// Puts dead letters (of one org, or all) back on the queue; returns how many.
pub async fn requeue_dead_letters(db: &Db, org: Option<Uuid>) -> Result<usize> {
    let mut conn = db.owner().await?;
    let moved = conn
        .transaction::<_, Error, _>(async |tx| {
            let moved = diesel::sql_query(
                "WITH back AS (
                   DELETE FROM dead_letters WHERE $1::uuid IS NULL OR org_id = $1
                   RETURNING org_id, event_id, occurred_at)
                 INSERT INTO projection_queue (org_id, event_id, occurred_at)
                 SELECT org_id, event_id, occurred_at FROM back
                 ON CONFLICT (org_id, event_id) DO UPDATE SET attempts = 0, next_attempt_at = now()",
            )
            .bind::<Nullable<SqlUuid>, _>(org)
            .execute(tx)
            .await?;
            diesel::sql_query(format!(
                "NOTIFY {}",
                agentmon_core::ingest::EVENTS_CHANNEL
            ))
            .execute(tx)
            .await?;
            Ok(moved)
        })
        .await?;
    Ok(moved)
}
