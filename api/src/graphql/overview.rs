//! An org's overview over a range of days: Kpis, daily points, top users.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup::{self, Scope};
use async_graphql::{Context, Object};
use chrono::NaiveDate;

use agentmon_core::metrics::kpis::{Kpis, Sums};

use super::access::{authorize, in_org};
use super::cached::{cached, org_key};
use super::kpis::{daily_points, DailyPoint, KpisObject};
use super::users::stats::UserStats;

/// An org's Kpis over `from..=to`, through the cache (shared by the org
/// overview and the global overview's top orgs).
pub async fn org_kpis(
    ctx: &Context<'_>,
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<Kpis> {
    scoped_kpis(ctx, org, None, from, to).await
}

/// The Kpis of an org, or of one of its teams, through the cache.
async fn scoped_kpis(
    ctx: &Context<'_>,
    org: &Org,
    team: Option<TeamRef>,
    from: NaiveDate,
    to: NaiveDate,
) -> async_graphql::Result<Kpis> {
    let org_id = org.id;
    let scope = scope(org, team);
    cached(
        ctx,
        org_key(org, "kpis", from, to, &extra(team)),
        || async { in_org!(ctx, org_id, |tx| rollup::kpis(tx, scope, from, to).await?) },
    )
    .await
}

/// A team whose overview this is: its id and the version of its members
/// (a cached team figure keys on both).
#[derive(Debug, Clone, Copy)]
pub struct TeamRef {
    pub id: uuid::Uuid,
    pub version: i32,
}

fn scope(org: &Org, team: Option<TeamRef>) -> Scope<'static> {
    match team {
        Some(team) => Scope::Team(org.id, team.id),
        None => Scope::Org(org.id),
    }
}

fn extra(team: Option<TeamRef>) -> String {
    team.map(|t| format!("team:{}:{}", t.id, t.version))
        .unwrap_or_default()
}

/// Most users `topUsers` returns.
const MAX_TOP: i32 = 100;

/// One hour of a short range.
pub struct HourlyPointObject(pub agentmon_core::storage::models::hourly::HourlyPoint);

#[Object(name = "HourlyPoint")]
impl HourlyPointObject {
    /// The first instant of the hour.
    async fn at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.at
    }
    /// Sessions that started in the hour.
    async fn sessions(&self) -> i64 {
        self.0.sessions
    }
    /// Runs that finished in the hour.
    async fn runs(&self) -> i64 {
        self.0.runs
    }
    async fn succeeded_runs(&self) -> i64 {
        self.0.succeeded
    }
    async fn failed_runs(&self) -> i64 {
        self.0.failed
    }
    /// Cost of the runs that finished in the hour, exact.
    async fn cost_usd(&self) -> String {
        self.0.cost_usd.normalize().to_string()
    }
    /// Users with any projected event in the hour.
    async fn active_users(&self) -> i64 {
        self.0.active_users
    }
}

pub struct OrgOverview {
    pub org: Org,
    /// Figures over this team's current members instead of the whole org.
    pub team: Option<TeamRef>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[Object]
impl OrgOverview {
    async fn kpis(&self, ctx: &Context<'_>) -> async_graphql::Result<KpisObject> {
        Ok(KpisObject(
            scoped_kpis(ctx, &self.org, self.team, self.from, self.to).await?,
        ))
    }

    /// One point per day of the range, zeros included.
    async fn daily(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DailyPoint>> {
        let (org_id, from, to) = (self.org.id, self.from, self.to);
        let key = org_key(&self.org, "daily", from, to, &extra(self.team));
        let scope = scope(&self.org, self.team);
        let days = cached(ctx, key, || async {
            in_org!(ctx, org_id, |tx| rollup::daily(tx, scope, from, to).await?)
        })
        .await?;
        Ok(daily_points(days))
    }

    /// The range's run figures by model or by one of the org's breakdown
    /// keys: the top values by cost, the rest as "other", and the total.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        by: super::breakdowns::BreakdownBy,
        key: Option<String>,
        #[graphql(default = 10)] top: Option<i32>,
    ) -> async_graphql::Result<super::breakdowns::Breakdown> {
        if self.team.is_some() {
            return Err(agentmon_core::Error::BadUserInput(
                "breakdowns are of the whole org; ask the org's overview, not a team's".into(),
            )
            .into());
        }
        super::breakdowns::breakdown(
            ctx,
            &self.org,
            self.from,
            self.to,
            by,
            key,
            top.unwrap_or(10),
        )
        .await
    }

    /// The range's tool calls by tool, most used first (of the whole org).
    async fn tools(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] top: Option<i32>,
    ) -> async_graphql::Result<Vec<super::tools::ToolUsage>> {
        if self.team.is_some() {
            return Err(agentmon_core::Error::BadUserInput(
                "tools are of the whole org; ask the org's overview, not a team's".into(),
            )
            .into());
        }
        super::tools::tools(ctx, &self.org, self.from, self.to, top.unwrap_or(10)).await
    }

    /// One point per hour of a range of one or two days (in the org's time
    /// zone), empty hours included: what a chart of a short range draws.
    async fn hourly(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<HourlyPointObject>> {
        let (org_id, from, to) = (self.org.id, self.from, self.to);
        let (tz, team) = (self.org.tz(), self.team.map(|t| t.id));
        let points = in_org!(ctx, org_id, |tx| {
            agentmon_core::storage::models::hourly::points(tx, org_id, team, tz, from, to).await?
        })?;
        Ok(points.into_iter().map(HourlyPointObject).collect())
    }

    /// Active users per week (Monday to Sunday) of the range, the weeks at
    /// its ends cut to it.
    async fn weekly(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::trends::WeeklyPoint>> {
        let scope = scope(&self.org, self.team);
        super::trends::weekly(ctx, &self.org, scope, self.from, self.to).await
    }

    /// Members who used an agent, new and returning users, active users
    /// per month: of the org, or of the team's current members. MANAGER and
    /// up, like the people behind the figures.
    async fn adoption(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<super::adoption::AdoptionObject> {
        authorize(ctx, &self.org, Capability::People).await?;
        let scope = scope(&self.org, self.team);
        super::adoption::AdoptionObject::load(ctx, &self.org, scope, self.from, self.to).await
    }

    /// By runs, then cost.
    #[graphql(complexity = "limit.unwrap_or(10).clamp(0, MAX_TOP) as usize * child_complexity")]
    async fn top_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<UserStats>> {
        authorize(ctx, &self.org, Capability::People).await?;
        let limit = i64::from(limit.unwrap_or(10).clamp(0, MAX_TOP));
        let (org_id, from, to) = (self.org.id, self.from, self.to);
        let extra = format!("{limit}:{}", extra(self.team));
        let key = org_key(&self.org, "top-users", from, to, &extra);
        let team = self.team.map(|t| t.id);
        let rows: Vec<(String, Sums)> = cached(ctx, key, || async {
            in_org!(ctx, org_id, |tx| {
                let order = "runs DESC, cost_usd DESC, user_id ASC";
                let rows =
                    rollup::user_sums(tx, org_id, team, from, to, order, None, limit).await?;
                rows.iter()
                    .map(|r| (r.user_id.clone(), r.sums()))
                    .collect::<Vec<_>>()
            })
        })
        .await?;
        Ok(rows
            .iter()
            .map(|(user, sums)| UserStats::new(self.org.clone(), user, *sums))
            .collect())
    }
}
