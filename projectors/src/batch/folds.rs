//! The folds of a batch: lock the sessions, read every stored event of
//! each (but those left out), fold each session.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use agentmon_core::storage::models::event::{self, StoredEvent};
use agentmon_core::Result;
use chrono_tz::Tz;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::orgs::lock_orgs;
use crate::fold::SessionFold;
use crate::locks::lock_sessions;
use crate::projector::Batch;

/// Events left out of a fold: those found to be poison in this round.
pub type Excluded = HashSet<(Uuid, Uuid)>;

/// What a fold locks besides sharing its orgs' rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locks {
    /// Each session (a worker's batch): other batches may hold the org too.
    Sessions,
    /// Nothing more: the caller holds the org's row exclusively (a
    /// rebuild), and a lock per session of a large org would exhaust the
    /// server's lock table.
    OrgHeld,
}

/// Locks the sessions (in key order, so workers cannot deadlock) unless the
/// org is held, reads all their stored events but `excluded`, and folds
/// each one. The batch's events are those of `new`, or with `None` every
/// event read (a replay).
pub async fn fold_sessions(
    tx: &mut AsyncPgConnection,
    new: Option<&HashSet<(Uuid, Uuid)>>,
    excluded: &Excluded,
    sessions: &BTreeSet<(Uuid, String)>,
    locks: Locks,
) -> Result<Batch> {
    let mut events = Vec::new();
    let orgs: Vec<Uuid> = sessions
        .iter()
        .map(|(o, _)| *o)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let orgs_held = lock_orgs(tx, &orgs).await?;
    if locks == Locks::Sessions {
        // Paused after this batch claimed its events: step back, untouched.
        if let Some(org) = orgs_held.iter().find(|(_, o)| o.paused) {
            return Err(agentmon_core::Error::Unavailable(format!(
                "org {} is being rebuilt; its events wait",
                org.0
            )));
        }
        lock_sessions(tx, sessions).await?;
    }

    let mut folds = Vec::with_capacity(sessions.len());
    for org in &orgs {
        let tz = orgs_held.get(org).map(|o| o.tz).unwrap_or(Tz::UTC);
        let ids: Vec<String> = sessions
            .iter()
            .filter(|(o, _)| o == org)
            .map(|(_, s)| s.clone())
            .collect();
        let left_out: Vec<Uuid> = excluded
            .iter()
            .filter(|(o, _)| o == org)
            .map(|(_, e)| *e)
            .collect();
        let mut history: BTreeMap<String, Vec<StoredEvent>> = BTreeMap::new();
        for e in event::of_sessions(tx, *org, &ids, &left_out).await? {
            history.entry(e.session_id.clone()).or_default().push(e);
        }
        folds.extend(history.values().filter_map(|h| SessionFold::of(h, tz)));
        events.extend(
            history
                .into_values()
                .flatten()
                .filter(|e| new.is_none_or(|new| new.contains(&(e.org_id, e.event_id)))),
        );
    }
    Ok(Batch {
        events,
        timezones: orgs_held.iter().map(|(id, o)| (*id, o.tz)).collect(),
        cutoffs: orgs_held
            .iter()
            .map(|(id, o)| (*id, o.first_kept_day))
            .collect(),
        sessions: folds,
    })
}
