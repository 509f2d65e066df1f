//! Runs of a session: `RUNNING` until a `RUN_FINISHED` is stored; usage and
//! outcome from the finish; the duration from the finish's `durationMs`,
//! else finished − started when both exist.

use std::collections::BTreeMap;
use std::str::FromStr;

use agentmon_core::event::{ErrorCategory, EventType, RunStatus};
use agentmon_core::storage::models::event::StoredEvent;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::day::day_of;

#[derive(Debug, Clone, PartialEq)]
pub struct RunFold {
    pub run_id: String,
    pub status: RunStatus,
    pub model: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The day of `finished_at` in the org's time zone.
    pub day: Option<NaiveDate>,
    pub duration_ms: Option<i64>,
    pub error_category: Option<ErrorCategory>,
    pub error_message: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Decimal,
}

/// `sorted` holds the session's events by (occurredAt, eventId).
pub fn fold_runs(sorted: &[&StoredEvent], tz: Tz) -> BTreeMap<String, RunFold> {
    let mut starts: BTreeMap<&str, &StoredEvent> = BTreeMap::new();
    let mut finishes: BTreeMap<&str, &StoredEvent> = BTreeMap::new();
    for event in sorted {
        let Some(run_id) = event.run_id.as_deref() else {
            continue;
        };
        match event.event_type {
            // The earliest start and the latest finish win (in sorted order).
            EventType::RunStarted => {
                starts.entry(run_id).or_insert(event);
            }
            EventType::RunFinished => {
                finishes.insert(run_id, event);
            }
            _ => {}
        }
    }
    let ids: std::collections::BTreeSet<&str> =
        starts.keys().chain(finishes.keys()).copied().collect();
    ids.into_iter()
        .map(|id| {
            let run = fold_run(id, starts.get(id).copied(), finishes.get(id).copied(), tz);
            (id.to_string(), run)
        })
        .collect()
}

fn fold_run(
    id: &str,
    start: Option<&StoredEvent>,
    finish: Option<&StoredEvent>,
    tz: Tz,
) -> RunFold {
    let started_at = start.map(|e| e.occurred_at);
    let start_model = start
        .and_then(|e| e.payload.run.as_ref())
        .and_then(|r| r.model.clone());
    let mut run = RunFold {
        run_id: id.to_string(),
        status: RunStatus::Running,
        model: start_model.clone(),
        started_at,
        finished_at: None,
        day: None,
        duration_ms: None,
        error_category: None,
        error_message: None,
        input_tokens: 0,
        output_tokens: 0,
        cost: Decimal::ZERO,
    };
    let Some(finish) = finish else { return run };
    let usage = finish.payload.run.clone().unwrap_or_default();
    run.status = usage.status.unwrap_or(RunStatus::Succeeded);
    run.model = usage.model.clone().or(start_model);
    run.finished_at = Some(finish.occurred_at);
    run.day = Some(day_of(finish.occurred_at, tz));
    // A finish stamped before its start yields 0, not a negative duration.
    run.duration_ms = usage
        .duration_ms
        .map(i64::from)
        .or_else(|| started_at.map(|s| (finish.occurred_at - s).num_milliseconds().max(0)));
    if run.status == RunStatus::Failed {
        run.error_category = Some(usage.error_category.unwrap_or(ErrorCategory::Other));
        run.error_message = usage.error_message.clone();
    }
    run.input_tokens = usage.input_tokens.map(i64::from).unwrap_or(0);
    run.output_tokens = usage.output_tokens.map(i64::from).unwrap_or(0);
    // Validated at ingest; an unreadable cost counts as zero rather than
    // blocking the session.
    run.cost = usage
        .cost_usd
        .as_deref()
        .and_then(|c| Decimal::from_str(c).ok())
        .unwrap_or(Decimal::ZERO);
    run
}
