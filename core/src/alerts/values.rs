//! A rule's value: the overview's own figure for the rule's scope (the
//! org, a team's current members, a user) over the rule's window so far,
//! from the rollups (hours from the hourly rollups); minutes since the
//! scope's newest event; the org's dead letters now. Run in a transaction
//! bound to the org.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Double, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::prelude::ToPrimitive;

use super::rules::{Span, Window};
use crate::storage::models::alert_rule::Rule;
use crate::storage::models::org::Org;
use crate::storage::models::rollup::{self, Scope};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    CostUsd,
    Runs,
    FailedRuns,
    SuccessRate,
    DurationP95Ms,
    FailedModelCalls,
    FailedToolCalls,
    SilenceMinutes,
    DeadLetters,
}

impl Metric {
    pub fn parse(text: &str) -> Option<Metric> {
        Some(match text {
            "COST_USD" => Metric::CostUsd,
            "RUNS" => Metric::Runs,
            "FAILED_RUNS" => Metric::FailedRuns,
            "SUCCESS_RATE" => Metric::SuccessRate,
            "DURATION_P95_MS" => Metric::DurationP95Ms,
            "FAILED_MODEL_CALLS" => Metric::FailedModelCalls,
            "FAILED_TOOL_CALLS" => Metric::FailedToolCalls,
            "SILENCE_MINUTES" => Metric::SilenceMinutes,
            "DEAD_LETTERS" => Metric::DeadLetters,
            _ => return None,
        })
    }

    /// Whether the hourly rollups have it (an HOUR window of an org or a
    /// team).
    pub fn hourly(self) -> bool {
        matches!(
            self,
            Metric::CostUsd | Metric::Runs | Metric::FailedRuns | Metric::SuccessRate
        )
    }
}

pub fn window_of(text: &str) -> Window {
    match text {
        "HOUR" => Window::Hour,
        "WEEK" => Window::Week,
        "MONTH" => Window::Month,
        _ => Window::Day,
    }
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = Nullable<Double>)]
    v: Option<f64>,
}

/// The value of `rule` of `org` in `span` at `now`; none when there is
/// nothing to measure (a success rate without a finished run).
pub async fn value(
    conn: &mut AsyncPgConnection,
    org: &Org,
    rule: &Rule,
    span: &Span,
    now: DateTime<Utc>,
) -> Result<Option<f64>> {
    let Some(metric) = Metric::parse(&rule.metric) else {
        return Ok(None);
    };
    let scope = match (&rule.team_id, &rule.user_id) {
        (Some(team), _) => Scope::Team(org.id, *team),
        (None, Some(user)) => Scope::User(org.id, user.as_str()),
        (None, None) => Scope::Org(org.id),
    };
    match metric {
        Metric::DeadLetters => {
            let v: Value = diesel::sql_query(
                "SELECT count(*)::float8 AS v FROM dead_letters WHERE org_id = $1",
            )
            .bind::<SqlUuid, _>(org.id)
            .get_result(conn)
            .await?;
            return Ok(v.v);
        }
        Metric::SilenceMinutes => {
            let (filter, key) = match (&rule.team_id, &rule.user_id) {
                (Some(team), _) => (
                    "AND user_id IN (SELECT user_id FROM team_members WHERE org_id = $1 AND team_id::text = $3)",
                    team.to_string(),
                ),
                (None, Some(user)) => ("AND user_id = $3", user.clone()),
                (None, None) => ("AND $3 = $3", String::new()),
            };
            let v: Value = diesel::sql_query(format!(
                "SELECT (extract(epoch FROM ($2::timestamptz - max(last_event_at))) / 60)::float8 AS v \
                 FROM sessions WHERE org_id = $1 {filter}"
            ))
            .bind::<SqlUuid, _>(org.id)
            .bind::<diesel::sql_types::Timestamptz, _>(now)
            .bind::<Text, _>(key)
            .get_result(conn)
            .await?;
            return Ok(v.v.map(|m| m.max(0.0)));
        }
        _ => {}
    }
    if window_of(&rule.window) == Window::Hour {
        let team = rule.team_id;
        let points = crate::storage::models::hourly::points(
            conn,
            org.id,
            team,
            org.tz(),
            span.first_day,
            span.first_day,
        )
        .await?;
        let Some(p) = points.into_iter().find(|p| p.at == span.start) else {
            return Ok(None);
        };
        return Ok(match metric {
            Metric::CostUsd => p.cost_usd.to_f64(),
            Metric::Runs => Some(p.runs as f64),
            Metric::FailedRuns => Some(p.failed as f64),
            Metric::SuccessRate => crate::metrics::kpis::success_rate(p.succeeded, p.failed),
            _ => None,
        });
    }
    let today = now.with_timezone(&org.tz()).date_naive();
    let last = span.last_day.min(today);
    let k = rollup::kpis(conn, scope, span.first_day, last).await?;
    Ok(match metric {
        Metric::CostUsd => k.cost_usd.to_f64(),
        Metric::Runs => Some(k.runs as f64),
        Metric::FailedRuns => Some(k.failed_runs as f64),
        Metric::SuccessRate => k.success_rate,
        Metric::DurationP95Ms => k.duration_p95_ms,
        Metric::FailedModelCalls => Some(k.sums.failed_model_calls as f64),
        Metric::FailedToolCalls => Some(k.sums.failed_tool_calls as f64),
        Metric::SilenceMinutes | Metric::DeadLetters => None,
    })
}
