//! Who owns a session and a run: the user of its first stored event,
//! claimed once, so a later event of another user is refused.

use std::collections::{BTreeMap, HashMap};

use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::EventInput;
use crate::Result;

/// A session belongs to the user of its first stored event. Claims the
/// sessions of `fresh` for their first user in batch order, then returns the
/// owner of each, whoever claimed it first.
pub(super) async fn claim_sessions<'e>(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &'e [EventInput],
    fresh: &[usize],
) -> Result<HashMap<String, String>> {
    let mut claims: BTreeMap<&'e str, &'e str> = BTreeMap::new();
    for &i in fresh {
        claims
            .entry(events[i].session_id.as_str())
            .or_insert(events[i].user_id.as_str());
    }
    let (sessions, users): (Vec<&str>, Vec<&str>) = claims.into_iter().unzip();
    Ok(claim(conn, CLAIM_SESSIONS, org_id, &sessions, &users).await?)
}

/// A run belongs to the session of its first stored event: claims the runs
/// of `events` for their first session in batch order, then returns the
/// owner of each, whoever claimed it first.
pub(super) async fn claim_runs<'e>(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &'e [EventInput],
    candidates: &[usize],
) -> Result<HashMap<String, String>> {
    let mut claims: BTreeMap<&'e str, &'e str> = BTreeMap::new();
    for &i in candidates {
        if let Some(run) = events[i].run_id.as_deref() {
            claims.entry(run).or_insert(events[i].session_id.as_str());
        }
    }
    if claims.is_empty() {
        return Ok(HashMap::new());
    }
    let (runs, sessions): (Vec<&str>, Vec<&str>) = claims.into_iter().unzip();
    Ok(claim(conn, CLAIM_RUNS, org_id, &runs, &sessions).await?)
}

/// Claims each key of `$2` for its owner in `$3` (arrays in key order) in
/// org `$1`, unless claimed already, and returns every key's owner.
const CLAIM_SESSIONS: &str = "
WITH claimed AS (
  INSERT INTO session_owners (org_id, session_id, user_id)
  SELECT $1, k, o FROM unnest($2::text[], $3::text[]) AS t(k, o)
  ON CONFLICT DO NOTHING RETURNING session_id AS k, user_id AS o)
SELECT k, o FROM claimed
UNION ALL
SELECT s.session_id, s.user_id FROM session_owners s
WHERE s.org_id = $1 AND s.session_id = ANY($2) AND s.session_id NOT IN (SELECT k FROM claimed)";
const CLAIM_RUNS: &str = "
WITH claimed AS (
  INSERT INTO run_owners (org_id, run_id, session_id)
  SELECT $1, k, o FROM unnest($2::text[], $3::text[]) AS t(k, o)
  ON CONFLICT DO NOTHING RETURNING run_id AS k, session_id AS o)
SELECT k, o FROM claimed
UNION ALL
SELECT r.run_id, r.session_id FROM run_owners r
WHERE r.org_id = $1 AND r.run_id = ANY($2) AND r.run_id NOT IN (SELECT k FROM claimed)";

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = Text)]
    o: String,
}

async fn claim(
    conn: &mut AsyncPgConnection,
    sql: &'static str,
    org_id: Uuid,
    keys: &[&str],
    owners: &[&str],
) -> QueryResult<HashMap<String, String>> {
    let mut found = owners_of(conn, sql, org_id, keys, owners).await?;
    // A key another call claimed after this statement's snapshot was taken
    // is neither inserted nor seen by it: a second statement sees it.
    let (missing, their_owners): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .zip(owners)
        .filter(|(k, _)| !found.contains_key(**k))
        .unzip();
    if !missing.is_empty() {
        found.extend(owners_of(conn, sql, org_id, &missing, &their_owners).await?);
    }
    Ok(found)
}

async fn owners_of(
    conn: &mut AsyncPgConnection,
    sql: &'static str,
    org_id: Uuid,
    keys: &[&str],
    owners: &[&str],
) -> QueryResult<HashMap<String, String>> {
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Array<Text>, _>(keys)
        .bind::<Array<Text>, _>(owners)
        .load::<Owner>(conn)
        .await?
        .into_iter()
        .map(|row| (row.k, row.o))
        .collect())
}
