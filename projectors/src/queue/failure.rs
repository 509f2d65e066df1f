//! A failed event: retried later with exponential backoff, or moved to the
//! dead letters with its error once it has used its attempts.

use std::time::Duration;

use agentmon_core::Result;
use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// How failed events are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Failed attempts before an event becomes a dead letter.
    pub max_attempts: i32,
    /// First retry delay; doubles with each attempt (capped at 10 minutes).
    pub backoff: Duration,
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    event_id: Uuid,
    error: &str,
    retry: Retry,
) -> Result<()> {
    let base_ms = i64::try_from(retry.backoff.as_millis()).unwrap_or(1_000);
    let max_attempts = retry.max_attempts;
    let error = error.to_string();
    conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
        let moved = diesel::sql_query(
            "WITH failed AS (
               DELETE FROM projection_queue WHERE org_id = $1 AND event_id = $2 AND attempts + 1 >= $3
               RETURNING org_id, event_id, occurred_at, attempts + 1 AS attempts)
             INSERT INTO dead_letters (org_id, event_id, occurred_at, attempts, error)
             SELECT org_id, event_id, occurred_at, attempts, $4 FROM failed
             ON CONFLICT (org_id, event_id) DO UPDATE SET attempts = excluded.attempts,
               error = excluded.error, failed_at = now()",
        )
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(event_id)
        .bind::<Integer, _>(max_attempts)
        .bind::<Text, _>(&error)
        .execute(tx)
        .await?;
        if moved > 0 {
            tracing::error!(%org_id, %event_id, %error, "event moved to dead letters");
            return Ok(());
        }
        diesel::sql_query(
            "UPDATE projection_queue SET attempts = attempts + 1, last_error = $3,
               next_attempt_at = now() + make_interval(secs => LEAST($4 * power(2, attempts), 600000) / 1000.0)
             WHERE org_id = $1 AND event_id = $2",
        )
        .bind::<SqlUuid, _>(org_id)
        .bind::<SqlUuid, _>(event_id)
        .bind::<Text, _>(&error)
        .bind::<BigInt, _>(base_ms)
        .execute(tx)
        .await?;
        tracing::warn!(%org_id, %event_id, %error, "event failed; will retry");
        Ok(())
    })
    .await
}
