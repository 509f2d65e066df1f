//! `agentmon replay`: forget what projectors derived for a scope and
//! project it again from the stored events, in batches of sessions (see
//! [`crate::batch`]). The result equals a first projection.

use std::collections::BTreeSet;

use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::event;
use agentmon_core::{Error, Result};
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::batch::{fold_sessions, run_projectors, Excluded, Locks};
use crate::locks::hold_org;
use crate::projector::{Projector, ReplayScope};
use crate::sql::delete_scope;

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
/// Dead letters stay out of the folds, as in projection, and so do events
/// still queued: the worker takes them in once the org is no longer held.
/// Returns (sessions,
/// events) re-projected; `progress` is told the fraction done.
pub async fn replay_org(
    tx: &mut AsyncPgConnection,
    projectors: &[Box<dyn Projector>],
    org_id: Uuid,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<(usize, usize)> {
    hold_org(tx, org_id).await?;
    let scope = ReplayScope { org: Some(org_id) };
    for projector in projectors {
        projector.reset(tx, &scope).await?;
    }
    // The fold states are made again from the history, with the folds.
    for table in ["session_folds", "run_folds", "open_runs"] {
        delete_scope(tx, table, scope.org).await?;
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
