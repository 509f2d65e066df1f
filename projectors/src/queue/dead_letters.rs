//! Dead letters back on the queue (`agentmon replay --dead-letters`, the
//! admin API): their attempts start again.

use agentmon_core::storage::db::Db;
use agentmon_core::{Error, Result};
use diesel::sql_types::{Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

/// Puts dead letters (of one org, or all) back on the queue; returns how many.
pub async fn requeue_dead_letters(db: &Db, org: Option<Uuid>) -> Result<usize> {
    let mut conn = db.owner().await?;
    let moved = conn
        .transaction::<_, Error, _>(async |tx| {
            let moved = diesel::sql_query(
                "WITH back AS (
                   DELETE FROM dead_letters WHERE $1::uuid IS NULL OR org_id = $1
                   RETURNING org_id, event_id, occurred_at)
                 INSERT INTO projection_queue (org_id, event_id, occurred_at)
                 SELECT org_id, event_id, occurred_at FROM back
                 ON CONFLICT (org_id, event_id) DO UPDATE SET attempts = 0, next_attempt_at = now()",
            )
            .bind::<Nullable<SqlUuid>, _>(org)
            .execute(tx)
            .await?;
            diesel::sql_query(format!(
                "NOTIFY {}",
                agentmon_core::storage::models::ingest::EVENTS_CHANNEL
            ))
            .execute(tx)
            .await?;
            Ok(moved)
        })
        .await?;
    Ok(moved)
}
