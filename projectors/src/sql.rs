//! Bulk writes: rows travel as one JSON array and unpack server-side with
//! `jsonb_to_recordset`, so any number of columns takes one bind parameter.

use agentmon_core::storage::db::prepared;
use diesel::sql_types::{Jsonb, Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

/// Rows per statement.
const CHUNK: usize = 2_000;

/// Runs `sql` (which reads `jsonb_to_recordset($1)`) over `rows` in chunks.
pub async fn write_rows<T: Serialize>(
    conn: &mut AsyncPgConnection,
    sql: &str,
    rows: &[T],
) -> agentmon_core::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let json = serde_json::to_value(chunk).map_err(anyhow::Error::from)?;
        prepared(sql).bind::<Jsonb, _>(json).execute(conn).await?;
    }
    Ok(())
}

/// Deletes the rows of `table` in scope (one org, or all).
pub async fn delete_scope(
    conn: &mut AsyncPgConnection,
    table: &str,
    org: Option<Uuid>,
) -> agentmon_core::Result<()> {
    prepared(format!(
        "DELETE FROM {table} WHERE $1::uuid IS NULL OR org_id = $1"
    ))
    .bind::<Nullable<SqlUuid>, _>(org)
    .execute(conn)
    .await?;
    Ok(())
}
