//! Storing one org's admitted events: their keys, the events, their
//! projection-queue rows and their users in one statement, and a wake-up for
//! the workers.

use std::collections::HashSet;

use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::EventInput;
use crate::storage::db::{prepared, set_org};
use crate::Result;

use super::outcome::IngestOutcome;

/// The channel a worker listens on; the payload is the org id.
pub const EVENTS_CHANNEL: &str = "agentmon_events";

/// Stores the rows of `$2..$8` (one array per column, in event id order;
/// the payloads as JSON text) whose keys are new to the ledger of org `$1`,
/// with their queue rows and users; returns the ids stored. Keys and users are inserted in key order,
/// so concurrent calls cannot deadlock.
const STORE_NEW: &str = "
WITH input AS (
  SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]::jsonb[])
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

/// Stores the admitted events `owned` of one org inside the caller's
/// transaction; those another call stored meanwhile count as duplicates.
pub(super) async fn store_owned(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    mut owned: Vec<usize>,
) -> Result<IngestOutcome> {
    let mut outcome = IngestOutcome::default();
    if owned.is_empty() {
        return Ok(outcome);
    }
    set_org(conn, org_id).await?;
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
    let inserted: HashSet<Uuid> = prepared(STORE_NEW)
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
        .bind::<Array<Text>, _>(new.iter().map(|e| e.payload_text()).collect::<Vec<_>>())
        .load::<Inserted>(conn)
        .await?
        .into_iter()
        .map(|row| row.event_id)
        .collect();
    outcome.duplicates += owned.len() - inserted.len();
    if inserted.is_empty() {
        return Ok(outcome);
    }
    prepared(format!("SELECT pg_notify('{EVENTS_CHANNEL}', $1)"))
        .bind::<Text, _>(org_id.to_string())
        .execute(conn)
        .await?;
    outcome.accepted = inserted.len();
    Ok(outcome)
}
