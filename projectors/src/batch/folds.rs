//! The folds of a batch: lock the sessions, then fold each. A session whose
//! state is kept takes in the batch's new events and the runs they touch;
//! a session without one (new, or replayed) is folded from its projected
//! history. The states are kept for the next batch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use agentmon_core::metrics::pricing::PriceTable;
use agentmon_core::storage::models::event::{self, StoredEvent};
use agentmon_core::storage::models::price;
use agentmon_core::Result;
use chrono_tz::Tz;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::orgs::lock_orgs;
use super::states;
use crate::fold::{Folded, HandoffFold, RunState, SessionFold, SessionState, ITERATION_WINDOW};
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
/// org is held, and folds each one. With `new` (a worker's batch: its
/// events, poison already left out) sessions with a kept state take in
/// those only; with `None` (a replay) every session is folded from its
/// history and the batch's events are that history.
pub async fn fold_sessions(
    tx: &mut AsyncPgConnection,
    new: Option<Vec<StoredEvent>>,
    excluded: &Excluded,
    sessions: &BTreeSet<(Uuid, String)>,
    locks: Locks,
) -> Result<Batch> {
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
    let replay = new.is_none();
    let mut new_by_org: BTreeMap<Uuid, Vec<StoredEvent>> = BTreeMap::new();
    for e in new.into_iter().flatten() {
        new_by_org.entry(e.org_id).or_default().push(e);
    }
    let mut batch = Batch {
        events: Vec::new(),
        timezones: orgs_held.iter().map(|(id, o)| (*id, o.tz)).collect(),
        cutoffs: orgs_held
            .iter()
            .map(|(id, o)| (*id, o.first_kept_day))
            .collect(),
        sessions: Vec::with_capacity(sessions.len()),
    };
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
        let mut kept = if replay {
            HashMap::new()
        } else {
            states::load_sessions(tx, *org, &ids).await?
        };
        let mut folded = Folds::default();
        let missing: Vec<String> = ids
            .iter()
            .filter(|s| !kept.contains_key(*s))
            .cloned()
            .collect();
        let prices = price::table(tx, *org).await?;
        let new = (!replay).then(|| new_by_org.remove(org).unwrap_or_default());
        let history = from_scratch(
            tx,
            *org,
            (&missing, new.as_deref()),
            &left_out,
            (tz, &prices),
            &mut folded,
        )
        .await?;
        let events = new.unwrap_or(history);
        let incremental: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| kept.contains_key(&e.session_id))
            .collect();
        take_new(
            tx,
            *org,
            &mut kept,
            &incremental,
            (tz, &prices),
            &mut folded,
        )
        .await?;
        states::store(tx, *org, &folded.states, &folded.runs).await?;
        batch.sessions.extend(folded.sessions);
        batch.events.extend(events);
    }
    Ok(batch)
}

/// What the folds of one org produce: the sessions for the projectors and
/// the states to keep.
#[derive(Default)]
struct Folds {
    sessions: Vec<SessionFold>,
    states: BTreeMap<String, SessionState>,
    runs: BTreeMap<(String, String), RunState>,
}

