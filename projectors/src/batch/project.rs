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
        // Events left out are not read: one the fold cannot read must not
        // fail the batch that tries its session without it.
        let keys: Vec<(DateTime<Utc>, Uuid)> = rows
            .iter()
            .filter(|r| !excluded.contains(&(r.org_id, r.event_id)))
            .map(|r| (r.occurred_at, r.event_id))
            .collect();
        for e in event::by_keys(tx, *org, &keys).await? {
            sessions.insert((*org, e.session_id.clone()));
            new.push(e);
        }
    }
    let batch = fold_sessions(tx, Some(new), excluded, &sessions, Locks::Sessions).await?;
    run_projectors(tx, projectors, &batch).await
}
