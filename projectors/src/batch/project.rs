//! A worker's batch: the claimed events read, their sessions folded and
//! projected.

use std::collections::{BTreeMap, BTreeSet};

use agentmon_core::storage::models::event;
use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::folds::{fold_sessions, Excluded, Locks};
use super::run::run_projectors;
use crate::projector::{Changes, Projector};
use crate::queue::Claimed;

/// Projects the claimed events with every projector, leaving `excluded`
/// events out of their sessions' folds.
pub async fn project(
    tx: &mut AsyncPgConnection,
    projectors: &[Box<dyn Projector>],
    claimed: &[Claimed],
    excluded: &Excluded,
) -> Result<Changes> {
    if claimed.is_empty() {
        return Ok(Changes::default());
    }
    let mut by_org: BTreeMap<Uuid, Vec<&Claimed>> = BTreeMap::new();
    for c in claimed {
        by_org.entry(c.org_id).or_default().push(c);
    }
    let mut sessions = BTreeSet::new();
    let mut new = Vec::with_capacity(claimed.len());
    for (org, rows) in &by_org {
        // Events left out are not read (one the fold cannot read must not
        // fail the batch that tries its session without it), but their
        // sessions are folded all the same, as they stand.
        let (left_out, keys): (Vec<&&Claimed>, Vec<&&Claimed>) = rows
            .iter()
            .partition(|r| excluded.contains(&(r.org_id, r.event_id)));
        let key = |r: &&&Claimed| (r.occurred_at, r.event_id);
        let left_out: Vec<(DateTime<Utc>, Uuid)> = left_out.iter().map(key).collect();
        if !left_out.is_empty() {
            for session in event::sessions_of_events(tx, *org, &left_out).await? {
                sessions.insert((*org, session));
            }
        }
        let keys: Vec<(DateTime<Utc>, Uuid)> = keys.iter().map(key).collect();
        for e in event::by_keys(tx, *org, &keys).await? {
            sessions.insert((*org, e.session_id.clone()));
            new.push(e);
        }
    }
    let batch = fold_sessions(tx, Some(new), excluded, &sessions, Locks::Sessions).await?;
    run_projectors(tx, projectors, &batch).await
}
