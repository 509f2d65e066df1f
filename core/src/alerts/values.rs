//! A rule's value: the overview's own figure for the rule's scope (the
//! org, a team's current members, a user) over the rule's window so far,
//! from the rollups (hours from the hourly rollups); minutes since the
//! scope's newest event; the org's dead letters now. Run in a transaction
//! bound to the org.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Double, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use super::rules::{Span, Window};
use crate::metrics::kpis::Kpis;
use crate::storage::models::alert_rule::Rule;
use crate::storage::models::hourly::HourlyPoint;
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

/// What a rule watches: a metric of the org, a team or a user over a
/// window.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'a> {
    pub metric: Metric,
    pub window: Window,
    pub team_id: Option<Uuid>,
    pub user_id: Option<&'a str>,
}

impl<'a> Watched<'a> {
    /// What `rule` watches; none for a metric this build does not know.
    pub fn of(rule: &'a Rule) -> Option<Watched<'a>> {
        Some(Watched {
            metric: Metric::parse(&rule.metric)?,
            window: window_of(&rule.window),
            team_id: rule.team_id,
            user_id: rule.user_id.as_deref(),
        })
    }
}

/// The value of what is `watched` in `org` in `span` at `now`; none when
/// there is nothing to measure (a success rate without a finished run).
pub async fn value(
    conn: &mut AsyncPgConnection,
    org: &Org,
    watched: &Watched<'_>,
    span: &Span,
    now: DateTime<Utc>,
) -> Result<Option<f64>> {
    Reads::default().value(conn, org, watched, span, now).await
}

/// The rollups read by one evaluation: rules on the same scope and days
/// (a user's daily budget, success rate and failed runs; the hourly rules
/// of the org or a team) share one read.
#[derive(Default)]
pub struct Reads {
    kpis: HashMap<(Option<Uuid>, Option<String>, NaiveDate, NaiveDate), Kpis>,
    /// The hours of a day of the org (no team) or of a team.
    hours: HashMap<(Option<Uuid>, NaiveDate), Vec<HourlyPoint>>,
}

impl Reads {
    /// [`value`], sharing what this evaluation has read already.
    pub async fn value(
        &mut self,
        conn: &mut AsyncPgConnection,
        org: &Org,
        watched: &Watched<'_>,
        span: &Span,
        now: DateTime<Utc>,
    ) -> Result<Option<f64>> {
        let metric = watched.metric;
        let scope = match (watched.team_id, watched.user_id) {
            (Some(team), _) => Scope::Team(org.id, team),
            (None, Some(user)) => Scope::User(org.id, user),
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
                let (filter, key) = match (watched.team_id, watched.user_id) {
                (Some(team), _) => (
                    "AND user_id IN (SELECT user_id FROM team_members WHERE org_id = $1 AND team_id::text = $3)",
                    team.to_string(),
                ),
                (None, Some(user)) => ("AND user_id = $3", user.to_string()),
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
        if watched.window == Window::Hour {
            let key = (watched.team_id, span.first_day);
            let points = match self.hours.get(&key) {
                Some(points) => points,
                None => {
                    let points = crate::storage::models::hourly::points(
                        conn,
                        org.id,
                        watched.team_id,
                        org.tz(),
                        span.first_day,
                        span.first_day,
                    )
                    .await?;
                    self.hours.entry(key).or_insert(points)
                }
            };
            let Some(p) = points.iter().find(|p| p.at == span.start) else {
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
        let key = (
            watched.team_id,
            watched.user_id.map(str::to_string),
            span.first_day,
            last,
        );
        let k = match self.kpis.get(&key) {
            Some(k) => k,
            None => {
                let k = rollup::kpis(conn, scope, span.first_day, last).await?;
                self.kpis.entry(key).or_insert(k)
            }
        };
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
}
