//! `Org.alertValue`: what a rule would read now — a metric of the org, a
//! team or a user in the current window — so the form shows the scope's
//! value beside the threshold before the rule exists. MANAGER and up.

use agentmon_core::alerts::values::{value, window_of, Watched};
use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::team;
use agentmon_core::Error;
use async_graphql::{Context, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::access::{authorize, in_org};
use super::alert_rules::{check_scope, stored, AlertMetric, AlertWindow};
use super::context::GqlResult;

#[derive(SimpleObject)]
pub struct AlertValue {
    /// The metric's value in the window so far; null when there is nothing
    /// to measure (a success rate without a finished run).
    pub value: Option<f64>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

pub async fn of(
    ctx: &Context<'_>,
    org: &Org,
    metric: AlertMetric,
    window: AlertWindow,
    team_id: Option<ID>,
    user_id: Option<String>,
) -> async_graphql::Result<AlertValue> {
    authorize(ctx, org, Capability::People).await?;
    check_scope(metric, window, team_id.is_some(), user_id.is_some()).gql()?;
    let user_id = user_id
        .as_deref()
        .map(crate::actions::input::user_id)
        .transpose()
        .gql()?;
    let not_found = |t: &ID| Error::NotFound(format!("teamId: no team {} in this org", t.as_str()));
    let team_id = team_id
        .as_ref()
        .map(|t| t.parse::<Uuid>().map_err(|_| not_found(t)))
        .transpose()
        .gql()?;
    let now = Utc::now();
    let span = window_of(stored(window)).span(now, org.tz());
    let watched = Watched {
        metric: metric.into(),
        window: window_of(stored(window)),
        team_id,
        user_id,
    };
    let org_id = org.id;
    let found = in_org!(ctx, org_id, |tx| {
        match team_id {
            Some(id) if team::get(tx, org_id, id).await?.is_none() => None,
            _ => Some(value(tx, org, &watched, &span, now).await?),
        }
    })?;
    let Some(value) = found else {
        let t = ID(team_id.map(|t| t.to_string()).unwrap_or_default());
        return Err(not_found(&t)).gql();
    };
    Ok(AlertValue {
        value,
        window_start: span.start,
        window_end: span.end,
    })
}
