//! Taking whole sessions out of the store: their share of the rollups,
//! every read model row, their events and what refers to those events; then
//! their users derived again from what is left. Erasures and retention
//! passes use it inside their own transactions, holding the sessions'
//! locks, so that every figure a reader sees is exact.

use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::registry::registry;

/// Which of the sessions' events go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Events {
    /// Every event (an erasure).
    All,
    /// Events before `cutoff` (retention), leaving those before `kept_from`
    /// to a partition drop. Sessions with later events are projected again
    /// from those.
    Before {
        cutoff: DateTime<Utc>,
        dropped_below: Option<DateTime<Utc>>,
    },
}

/// What a removal took away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub events: i64,
    pub sessions: i64,
    pub runs: i64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) async fn remove_sessions(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    sessions: &[String],
    events: Events,
) -> Result<Removed> {
    if sessions.is_empty() {
        return Ok(Removed::default());
    }
    for projector in registry() {
        projector.remove_sessions(tx, org, sessions).await?;
    }
    for table in [
        "sessions",
        "runs",
        "handoffs",
        "session_folds",
        "run_folds",
        "open_runs",
    ] {
        diesel::sql_query(format!(
            "DELETE FROM {table} WHERE org_id = $1 AND session_id = ANY($2)"
        ))
        .bind::<SqlUuid, _>(org)
        .bind::<Array<Text>, _>(sessions)
        .execute(tx)
        .await?;
    }
    let (before, from) = match events {
        Events::All => (None, None),
        Events::Before {
            cutoff,
            dropped_below,
        } => (Some(cutoff), dropped_below),
    };
    let gone: Count = diesel::sql_query(
        "WITH gone AS (
           DELETE FROM events WHERE org_id = $1 AND session_id = ANY($2)
             AND ($3::timestamptz IS NULL OR occurred_at < $3)
             AND ($4::timestamptz IS NULL OR occurred_at >= $4)
           RETURNING event_id),
         queued AS (
           -- A batch stepping back may hold a row: left, it finds no event later.
           DELETE FROM projection_queue WHERE (org_id, event_id) IN (
             SELECT org_id, event_id FROM projection_queue
             WHERE org_id = $1 AND event_id IN (SELECT event_id FROM gone) FOR UPDATE SKIP LOCKED)),
         dead AS (DELETE FROM dead_letters WHERE org_id = $1 AND event_id IN (SELECT event_id FROM gone))
         SELECT count(*) AS n FROM gone",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(sessions)
    .bind::<Nullable<Timestamptz>, _>(before)
    .bind::<Nullable<Timestamptz>, _>(from)
    .get_result(tx)
    .await?;

    // Sessions with events left (retention only) are folded again from them.
    if let Some(cutoff) = before {
        diesel::sql_query(
            "INSERT INTO projection_queue (org_id, event_id, occurred_at)
             SELECT org_id, event_id, occurred_at FROM events
             WHERE org_id = $1 AND session_id = ANY($2) AND occurred_at >= $3
               AND NOT EXISTS (SELECT 1 FROM projection_queue q
                               WHERE q.org_id = events.org_id AND q.event_id = events.event_id)
               AND NOT EXISTS (SELECT 1 FROM dead_letters d
                               WHERE d.org_id = events.org_id AND d.event_id = events.event_id)
             ON CONFLICT (org_id, event_id) DO NOTHING",
        )
        .bind::<SqlUuid, _>(org)
        .bind::<Array<Text>, _>(sessions)
        .bind::<Timestamptz, _>(cutoff)
        .execute(tx)
        .await?;
    }
    let owned = |table: &str| {
        format!(
            "WITH gone AS (DELETE FROM {table} o WHERE org_id = $1 AND session_id = ANY($2)
               AND ($3::timestamptz IS NULL OR NOT EXISTS (
                 SELECT 1 FROM events e WHERE e.org_id = o.org_id AND e.session_id = o.session_id
                   AND e.occurred_at >= $3))
               RETURNING 1)
             SELECT count(*) AS n FROM gone"
        )
    };
    let mut counts = [0_i64; 2];
    for (i, table) in ["session_owners", "run_owners"].into_iter().enumerate() {
        let c: Count = diesel::sql_query(owned(table))
            .bind::<SqlUuid, _>(org)
            .bind::<Array<Text>, _>(sessions)
            .bind::<Nullable<Timestamptz>, _>(before)
            .get_result(tx)
            .await?;
        counts[i] = c.n;
    }
    Ok(Removed {
        events: gone.n,
        sessions: counts[0],
        runs: counts[1],
    })
}

/// Derives the users' first seen, last active and profile again from the
/// events they have left (what a replay would give), after some of their
/// sessions went. One statement for all of them, reading each remaining
/// session's events through its index.
pub(crate) async fn refresh_users(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    users: &[String],
) -> Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let latest = |field: &str| {
        format!(
            "{field}s AS (SELECT DISTINCT ON (user_id) user_id, profile->>'{field}' AS v, occurred_at AS at, event_id AS id
               FROM ev WHERE profile->>'{field}' IS NOT NULL
               ORDER BY user_id, occurred_at DESC, event_id DESC)"
        )
    };
    diesel::sql_query(format!(
        "WITH asked AS (SELECT unnest($2::text[]) AS user_id),
         ev AS (
           SELECT o.user_id, e.occurred_at, e.event_id, e.payload->'user' AS profile
           FROM session_owners o JOIN events e ON e.org_id = o.org_id AND e.session_id = o.session_id
           WHERE o.org_id = $1 AND o.user_id IN (SELECT user_id FROM asked)
             AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.org_id = e.org_id AND d.event_id = e.event_id)),
         seen AS (SELECT user_id, min(occurred_at) AS first, max(occurred_at) AS last FROM ev GROUP BY user_id),
         {}, {}
         UPDATE users u SET first_seen_at = seen.first, last_active_at = seen.last,
           email = emails.v, email_at = emails.at, email_event = emails.id,
           name = names.v, name_at = names.at, name_event = names.id
         FROM asked
           LEFT JOIN seen ON seen.user_id = asked.user_id
           LEFT JOIN emails ON emails.user_id = asked.user_id
           LEFT JOIN names ON names.user_id = asked.user_id
         WHERE u.org_id = $1 AND u.user_id = asked.user_id",
        latest("email"),
        latest("name")
    ))
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(users)
    .execute(tx)
    .await?;
    Ok(())
}
