//! Dead letters: events the projectors gave up on, with their error and
//! attempts, and how they go back on the queue.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::ingest::EVENTS_CHANNEL;

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct DeadLetter {
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    /// The org's slug.
    #[diesel(sql_type = Text)]
    pub org: String,
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub error: String,
    #[diesel(sql_type = Timestamptz)]
    pub failed_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
}

/// Where a page of dead letters continues: after this (failed at, org,
/// event), newest first.
pub type After = (DateTime<Utc>, Uuid, Uuid);

/// Dead letters of one org (or all), newest first, after `after`; with the
/// owner's rights.
pub async fn page(
    conn: &mut AsyncPgConnection,
    org: Option<Uuid>,
    after: Option<After>,
    limit: i64,
) -> QueryResult<Vec<DeadLetter>> {
    diesel::sql_query(
        "SELECT d.event_id, o.slug AS org, coalesce(e.session_id, '') AS session_id,
                d.attempts, d.error, d.failed_at, d.org_id
         FROM dead_letters d JOIN orgs o ON o.id = d.org_id
         LEFT JOIN events e ON e.org_id = d.org_id AND e.occurred_at = d.occurred_at
                           AND e.event_id = d.event_id
         WHERE ($1::uuid IS NULL OR d.org_id = $1)
           AND ($2::timestamptz IS NULL OR (d.failed_at, d.org_id, d.event_id) < ($2, $3, $4))
         ORDER BY d.failed_at DESC, d.org_id DESC, d.event_id DESC LIMIT $5",
    )
    .bind::<Nullable<SqlUuid>, _>(org)
    .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
    .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.2))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// How many dead letters one org (or every org) has.
pub async fn count(conn: &mut AsyncPgConnection, org: Option<Uuid>) -> QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Total {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: Total = diesel::sql_query(
        "SELECT count(*) AS n FROM dead_letters WHERE $1::uuid IS NULL OR org_id = $1",
    )
    .bind::<Nullable<SqlUuid>, _>(org)
    .get_result(conn)
    .await?;
    Ok(total.n)
}

/// Puts the dead letters of one org (or all) back on the queue and wakes
/// the workers, in the caller's transaction; how many.
pub async fn requeue(conn: &mut AsyncPgConnection, org: Option<Uuid>) -> QueryResult<usize> {
    let moved = diesel::sql_query(
        "WITH back AS (
           DELETE FROM dead_letters WHERE $1::uuid IS NULL OR org_id = $1
           RETURNING org_id, event_id, occurred_at)
         INSERT INTO projection_queue (org_id, event_id, occurred_at)
         SELECT org_id, event_id, occurred_at FROM back
         ON CONFLICT (org_id, event_id) DO UPDATE SET attempts = 0, next_attempt_at = now()",
    )
    .bind::<Nullable<SqlUuid>, _>(org)
    .execute(conn)
    .await?;
    diesel::sql_query(format!("NOTIFY {EVENTS_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(moved)
}
