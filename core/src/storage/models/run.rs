//! Reading runs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::storage::schema::runs;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = runs, check_for_backend(diesel::pg::Pg))]
pub struct RunRow {
    pub run_id: String,
    pub session_id: String,
    pub status: String,
    pub model: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub error_category: Option<String>,
    pub error_message: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: Decimal,
    pub model_calls: i32,
    pub cache_read_tokens: i64,
    pub cache_creation_tokens: i64,
    pub tool_calls: i32,
    pub cost_source: String,
}

/// The runs of a session, by start (or finish) time then id.
pub async fn of_session(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    session: &str,
) -> QueryResult<Vec<RunRow>> {
    let mut rows: Vec<RunRow> = runs::table
        .filter(runs::org_id.eq(org))
        .filter(runs::session_id.eq(session))
        .select(RunRow::as_select())
        .load(conn)
        .await?;
    rows.sort_by(|a, b| {
        (a.started_at.or(a.finished_at), &a.run_id)
            .cmp(&(b.started_at.or(b.finished_at), &b.run_id))
    });
    Ok(rows)
}
