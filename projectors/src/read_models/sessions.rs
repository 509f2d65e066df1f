//! The sessions read model: counts, times, usage, handoff flags and merged
//! attributes of every session.

use agentmon_core::event::RunStatus;
use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::projector::{Batch, Changes, Projector, ReplayScope};
use crate::sql::{delete_scope, write_rows};

pub struct SessionsProjector;

#[derive(Serialize)]
struct Row<'a> {
    org_id: Uuid,
    session_id: &'a str,
    user_id: &'a str,
    started_at: DateTime<Utc>,
    last_event_at: DateTime<Utc>,
    day: NaiveDate,
    event_count: i64,
    message_count: i64,
    run_count: i64,
    succeeded_runs: i64,
    failed_runs: i64,
    cancelled_runs: i64,
    cost_usd: Decimal,
    input_tokens: i64,
    output_tokens: i64,
    active_time_ms: i64,
    handed_off: bool,
    iterated_after_handoff: bool,
    attributes: &'a serde_json::Map<String, serde_json::Value>,
    agent: Option<&'a str>,
    model_calls: i64,
    failed_model_calls: i64,
    cache_read_tokens: i64,
    cache_creation_tokens: i64,
    estimated_cost_usd: Decimal,
    tool_calls: i64,
    failed_tool_calls: i64,
    rejected_tool_calls: i64,
    lines_added: i64,
    lines_removed: i64,
    commits: i64,
    pull_requests: i64,
}

const UPSERT: &str = "
INSERT INTO sessions AS s (org_id, session_id, user_id, started_at, last_event_at, day, event_count,
  message_count, run_count, succeeded_runs, failed_runs, cancelled_runs, cost_usd, input_tokens,
  output_tokens, active_time_ms, handed_off, iterated_after_handoff, attributes, agent, model_calls,
  failed_model_calls, cache_read_tokens, cache_creation_tokens, estimated_cost_usd, tool_calls,
  failed_tool_calls, rejected_tool_calls, lines_added, lines_removed, commits, pull_requests)
SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, session_id text, user_id text,
  started_at timestamptz, last_event_at timestamptz, day date, event_count int, message_count int,
  run_count int, succeeded_runs int, failed_runs int, cancelled_runs int, cost_usd numeric,
  input_tokens bigint, output_tokens bigint, active_time_ms bigint, handed_off boolean,
  iterated_after_handoff boolean, attributes jsonb, agent text, model_calls int,
  failed_model_calls int, cache_read_tokens bigint, cache_creation_tokens bigint,
  estimated_cost_usd numeric, tool_calls int, failed_tool_calls int, rejected_tool_calls int,
  lines_added bigint, lines_removed bigint, commits int, pull_requests int)
ON CONFLICT (org_id, session_id) DO UPDATE SET
  user_id = excluded.user_id, started_at = excluded.started_at,
  last_event_at = excluded.last_event_at, day = excluded.day, event_count = excluded.event_count,
  message_count = excluded.message_count, run_count = excluded.run_count,
  succeeded_runs = excluded.succeeded_runs, failed_runs = excluded.failed_runs,
  cancelled_runs = excluded.cancelled_runs, cost_usd = excluded.cost_usd,
  input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
  active_time_ms = excluded.active_time_ms, handed_off = excluded.handed_off,
  iterated_after_handoff = excluded.iterated_after_handoff, attributes = excluded.attributes,
  agent = excluded.agent, model_calls = excluded.model_calls,
  failed_model_calls = excluded.failed_model_calls, cache_read_tokens = excluded.cache_read_tokens,
  cache_creation_tokens = excluded.cache_creation_tokens,
  estimated_cost_usd = excluded.estimated_cost_usd, tool_calls = excluded.tool_calls,
  failed_tool_calls = excluded.failed_tool_calls, rejected_tool_calls = excluded.rejected_tool_calls,
  lines_added = excluded.lines_added, lines_removed = excluded.lines_removed,
  commits = excluded.commits, pull_requests = excluded.pull_requests,
  projected_at = clock_timestamp()";

#[async_trait]
impl Projector for SessionsProjector {
    fn name(&self) -> &'static str {
        "sessions"
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let rows: Vec<Row> = batch
            .sessions
            .iter()
            .map(|s| (s, s.totals.all()))
            .map(|(s, all)| Row {
                org_id: s.org_id,
                session_id: &s.session_id,
                user_id: &s.user_id,
                started_at: s.started_at,
                last_event_at: s.last_event_at,
                day: s.day,
                event_count: s.event_count,
                message_count: s.message_count,
                run_count: s.run_count(),
                succeeded_runs: s.count_status(RunStatus::Succeeded),
                failed_runs: s.count_status(RunStatus::Failed),
                cancelled_runs: s.count_status(RunStatus::Cancelled),
                cost_usd: s.cost(),
                input_tokens: s.input_tokens(),
                output_tokens: s.output_tokens(),
                active_time_ms: s.active_time_ms(),
                handed_off: s.handed_off(),
                iterated_after_handoff: s.iterated_after_handoff(),
                attributes: &s.attributes,
                agent: s.agent(),
                model_calls: all.model_calls,
                failed_model_calls: all.failed_model_calls,
                cache_read_tokens: all.cache_read_tokens,
                cache_creation_tokens: all.cache_creation_tokens,
                estimated_cost_usd: all.estimated_cost_usd,
                tool_calls: all.tool_calls,
                failed_tool_calls: all.failed_tool_calls,
                rejected_tool_calls: all.rejected_tool_calls,
                lines_added: all.lines_added,
                lines_removed: all.lines_removed,
                commits: all.commits,
                pull_requests: all.pull_requests,
            })
            .collect();
        write_rows(tx, UPSERT, &rows).await?;
        Ok(Changes::of_batch(batch))
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        delete_scope(tx, "sessions", scope.org).await
    }
}
