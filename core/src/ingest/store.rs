//! Storing one org's accepted events: duplicates found by id and not
//! stored again, the events, their keys, their projection-queue rows and
//! their users, and a wake-up for the workers.

use std::collections::HashSet;

use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::{EventInput, Rejection};
use crate::storage::db::set_org;
use crate::Result;

use super::claims::{claim_runs, claim_sessions};
use super::outcome::IngestOutcome;

/// The channel a worker listens on; the payload is the org id.
pub const EVENTS_CHANNEL: &str = "agentmon_events";

/// Stores the rows of `$2..$8` (one array per column, in event id order)
/// whose keys are new to the ledger of org `$1`, with their queue rows and
/// users; returns the ids stored. Keys and users are inserted in key order,
/// so concurrent calls cannot deadlock.
const STORE_NEW: &str = "
WITH input AS (
  SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
    AS t(event_id, occurred_at, event_type, session_id, user_id, run_id, payload)),
keys AS (
  INSERT INTO event_keys (org_id, event_id, occurred_at)
  SELECT $1, event_id, occurred_at FROM input ORDER BY event_id
  ON CONFLICT DO NOTHING RETURNING event_id),
fresh AS (SELECT input.* FROM input JOIN keys USING (event_id)),
stored AS (
  INSERT INTO events (org_id, occurred_at, event_id, event_type, session_id, user_id, run_id, payload)
  SELECT $1, occurred_at, event_id, event_type, session_id, user_id, run_id, payload FROM fresh),
queued AS (
  INSERT INTO projection_queue (org_id, event_id, occurred_at)
  SELECT $1, event_id, occurred_at FROM fresh ORDER BY event_id),
seen AS (
  INSERT INTO users (org_id, user_id)
  SELECT DISTINCT $1::uuid, user_id FROM fresh ORDER BY 2
  ON CONFLICT DO NOTHING)
SELECT event_id FROM keys";

/// Stores the events of one org inside the caller's transaction.
pub(super) async fn store_org_batch(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    group: &[usize],
) -> Result<IngestOutcome> {
    let mut outcome = IngestOutcome::default();
    set_org(conn, org_id).await?;

    let ids: Vec<Uuid> = group.iter().map(|&i| events[i].event_id).collect();
    // Each id looked up in the ledger's key: `event_id = ANY($ids)` was
    // planned as a scan testing every row against the whole array when the
    // table's statistics lagged behind a burst of ingest.
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = SqlUuid)]
        event_id: Uuid,
    }
    let known: HashSet<Uuid> = diesel::sql_query(
        "SELECT k.id AS event_id FROM unnest($2::uuid[]) AS k(id)
         WHERE EXISTS (SELECT 1 FROM event_keys e WHERE e.org_id = $1 AND e.event_id = k.id)",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<SqlUuid>, _>(&ids)
    .load::<Known>(conn)
    .await?
    .into_iter()
    .map(|k| k.event_id)
    .collect();
    let fresh: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| !known.contains(&events[i].event_id))
        .collect();
    outcome.duplicates += group.len() - fresh.len();
    if fresh.is_empty() {
        return Ok(outcome);
    }

    let owners = claim_sessions(conn, org_id, events, &fresh).await?;
    let mut of_their_user = Vec::with_capacity(fresh.len());
    for i in fresh {
        let event = &events[i];
        match owners.get(event.session_id.as_str()) {
            Some(owner) if owner != &event.user_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "SESSION_USER_MISMATCH",
                format!(
                    "session {:?} belongs to user {owner:?}; its events cannot name user {:?}",
                    event.session_id, event.user_id
                ),
            )),
            _ => of_their_user.push(i),
        }
    }
    let runs = claim_runs(conn, org_id, events, &of_their_user).await?;
    let mut owned = Vec::with_capacity(of_their_user.len());
    for i in of_their_user {
        let event = &events[i];
        match event.run_id.as_deref().and_then(|run| runs.get(run)) {
            Some(session) if session != &event.session_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "RUN_SESSION_MISMATCH",
                format!(
                    "run {:?} belongs to session {session:?}; an event of session {:?} cannot name it. \
                     Run ids are unique within the org",
                    event.run_id.as_deref().unwrap_or_default(),
                    event.session_id
                ),
            )),
            _ => owned.push(i),
        }
    }

    // One statement stores what is new: the ledger decides, also against
    // concurrent calls (only the keys this statement inserted are new), and
    // only those events, their queue rows and their users are written. The
    // rows travel as one array per column, not as bind parameters per row.
    owned.sort_by_key(|&i| events[i].event_id);
    let new: Vec<&EventInput> = owned.iter().map(|&i| &events[i]).collect();
    #[derive(diesel::QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = SqlUuid)]
        event_id: Uuid,
    }
    let inserted: HashSet<Uuid> = diesel::sql_query(STORE_NEW)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Array<SqlUuid>, _>(new.iter().map(|e| e.event_id).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(new.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            new.iter()
                .map(|e| e.event_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            new.iter()
                .map(|e| e.session_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(new.iter().map(|e| e.user_id.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(
            new.iter().map(|e| e.run_id.as_deref()).collect::<Vec<_>>(),
        )
        .bind::<Array<Jsonb>, _>(new.iter().map(|e| e.payload()).collect::<Vec<_>>())
        .load::<Inserted>(conn)
        .await?
        .into_iter()
        .map(|row| row.event_id)
        .collect();
    outcome.duplicates += owned.len() - inserted.len();
    if inserted.is_empty() {
        return Ok(outcome);
    }
    diesel::sql_query(format!("SELECT pg_notify('{EVENTS_CHANNEL}', $1)"))
        .bind::<Text, _>(org_id.to_string())
        .execute(conn)
        .await?;
    outcome.accepted = inserted.len();
    Ok(outcome)
}
