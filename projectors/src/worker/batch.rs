//! One batch inside the worker's transaction: claim queue rows, load their
//! events and the full history of every session they touch, fold, and run
//! the projectors.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use agentmon_core::storage::models::event::{self, StoredEvent};
use agentmon_core::Result;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures::FutureExt;
use uuid::Uuid;

use crate::fold::SessionFold;
use crate::{Batch, Changes, Projector};

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub occurred_at: DateTime<Utc>,
}

/// Deletes up to `limit` ready queue rows (or the one given) that no other
/// worker holds, of orgs no job has paused, and returns them. Rolled back with the transaction, they
/// are queued again.
pub async fn claim(
    tx: &mut AsyncPgConnection,
    limit: i64,
    only: Option<(Uuid, Uuid)>,
) -> Result<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "DELETE FROM projection_queue q USING (
           SELECT org_id, event_id FROM projection_queue p
           WHERE (($2::uuid IS NULL AND next_attempt_at <= now())
                  OR (org_id = $2 AND event_id = $3))
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = p.org_id)
           ORDER BY next_attempt_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED) c
         WHERE q.org_id = c.org_id AND q.event_id = c.event_id
         RETURNING q.org_id, q.event_id, q.occurred_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.0))
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.1))
    .load(tx)
    .await?)
}

/// Events left out of a fold: those found to be poison in this round.
pub type Excluded = HashSet<(Uuid, Uuid)>;

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

/// Takes the sessions' advisory locks for the transaction, in one global
/// order (so that workers, erasures and retention passes cannot deadlock).
pub(crate) async fn lock_sessions(
    tx: &mut AsyncPgConnection,
    sessions: &BTreeSet<(Uuid, String)>,
) -> Result<()> {
    let (org_ids, session_ids): (Vec<Uuid>, Vec<String>) = sessions.iter().cloned().unzip();
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(k) FROM (
           SELECT DISTINCT hashtextextended(o::text || '/' || s, 0) AS k
           FROM unnest($1::uuid[], $2::text[]) AS x(o, s) ORDER BY 1) keys",
    )
    .bind::<Array<SqlUuid>, _>(&org_ids)
    .bind::<Array<Text>, _>(&session_ids)
    .execute(tx)
    .await?;
    Ok(())
}

/// What a batch needs of an org it holds.
struct HeldOrg {
    tz: Tz,
    /// The first day the org keeps: nothing earlier goes into its rollups.
    first_kept_day: NaiveDate,
    /// Whether a job has paused the org's projection.
    paused: bool,
}

/// Reads the orgs' time zones and retention and holds them (`FOR KEY
/// SHARE`) so that a rebuild holding an org (`FOR UPDATE`) waits for this
/// batch and vice versa.
async fn lock_orgs(tx: &mut AsyncPgConnection, orgs: &[Uuid]) -> Result<HashMap<Uuid, HeldOrg>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        timezone: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        retention_days: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        paused: bool,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, timezone, retention_days,
           EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = orgs.id) AS paused
         FROM orgs WHERE id = ANY($1) ORDER BY id FOR KEY SHARE",
    )
    .bind::<Array<SqlUuid>, _>(orgs)
    .load(tx)
    .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|o| {
            let tz: Tz = o.timezone.parse().unwrap_or(Tz::UTC);
            let held = HeldOrg {
                tz,
                first_kept_day: agentmon_core::storage::models::org::first_kept_day(
                    now,
                    tz,
                    o.retention_days,
                ),
                paused: o.paused,
            };
            (o.id, held)
        })
        .collect())
}

/// Runs the projectors interested in the batch, then bumps the projection
/// epoch of every org it changed (cache keys carry it). The worker announces
/// the change on the bus after the commit.
pub async fn run_projectors(
    tx: &mut AsyncPgConnection,
    projectors: &[Box<dyn Projector>],
    batch: &Batch,
) -> Result<Changes> {
    let mut changes = Changes::default();
    for projector in projectors {
        if !batch.events.iter().any(|e| projector.interested_in(e)) {
            continue;
        }
        let applied = std::panic::AssertUnwindSafe(projector.apply(tx, batch))
            .catch_unwind()
            .await
            .map_err(|_| {
                agentmon_core::Error::internal(format!("projector {} panicked", projector.name()))
            })?
            .map_err(|e| {
                agentmon_core::Error::internal(format!("projector {}: {e}", projector.name()))
            })?;
        changes.merge(applied);
    }
    let orgs: Vec<Uuid> = changes.orgs.iter().copied().collect();
    if !orgs.is_empty() {
        diesel::sql_query(
            "UPDATE orgs SET projection_epoch = projection_epoch + 1 WHERE id = ANY($1)",
        )
        .bind::<Array<SqlUuid>, _>(&orgs)
        .execute(tx)
        .await?;
    }
    Ok(changes)
}
