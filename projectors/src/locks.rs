//! Who waits for whom: the org row holds of rebuilds, erasures and
//! retention passes, and the advisory locks of sessions. Batches, erasures
//! and retention take them in one global order, so none can deadlock.

use std::collections::BTreeSet;

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Takes the sessions' advisory locks for the transaction, in one global
/// order (so that workers, erasures and retention passes cannot deadlock).
pub(crate) async fn lock_sessions(
    tx: &mut AsyncPgConnection,
    sessions: &BTreeSet<(Uuid, String)>,
) -> Result<()> {
    let (org_ids, session_ids): (Vec<Uuid>, Vec<String>) = sessions.iter().cloned().unzip();
    prepared(
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

/// Waits for the batches that took the org before its projection was
/// paused: a moment's exclusive lock on its row, in a transaction of its
/// own. Batches that come later see the pause and step back.
pub(crate) async fn drain_org(conn: &mut AsyncPgConnection, org: Uuid) -> Result<()> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
        prepared("SELECT id FROM orgs WHERE id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(org)
            .execute(tx)
            .await?;
        Ok(())
    })
    .await
}

/// Holds the org's row for a rebuild or an erasure (`FOR NO KEY UPDATE`):
/// retention passes (`FOR SHARE`) wait, while producers' inserts (whose
/// foreign-key checks share the row) and every other org go on.
pub(crate) async fn hold_org(tx: &mut AsyncPgConnection, org: Uuid) -> Result<()> {
    prepared("SELECT id FROM orgs WHERE id = $1 FOR NO KEY UPDATE")
        .bind::<SqlUuid, _>(org)
        .execute(tx)
        .await?;
    Ok(())
}

/// Shares the org's row for a retention transaction (`FOR SHARE`): a
/// rebuild or erasure of the org goes first.
pub(crate) async fn share_org(tx: &mut AsyncPgConnection, org: Uuid) -> Result<()> {
    prepared("SELECT id FROM orgs WHERE id = $1 FOR SHARE")
        .bind::<SqlUuid, _>(org)
        .execute(tx)
        .await?;
    Ok(())
}
