//! Claiming queue rows for a batch, and looking at what is ready or
//! failing without claiming it.

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Uuid as SqlUuid};
use diesel::OptionalExtension;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

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
/// worker holds, of orgs no job has paused, and returns them. Rolled back
/// with the transaction, they are queued again.
///
/// A batch takes the rows of one org when it can: the org of the oldest
/// ready rows that no other worker's batch has taken (an advisory lock
/// held until the commit). Workers then fold disjoint sessions and never
/// wait for each other's session locks, and a batch reads each org's
/// timezone, prices and kept states once for all its events. An org whose
/// rows wait behind another's backlog is found too (see [`free_org`]), so
/// one tenant's burst does not hold the others back while a worker is
/// free. When every org with ready rows is taken, the batch takes the
/// oldest rows of any.
pub async fn claim(
    tx: &mut AsyncPgConnection,
    limit: i64,
    only: Option<(Uuid, Uuid)>,
) -> Result<Vec<Claimed>> {
    if only.is_some() {
        return claim_rows(tx, limit, only, None).await;
    }
    if let Some(free) = free_org(tx, limit).await? {
        // The org's ready rows may all be held by batches that fell back
        // to it: then any free rows will do.
        let claimed = if free.behind {
            claim_org_rows(tx, limit, free.org_id).await?
        } else {
            claim_rows(tx, limit, None, Some(free.org_id)).await?
        };
        if !claimed.is_empty() {
            return Ok(claimed);
        }
    }
    claim_rows(tx, limit, None, None).await
}

#[derive(diesel::QueryableByName)]
struct FreeOrg {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    /// Found behind the rows looked through, not among them.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    behind: bool,
}

/// The org of the oldest ready rows that no other batch holds, now held by
/// this transaction; looked for among the next `limit` ready rows, and at
/// least the next [`ORG_WINDOW`] (the oldest rows may all be of orgs held).
///
/// When every org among those rows is held and the rows looked through
/// were as many as asked for, more orgs may wait behind them (one tenant's
/// burst fills the window): then the first org with a ready row found by
/// skipping through the queue's key one org at a time, from a random point
/// round to it again, so that no org is always last. Each org skipped
/// costs two index descents (its key and its first ready row); the walk
/// stops at the first org it can hold, and runs only in that case.
async fn free_org(tx: &mut AsyncPgConnection, limit: i64) -> Result<Option<FreeOrg>> {
    // The candidates are produced in order and tried one by one (a CTE
    // scan feeds the filter row by row, and LIMIT 1 stops it at the first
    // lock taken), so the walk behind the window starts only if every org
    // in it is held. Each org behind is checked for a ready row laterally,
    // through the key (the ORDER BY asks for it): as a semi-join, or with
    // no order, it was planned as a scan of the whole queue.
    let org: Option<FreeOrg> = prepared(
        "WITH RECURSIVE paused AS MATERIALIZED (
           SELECT ARRAY(SELECT paused_org FROM jobs WHERE paused_org IS NOT NULL) AS orgs),
         ready AS MATERIALIZED (
           SELECT org_id, next_attempt_at, seq FROM projection_queue
           WHERE next_attempt_at <= now() AND org_id <> ALL ((SELECT orgs FROM paused)::uuid[])
           ORDER BY next_attempt_at, seq LIMIT greatest($1, $3)),
         orgs AS MATERIALIZED (
           SELECT org_id FROM ready GROUP BY org_id ORDER BY min(next_attempt_at), min(seq)),
         pivot AS MATERIALIZED (SELECT gen_random_uuid() AS at),
         above AS (
           (SELECT org_id FROM projection_queue
            WHERE org_id >= (SELECT at FROM pivot) ORDER BY org_id LIMIT 1)
           UNION ALL
           SELECT (SELECT q.org_id FROM projection_queue q WHERE q.org_id > a.org_id
                   ORDER BY q.org_id LIMIT 1)
           FROM above a WHERE a.org_id IS NOT NULL),
         below AS (
           (SELECT org_id FROM projection_queue
            WHERE org_id < (SELECT at FROM pivot) ORDER BY org_id LIMIT 1)
           UNION ALL
           SELECT (SELECT q.org_id FROM projection_queue q
                   WHERE q.org_id > b.org_id AND q.org_id < (SELECT at FROM pivot)
                   ORDER BY q.org_id LIMIT 1)
           FROM below b WHERE b.org_id IS NOT NULL),
         candidates AS MATERIALIZED (
           SELECT org_id, false AS behind FROM orgs
           UNION ALL
           SELECT q.org_id, true
           FROM (SELECT org_id FROM above UNION ALL SELECT org_id FROM below) q
           CROSS JOIN LATERAL (SELECT 1 FROM projection_queue r
             WHERE r.org_id = q.org_id AND r.next_attempt_at <= now()
             ORDER BY r.event_id LIMIT 1) r
           WHERE (SELECT count(*) FROM ready) >= greatest($1, $3)
             AND q.org_id IS NOT NULL
             AND q.org_id NOT IN (SELECT org_id FROM orgs)
             AND q.org_id <> ALL ((SELECT orgs FROM paused)::uuid[]))
         SELECT org_id, behind FROM candidates
         WHERE pg_try_advisory_xact_lock($2, hashtext(org_id::text)) LIMIT 1",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Integer, _>(ORG_CLAIM_LOCKS)
    .bind::<BigInt, _>(ORG_WINDOW)
    .get_result(tx)
    .await
    .optional()?;
    Ok(org)
}

