//! Kpis computed straight from the raw events (through the independent
//! fold of the projection tests), for any org or user and any range.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::projection::model::{nearest_rank, Expected};
use crate::projection::stream::{Ev, ORGS};

pub struct Scope<'a> {
    pub org: Option<&'a str>,
    pub user: Option<&'a str>,
    /// Only these users (a team's members).
    pub users: Option<&'a [String]>,
}

fn tz(org: &str) -> Tz {
    ORGS.iter()
        .find(|(s, _)| *s == org)
        .map_or(Tz::UTC, |(_, t)| t.parse().unwrap_or(Tz::UTC))
}

fn ratio(n: f64, d: f64) -> Value {
    if d == 0.0 {
        Value::Null
    } else {
        json!(n / d)
    }
}

fn cost(nanos: i64) -> String {
    let s = format!("{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The `Kpis` a query over `from..=to` must answer, as JSON.
pub fn kpis(exp: &Expected, events: &[Ev], scope: &Scope, from: NaiveDate, to: NaiveDate) -> Value {
    let in_scope = |org: &str, user: &str| {
        scope.org.is_none_or(|o| o == org)
            && scope.user.is_none_or(|u| u == user)
            && scope.users.is_none_or(|us| us.iter().any(|u| u == user))
    };
    let in_range = |d: NaiveDate| d >= from && d <= to;

    let active: BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| {
            in_scope(e.org, &e.user) && in_range(e.at.with_timezone(&tz(e.org)).date_naive())
        })
        .map(|e| (e.org.to_string(), e.user.clone()))
        .collect();

    let sessions: Vec<_> = exp
        .sessions
        .iter()
        .filter(|((org, _), s)| {
            in_scope(org, &s.user) && in_range(s.started_at.with_timezone(&tz(org)).date_naive())
        })
        .map(|(_, s)| s)
        .collect();
    let runs: Vec<_> = exp
        .runs
        .iter()
        .filter(|((org, _), r)| {
            in_scope(org, &r.user) && r.status != "RUNNING" && r.day.is_some_and(in_range)
        })
        .map(|(_, r)| r)
        .collect();
    let count = |status: &str| runs.iter().filter(|r| r.status == status).count() as f64;
    let (succeeded, failed, cancelled) = (count("SUCCEEDED"), count("FAILED"), count("CANCELLED"));
    let durations: Vec<i64> = runs.iter().filter_map(|r| r.duration).collect();
    let n = sessions.len() as f64;
    let handed = sessions.iter().filter(|s| s.handed_off).count() as f64;
    let categories: Vec<Value> = ["TOOL", "MODEL", "TIMEOUT", "OTHER"]
        .iter()
        .map(|c| json!({ "category": c, "count": runs.iter().filter(|r| r.category.as_deref() == Some(c)).count() }))
        .collect();
    json!({
        "activeUsers": active.len(),
        "sessions": sessions.len(),
        "runs": runs.len(),
        "succeededRuns": succeeded,
        "failedRuns": failed,
        "cancelledRuns": cancelled,
        "successRate": ratio(succeeded, succeeded + failed),
        "costUsd": cost(runs.iter().map(|r| r.cost_nanos).sum()),
        "inputTokens": runs.iter().map(|r| r.input).sum::<i64>() as f64,
        "outputTokens": runs.iter().map(|r| r.output).sum::<i64>() as f64,
        "avgRunsPerSession": ratio(sessions.iter().map(|s| s.run_count).sum::<i64>() as f64, n),
        "avgActiveTimeMs": ratio(sessions.iter().map(|s| s.active_ms).sum::<i64>() as f64, n),
        "localHandoffRate": ratio(handed, n),
        "postHandoffIterationRate": ratio(sessions.iter().filter(|s| s.iterated).count() as f64, handed),
        "durationP50Ms": nearest_rank(&durations, 0.5),
        "durationP95Ms": nearest_rank(&durations, 0.95),
        "durationP99Ms": nearest_rank(&durations, 0.99),
        "errorsByCategory": categories,
    })
}

pub const KPI_FIELDS: &str = "activeUsers sessions runs succeededRuns failedRuns cancelledRuns successRate \
  costUsd inputTokens outputTokens avgRunsPerSession avgActiveTimeMs localHandoffRate \
  postHandoffIterationRate durationP50Ms durationP95Ms durationP99Ms errorsByCategory { category count }";

/// Compares answered Kpis with expected ones: exact, but floats to 1e-9
/// relative and percentiles to the sketch's 1 %.
pub fn assert_kpis(got: &Value, want: &Value, context: &str) {
    let (Some(got_fields), Some(want_fields)) = (got.as_object(), want.as_object()) else {
        panic!("{context}: not Kpis: {got}");
    };
    for (field, w) in want_fields {
        let g = &got_fields[field];
        let tolerance = if field.starts_with("duration") {
            0.01
        } else {
            1e-9
        };
        match (g.as_f64(), w.as_f64()) {
            (Some(a), Some(b)) => assert!(
                (a - b).abs() <= b.abs() * tolerance + 1e-9,
                "{context}: {field} is {a}, expected {b}"
            ),
            _ => assert_eq!(g, w, "{context}: {field}"),
        }
    }
}
