//! The runs read model: status, model, times, duration, outcome and usage.

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::storage::models::event::StoredEvent;
use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::projector::{Batch, Changes, Projector, ReplayScope};
use crate::sql::{delete_scope, write_rows};

pub struct RunsProjector;

#[derive(Serialize)]
struct Row<'a> {
    org_id: Uuid,
    run_id: &'a str,
    session_id: &'a str,
    user_id: &'a str,
    status: RunStatus,
    model: Option<&'a str>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    day: Option<NaiveDate>,
    duration_ms: Option<i64>,
    error_category: Option<ErrorCategory>,
    error_message: Option<&'a str>,
    input_tokens: i64,
    output_tokens: i64,
    cost_usd: Decimal,
    model_calls: i64,
    failed_model_calls: i64,
    cache_read_tokens: i64,
    cache_creation_tokens: i64,
    tool_calls: i64,
    cost_source: &'static str,
}

const UPSERT: &str = "
INSERT INTO runs AS r (org_id, run_id, session_id, user_id, status, model, started_at, finished_at,
  day, duration_ms, error_category, error_message, input_tokens, output_tokens, cost_usd,
  model_calls, failed_model_calls, cache_read_tokens, cache_creation_tokens, tool_calls, cost_source)
SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, run_id text, session_id text, user_id text,
  status text, model text, started_at timestamptz, finished_at timestamptz, day date,
  duration_ms bigint, error_category text, error_message text, input_tokens bigint,
  output_tokens bigint, cost_usd numeric, model_calls int, failed_model_calls int,
  cache_read_tokens bigint, cache_creation_tokens bigint, tool_calls int, cost_source text)
ON CONFLICT (org_id, run_id) DO UPDATE SET
  session_id = excluded.session_id, user_id = excluded.user_id, status = excluded.status,
  model = excluded.model, started_at = excluded.started_at, finished_at = excluded.finished_at,
  day = excluded.day, duration_ms = excluded.duration_ms, error_category = excluded.error_category,
  error_message = excluded.error_message, input_tokens = excluded.input_tokens,
  output_tokens = excluded.output_tokens, cost_usd = excluded.cost_usd,
  model_calls = excluded.model_calls, failed_model_calls = excluded.failed_model_calls,
  cache_read_tokens = excluded.cache_read_tokens,
  cache_creation_tokens = excluded.cache_creation_tokens, tool_calls = excluded.tool_calls,
  cost_source = excluded.cost_source";

#[async_trait]
impl Projector for RunsProjector {
    fn name(&self) -> &'static str {
        "runs"
    }

    /// Events of a run change it, and a run's start may end an implicit
    /// run before it.
    fn interested_in(&self, event: &StoredEvent) -> bool {
        event.run_id.is_some()
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let rows: Vec<Row> = batch
            .sessions
            .iter()
            .flat_map(|s| {
                s.runs.values().map(move |r| Row {
                    org_id: s.org_id,
                    run_id: &r.run_id,
                    session_id: &s.session_id,
                    user_id: &s.user_id,
                    status: r.status,
                    model: r.model.as_deref(),
                    started_at: r.started_at,
                    finished_at: r.finished_at,
                    day: r.day,
                    duration_ms: r.duration_ms,
                    error_category: r.error_category,
                    error_message: r.error_message.as_deref(),
                    input_tokens: r.input_tokens,
                    output_tokens: r.output_tokens,
                    cost_usd: r.cost,
                    model_calls: r.calls.model_calls,
                    failed_model_calls: r.calls.failed_model_calls,
                    cache_read_tokens: r.calls.cache_read_tokens,
                    cache_creation_tokens: r.calls.cache_creation_tokens,
                    tool_calls: r.calls.tool_calls,
                    cost_source: r.cost_source(),
                })
            })
            .collect();
        write_rows(tx, UPSERT, &rows).await?;
        Ok(Changes::of_batch(batch))
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        delete_scope(tx, "runs", scope.org).await
    }
}
