//! Dead letters back on the queue, unaudited (tests and tools; the admin
//! action `retryDeadLetters` / `agentmon replay --dead-letters` writes its
//! audit row in the same transaction): their attempts start again.

use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::dead_letter;
use agentmon_core::{Error, Result};
use diesel_async::AsyncConnection;
use uuid::Uuid;

/// Puts dead letters (of one org, or all) back on the queue; returns how many.
pub async fn requeue_dead_letters(db: &Db, org: Option<Uuid>) -> Result<usize> {
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| Ok(dead_letter::requeue(tx, org).await?))
        .await
}
