//! Runs of sources that send no end (Claude Code's logs start a run with a
//! prompt and never say it ended) end at their last event once they have
//! been quiet for `AGENTMON_RUN_IDLE`: the worker sends each such run a
//! `RUN_FINISHED` through the ingest path, stamped with its last event's
//! time, FAILED when its last model call failed for good (its category),
//! else SUCCEEDED. A run whose session has a later run ends sooner, in the
//! fold (see [`crate::fold`]). The finish's id is derived from the run, so
//! two workers ending the same run store it once.

use std::time::Duration;

use agentmon_core::auth::OrgScope;
use agentmon_core::event::{ErrorCategory, EventInput, EventType, RunInput, RunStatus};
use agentmon_core::ingest::ingest;
use agentmon_core::storage::db::Db;
use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Jsonb, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::fold::RunState;

/// How often the worker looks for quiet runs.
pub const EVERY: Duration = Duration::from_secs(30);
/// Runs ended per look.
const PER_LOOK: i64 = 1_000;
/// The namespace of the finishes' ids (UUIDv5).
const NAMESPACE: Uuid = Uuid::from_u128(0x6167_656e_746d_6f6e_2d71_7569_6574_0001);

#[derive(diesel::QueryableByName)]
struct Quiet {
    #[diesel(sql_type = Text)]
    org: String,
    #[diesel(sql_type = Text)]
    session_id: String,
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    run_id: String,
    #[diesel(sql_type = Timestamptz)]
    last_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    state: serde_json::Value,
}

/// Ends the runs quiet for `idle` as of `now`; returns how many.
pub async fn end_quiet_runs(db: &Db, idle: Duration, now: DateTime<Utc>) -> Result<usize> {
    let before = now - chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::minutes(10));
    let mut conn = db.owner().await?;
    let quiet: Vec<Quiet> = diesel::sql_query(
        "SELECT o.slug AS org, q.session_id, s.user_id, q.run_id, q.last_at, f.state
         FROM open_runs q
         JOIN orgs o ON o.id = q.org_id
         JOIN sessions s ON s.org_id = q.org_id AND s.session_id = q.session_id
         JOIN run_folds f ON f.org_id = q.org_id AND f.session_id = q.session_id AND f.run_id = q.run_id
         WHERE q.last_at < $1 ORDER BY q.last_at LIMIT $2",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<BigInt, _>(PER_LOOK)
    .load(&mut conn)
    .await?;
    drop(conn);
    let events: Vec<EventInput> = quiet.iter().map(finish).collect();
    if events.is_empty() {
        return Ok(0);
    }
    let outcome = ingest(db, &OrgScope::All, &events, now).await?;
    // A refused end (a suspended org, a run past retention) is not tried
    // again: left, it would come back every look and hold up the others.
    let mut conn = db.owner().await?;
    for r in &outcome.rejected {
        tracing::warn!(code = r.code, message = %r.message, "a quiet run's end was refused");
        let Some(q) = quiet.get(r.index) else {
            continue;
        };
        diesel::sql_query(
            "DELETE FROM open_runs q USING orgs o WHERE o.id = q.org_id AND o.slug = $1 \
             AND q.session_id = $2 AND q.run_id = $3",
        )
        .bind::<Text, _>(&q.org)
        .bind::<Text, _>(&q.session_id)
        .bind::<Text, _>(&q.run_id)
        .execute(&mut conn)
        .await?;
    }
    Ok(outcome.accepted)
}

fn finish(q: &Quiet) -> EventInput {
    let state: RunState = serde_json::from_value(q.state.clone()).unwrap_or_default();
    let failed: Option<ErrorCategory> = state.last_call.as_ref().and_then(|c| c.value);
    EventInput {
        event_id: Uuid::new_v5(
            &NAMESPACE,
            format!("{}\u{1f}{}\u{1f}{}", q.org, q.session_id, q.run_id).as_bytes(),
        ),
        org: q.org.clone(),
        event_type: EventType::RunFinished,
        occurred_at: q.last_at,
        session_id: q.session_id.clone(),
        user_id: q.user_id.clone(),
        run_id: Some(q.run_id.clone()),
        message: None,
        run: Some(RunInput {
            status: Some(if failed.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Succeeded
            }),
            error_category: failed,
            error_message: failed.map(|_| "its last model call failed".into()),
            ..RunInput::default()
        }),
        handoff: None,
        attributes: None,
        user: None,
        model_call: None,
        tool: None,
        code: None,
    }
}
