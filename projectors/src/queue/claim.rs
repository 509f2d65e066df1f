//! Claiming queue rows for a batch, and looking at what is ready or
//! failing without claiming it.

use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Uuid as SqlUuid};
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
/// worker holds, of orgs no job has paused, and returns them. Rolled back with the transaction, they
/// are queued again.
///
/// The rows are deleted by their physical address (a TID scan): joined
/// back on their key, the planner hashed the whole queue for each claim
/// once its statistics fell behind a backlog (13–17 ms a claim). The paused
/// orgs are read once, not probed per row.
pub async fn claim(
    tx: &mut AsyncPgConnection,
    limit: i64,
    only: Option<(Uuid, Uuid)>,
) -> Result<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "WITH c AS MATERIALIZED (
           SELECT ctid FROM projection_queue p
           WHERE (($2::uuid IS NULL AND next_attempt_at <= now())
                  OR (org_id = $2 AND event_id = $3))
             AND org_id <> ALL (ARRAY(SELECT paused_org FROM jobs WHERE paused_org IS NOT NULL))
           ORDER BY next_attempt_at, seq LIMIT $1 FOR UPDATE SKIP LOCKED)
         DELETE FROM projection_queue q WHERE q.ctid = ANY (ARRAY(SELECT ctid FROM c))
         RETURNING q.org_id, q.event_id, q.occurred_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.0))
    .bind::<Nullable<SqlUuid>, _>(only.map(|o| o.1))
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

/// The ids of the events a batch would claim now, without claiming them.
pub async fn ready(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<(Uuid, Uuid)>> {
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT org_id, event_id FROM projection_queue p WHERE next_attempt_at <= now() \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = p.org_id) \
         ORDER BY next_attempt_at, seq LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}

/// Queued events that failed before and wait for their next attempt.
pub async fn failing(conn: &mut AsyncPgConnection) -> Result<Vec<(Uuid, Uuid)>> {
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT org_id, event_id FROM projection_queue WHERE attempts > 0 AND next_attempt_at > now()",
    )
    .load(conn)
    .await?;
    Ok(ids.into_iter().map(|i| (i.org_id, i.event_id)).collect())
}