/// Folds these sessions from their projected history; returns the events
/// read. With the batch's `new` events (a worker's batch), a session none
/// of whose stored events lies outside the batch folds from those alone:
/// its history would be read back only to find them (most sessions of a
/// steady stream are new to the batch that sees them first).
async fn from_scratch(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    (sessions, new): (&[String], Option<&[StoredEvent]>),
    left_out: &[Uuid],
    (tz, prices): (Tz, &PriceTable),
    folded: &mut Folds,
) -> Result<Vec<StoredEvent>> {
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let mut in_batch: BTreeMap<&str, Vec<&StoredEvent>> = BTreeMap::new();
    let mut to_read = sessions.to_vec();
    if let Some(new) = new {
        let wanted: HashSet<&str> = sessions.iter().map(String::as_str).collect();
        for e in new
            .iter()
            .filter(|e| wanted.contains(e.session_id.as_str()))
        {
            in_batch.entry(&e.session_id).or_default().push(e);
        }
        // Events left out this round, dead letters, events of other
        // batches and events deleted since the batch read them all make a
        // session's stored events differ from its batch events: it is read.
        let ids: Vec<Uuid> = in_batch.values().flatten().map(|e| e.event_id).collect();
        let stored: HashMap<String, (i64, i64)> = event::stored_beside(tx, org, sessions, &ids)
            .await?
            .into_iter()
            .map(|(s, stored, beside)| (s, (stored, beside)))
            .collect();
        in_batch.retain(|s, events| stored.get(*s) == Some(&(events.len() as i64, 0)));
        to_read.retain(|s| !in_batch.contains_key(s.as_str()));
    }
    let events = if to_read.is_empty() {
        Vec::new()
    } else {
        event::of_sessions(tx, org, &to_read, left_out).await?
    };
    let mut history: BTreeMap<&str, Vec<&StoredEvent>> = BTreeMap::new();
    for e in &events {
        history.entry(&e.session_id).or_default().push(e);
    }
    for (session, mut events) in in_batch {
        // In the order of a read history: by occurrence, then id.
        events.sort_by_key(|e| (e.occurred_at, e.event_id));
        history.insert(session, events);
    }
    for (session, events) in history {
        let Some(f) = Folded::of(&events, tz, prices) else {
            continue;
        };
        for (run, state) in f.runs {
            folded.runs.insert((session.to_string(), run), state);
        }
        folded.states.insert(session.to_string(), f.state);
        folded.sessions.push(f.fold);
    }
    Ok(events)
}

/// Sessions with a kept state take in their new events.
async fn take_new(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    kept: &mut HashMap<String, SessionState>,
    events: &[&StoredEvent],
    (tz, prices): (Tz, &PriceTable),
    folded: &mut Folds,
) -> Result<()> {
    // Sessions of the batch whose new events were all left out fold as kept.
    let mut by_session: BTreeMap<String, Vec<&StoredEvent>> =
        kept.keys().map(|s| (s.clone(), Vec::new())).collect();
    for e in events {
        by_session.entry(e.session_id.clone()).or_default().push(e);
    }
    // The runs the events touch, and the open implicit runs of their
    // sessions, which a later start ends.
    let mut touched: BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| RunState::concerns(e))
        .filter_map(|e| Some((e.session_id.clone(), e.run_id.clone()?)))
        .collect();
    for (session, state) in kept.iter() {
        touched.extend(state.open.iter().map(|r| (session.clone(), r.clone())));
    }
    let touched: Vec<(String, String)> = touched.into_iter().collect();
    let mut runs = states::load_runs(tx, org, &touched).await?;
    let handoffs: Vec<(String, Uuid, chrono::DateTime<chrono::Utc>)> = events
        .iter()
        .filter_map(|e| HandoffFold::of(e).map(|h| (e.session_id.clone(), h.event_id, h.at)))
        .collect();
    let iterated: HashSet<Uuid> = if handoffs.is_empty() {
        HashSet::new()
    } else {
        event::iterated_handoffs(tx, org, &handoffs, ITERATION_WINDOW)
            .await?
            .into_iter()
            .collect()
    };
    for (session, new) in by_session {
        let Some(mut state) = kept.remove(&session) else {
            continue;
        };
        let mut session_runs: BTreeMap<String, RunState> = BTreeMap::new();
        let ids = new
            .iter()
            .filter(|e| RunState::concerns(e))
            .filter_map(|e| e.run_id.clone())
            .chain(state.open.iter().cloned())
            .collect::<Vec<_>>();
        for id in ids {
            if let Some(run) = runs.remove(&(session.clone(), id.clone())) {
                session_runs.insert(id, run);
            }
        }
        let changed = state.take(
            &new,
            &mut session_runs,
            &|h| iterated.contains(&h.event_id),
            tz,
            prices,
        );
        // Every run the batch looked at is kept as it now stands.
        for (id, run) in session_runs {
            folded.runs.insert((session.clone(), id), run);
        }
        folded.sessions.push(state.fold(org, &session, tz, changed));
        folded.states.insert(session, state);
    }
    Ok(())
}
