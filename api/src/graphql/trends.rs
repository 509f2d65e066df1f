//! Trends a manager asks for: active users per week, and a user's cost per
//! day against the org's median user.

use agentmon_core::storage::models::cost_trend::{self, CostPoint};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup::{self, Scope};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{Datelike, Duration, NaiveDate};

use super::access::in_org;
use super::cached::{cached, org_key};
use super::kpis::money;
use super::scalars::Date;

/// A week (Monday to Sunday) of a range, cut to the range at its ends.
#[derive(SimpleObject)]
pub struct WeeklyPoint {
    /// The first day of the week inside the range.
    pub from: Date,
    /// The last day of the week inside the range.
    pub to: Date,
    /// Days of the week inside the range (7 but at the range's ends).
    pub days: i32,
    /// Distinct users with any event on those days.
    pub active_users: i32,
}

/// Every week touching `from..=to`, weeks without activity as zeros.
pub async fn weekly(
    ctx: &Context<'_>,
    org: &Org,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<Vec<WeeklyPoint>> {
    let org_id = org.id;
    let mut counts = in_org!(ctx, org_id, |tx| rollup::weekly_active_users(
        tx, scope, from, to
    )
    .await?)?;
    let mut weeks = Vec::new();
    let mut monday = from - Duration::days(i64::from(from.weekday().num_days_from_monday()));
    while monday <= to {
        let (start, end) = (monday.max(from), (monday + Duration::days(6)).min(to));
        weeks.push(WeeklyPoint {
            from: Date(start),
            to: Date(end),
            days: (end - start).num_days() as i32 + 1,
            active_users: counts.remove(&monday).unwrap_or(0) as i32,
        });
        monday += Duration::days(7);
    }
    Ok(weeks)
}

/// A day of a user's cost beside the org's median user.
pub struct CostTrendPoint(pub CostPoint);

#[Object(name = "CostTrendPoint")]
impl CostTrendPoint {
    async fn date(&self) -> Date {
        Date(self.0.day)
    }
    /// The user's cost of runs finished on the day; decimal string, exact.
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
    /// Whether the user had any event on the day.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The median of the day's cost over the org's users with any event
    /// that day (exact; the mean of the middle two for an even count); null
    /// when no user was active.
    async fn org_median_cost_usd(&self) -> Option<String> {
        self.0.org_median_usd.map(money)
    }
    /// Users of the org with any event on the day.
    async fn active_users(&self) -> i32 {
        i32::try_from(self.0.active_users).unwrap_or(i32::MAX)
    }
}

/// One point per day of the range for `user`.
pub async fn cost_trend(
    ctx: &Context<'_>,
    org: &Org,
    user: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<Vec<CostTrendPoint>> {
    let org_id = org.id;
    let medians = cached(ctx, org_key(org, "cost-medians", from, to, ""), || async {
        in_org!(ctx, org_id, |tx| cost_trend::medians(tx, org_id, from, to)
            .await?)
    })
    .await?;
    let points = in_org!(ctx, org_id, |tx| cost_trend::points(
        tx, org_id, user, from, to, &medians
    )
    .await?)?;
    Ok(points.into_iter().map(CostTrendPoint).collect())
}
