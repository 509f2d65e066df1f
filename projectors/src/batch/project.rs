//! A worker's batch: the sessions of the claimed events, folded and
//! projected.

use std::collections::{BTreeMap, BTreeSet, HashSet};

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
    for (org, rows) in &by_org {
        let keys: Vec<(DateTime<Utc>, Uuid)> =
            rows.iter().map(|r| (r.occurred_at, r.event_id)).collect();
        for session in event::sessions_of_events(tx, *org, &keys).await? {
            sessions.insert((*org, session));
        }
    }
    let new: HashSet<(Uuid, Uuid)> = claimed.iter().map(|c| (c.org_id, c.event_id)).collect();
    let batch = fold_sessions(tx, Some(&new), excluded, &sessions, Locks::Sessions).await?;
    run_projectors(tx, projectors, &batch).await
}
