//! Who owns a session and a run: the user of its first admitted event,
//! claimed once, so a later event of another user is refused.

use std::collections::{BTreeMap, HashMap};

use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::EventInput;
use crate::storage::db::prepared;
use crate::Result;

/// A table of claims: each key of an org owned by the first owner stored.
struct Owners {
    table: &'static str,
    key: &'static str,
    owner: &'static str,
}

const SESSION_OWNERS: Owners = Owners {
    table: "session_owners",
    key: "session_id",
    owner: "user_id",
};
const RUN_OWNERS: Owners = Owners {
    table: "run_owners",
    key: "run_id",
    owner: "session_id",
};

impl Owners {
    /// Claims each key of `$2` for its owner in `$3` (arrays in key order)
    /// in org `$1`, unless claimed already, and returns every key's owner.
    /// The existing owners are read key by key through the primary key: a
    /// `{key} = ANY($2)` filter was planned as a scan of the whole table
    /// testing each row against the array while the table's statistics lagged
    /// behind a burst of ingest (1,776 ms of 4,900 in the ingest bench).
    fn claim_sql(&self) -> String {
        let Owners { table, key, owner } = self;
        format!(
            "WITH claimed AS (
               INSERT INTO {table} (org_id, {key}, {owner})
               SELECT $1, k, o FROM unnest($2::text[], $3::text[]) AS t(k, o)
               ON CONFLICT DO NOTHING RETURNING {key} AS k, {owner} AS o)
             SELECT k, o FROM claimed
             UNION ALL
             SELECT u.k, s.o FROM unnest($2::text[]) AS u(k)
             CROSS JOIN LATERAL (SELECT {owner} AS o FROM {table} WHERE org_id = $1 AND {key} = u.k) s
             WHERE u.k NOT IN (SELECT k FROM claimed)"
        )
    }
}

/// A session belongs to the user of its first admitted event. Claims the
/// sessions of `candidates` for their first user in batch order, then
/// returns the owner of each, whoever claimed it first.
pub(super) async fn claim_sessions(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    candidates: &[usize],
) -> Result<HashMap<String, String>> {
    let pairs = candidates
        .iter()
        .map(|&i| (events[i].session_id.as_str(), events[i].user_id.as_str()));
    Ok(claim(conn, &SESSION_OWNERS, org_id, pairs).await?)
}

/// A run belongs to the session of its first admitted event: claims the runs
/// of `events` for their first session in batch order, then returns the
/// owner of each, whoever claimed it first.
pub(super) async fn claim_runs(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    candidates: &[usize],
) -> Result<HashMap<String, String>> {
    let pairs = candidates.iter().filter_map(|&i| {
        let run = events[i].run_id.as_deref()?;
        Some((run, events[i].session_id.as_str()))
    });
    Ok(claim(conn, &RUN_OWNERS, org_id, pairs).await?)
}

#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = Text)]
    o: String,
}

/// Claims each key of `pairs` for its first owner in batch order and
/// returns the owner of every key, whoever claimed it first.
async fn claim<'e>(
    conn: &mut AsyncPgConnection,
    owners: &Owners,
    org_id: Uuid,
    pairs: impl Iterator<Item = (&'e str, &'e str)>,
) -> QueryResult<HashMap<String, String>> {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, owner) in pairs {
        first.entry(key).or_insert(owner);
    }
    if first.is_empty() {
        return Ok(HashMap::new());
    }
    let (keys, their_owners): (Vec<&str>, Vec<&str>) = first.into_iter().unzip();
    let sql = owners.claim_sql();
    let mut found = owners_of(conn, &sql, org_id, &keys, &their_owners).await?;
    // A key another call claimed after this statement's snapshot was taken
    // is neither inserted nor seen by it: a second statement sees it.
    let (missing, their_owners): (Vec<&str>, Vec<&str>) = keys
        .iter()
        .zip(&their_owners)
        .filter(|(k, _)| !found.contains_key(**k))
        .unzip();
    if !missing.is_empty() {
        found.extend(owners_of(conn, &sql, org_id, &missing, &their_owners).await?);
    }
    Ok(found)
}

async fn owners_of(
    conn: &mut AsyncPgConnection,
    sql: &str,
    org_id: Uuid,
    keys: &[&str],
    owners: &[&str],
) -> QueryResult<HashMap<String, String>> {
    Ok(prepared(sql)
        .bind::<SqlUuid, _>(org_id)
        .bind::<Array<Text>, _>(keys)
        .bind::<Array<Text>, _>(owners)
        .load::<Owner>(conn)
        .await?
        .into_iter()
        .map(|row| (row.k, row.o))
        .collect())
}