/// The fewest ready rows looked at for a free org.
const ORG_WINDOW: i64 = 1_000;

/// The first key of the advisory locks on orgs held by batches (the second
/// is the org's hash): a key space of its own, apart from the sessions'.
const ORG_CLAIM_LOCKS: i32 = 0x6167_6d71;

/// Deletes up to `limit` ready rows (of `org`, if given; or the one row
/// `only`) by their physical address (a TID scan): joined back on their
/// key, the planner hashed the whole queue for each claim once its
/// statistics fell behind a backlog (13–17 ms a claim). The paused orgs
/// are read once, not probed per row.
async fn claim_rows(
    tx: &mut AsyncPgConnection,
    limit: i64,
    only: Option<(Uuid, Uuid)>,
    org: Option<Uuid>,
) -> Result<Vec<Claimed>> {
    Ok(prepared(
        "WITH c AS MATERIALIZED (
           SELECT ctid FROM projection_queue p
           WHERE (($2::uuid IS NULL AND next_attempt_at <= now()
                   AND ($4::uuid IS NULL OR org_id = $4))
                  OR (org_id = $2 AND event_id = $3))
             AND org_id <> ALL (ARRAY(SELECT paused_org FROM jobs WHERE paused_org IS NOT NULL))
           ORDER BY next_attempt_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         DELETE FROM projection_queue q WHERE q.ctid = ANY (ARRAY(SELECT ctid FROM c))
         RETURNING q.org_id, q.event_id, q.occurred_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.0))
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.1))
    .bind::<Nullable<SqlUuid>, _>(org)
    .load(tx)
    .await?)
}

/// Deletes up to `limit` ready rows of `org`, an org whose rows wait
/// behind other orgs' backlog, and returns them. They are taken in the
/// order of the queue's key, through it: in queue order, the claim would
/// first read past the whole backlog in front of them, and with no order
/// it was planned as a scan of the whole queue. The order of a batch's
/// events changes nothing it projects.
async fn claim_org_rows(tx: &mut AsyncPgConnection, limit: i64, org: Uuid) -> Result<Vec<Claimed>> {
    Ok(prepared(
        "WITH c AS MATERIALIZED (
           SELECT ctid FROM projection_queue
           WHERE org_id = $2 AND next_attempt_at <= now()
             AND org_id <> ALL (ARRAY(SELECT paused_org FROM jobs WHERE paused_org IS NOT NULL))
           ORDER BY event_id LIMIT $1 FOR UPDATE SKIP LOCKED)
         DELETE FROM projection_queue q WHERE q.ctid = ANY (ARRAY(SELECT ctid FROM c))
         RETURNING q.org_id, q.event_id, q.occurred_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<SqlUuid, _>(org)
    .load(tx)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
}

/// The ids of the events a batch would claim now (of `orgs` only, when
/// given: those of a batch that failed), without claiming them.
pub async fn ready(
    conn: &mut AsyncPgConnection,
    limit: i64,
    orgs: Option<&[Uuid]>,
) -> Result<Vec<(Uuid, Uuid)>> {
    let ids: Vec<Id> = prepared(
        "SELECT org_id, event_id FROM projection_queue p WHERE next_attempt_at <= now() \
         AND ($2::uuid[] IS NULL OR org_id = ANY($2)) \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = p.org_id) \
         ORDER BY next_attempt_at, seq LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<Array<SqlUuid>>, _>(orgs)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}

/// Queued events that failed before and wait for their next attempt.
pub async fn failing(conn: &mut AsyncPgConnection) -> Result<Vec<(Uuid, Uuid)>> {
    let ids: Vec<Id> = prepared(
        "SELECT org_id, event_id FROM projection_queue WHERE attempts > 0 AND next_attempt_at > now()",
    )
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}
