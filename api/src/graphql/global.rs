//! The global overview (SUPER_ADMIN): every org, each on its own days.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::models::org::{self, Org};
use agentmon_core::storage::models::rollup::{self, Scope};
use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;

use super::cached::{cached, global_key};
use super::context::{db, GqlResult, RequestContext};
use super::kpis::{daily_points, DailyPoint, KpisObject};
use super::orgs::OrgObject;
use super::overview::org_kpis;
use super::ranges::DateRange;

#[derive(Default)]
pub struct GlobalQuery;

#[Object]
impl GlobalQuery {
    /// SUPER_ADMIN only.
    async fn global_overview(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<GlobalOverview> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let (from, to) = range.days().gql()?;
        let mut conn = db(ctx)?.app().await.gql()?;
        let epoch = org::epoch_sum(&mut conn).await.gql()?;
        Ok(GlobalOverview { from, to, epoch })
    }
}

pub struct GlobalOverview {
    from: NaiveDate,
    to: NaiveDate,
    /// The global epoch (the sum of the orgs'), read once per request.
    epoch: i64,
}

#[derive(SimpleObject)]
pub struct OrgStats {
    pub org: OrgObject,
    pub kpis: KpisObject,
}

#[Object]
impl GlobalOverview {
    /// Across all orgs.
    async fn kpis(&self, ctx: &Context<'_>) -> async_graphql::Result<KpisObject> {
        let key = global_key(self.epoch, "kpis", self.from, self.to, "");
        let kpis = cached(ctx, key, || async {
            let mut conn = db(ctx)?.app().await.gql()?;
            rollup::kpis(&mut conn, Scope::Global, self.from, self.to)
                .await
                .gql()
        })
        .await?;
        Ok(KpisObject(kpis))
    }

    async fn daily(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DailyPoint>> {
        let key = global_key(self.epoch, "daily", self.from, self.to, "");
        let days = cached(ctx, key, || async {
            let mut conn = db(ctx)?.app().await.gql()?;
            rollup::daily(&mut conn, Scope::Global, self.from, self.to)
                .await
                .gql()
        })
        .await?;
        Ok(daily_points(days))
    }

    /// By cost, then runs.
    async fn top_orgs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] limit: Option<i32>,
    ) -> async_graphql::Result<Vec<OrgStats>> {
        let mut conn = db(ctx)?.app().await.gql()?;
        let ids = rollup::top_orgs(
            &mut conn,
            self.from,
            self.to,
            i64::from(limit.unwrap_or(10).clamp(0, 100)),
        )
        .await
        .gql()?;
        let orgs: Vec<Org> = org::all(&mut conn).await.gql()?;
        drop(conn);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(o) = orgs.iter().find(|o| o.id == id) else {
                continue;
            };
            // The same cached figure the org's own overview shows.
            let kpis = org_kpis(ctx, o, self.from, self.to).await?;
            out.push(OrgStats {
                org: OrgObject(o.clone()),
                kpis: KpisObject(kpis),
            });
        }
        Ok(out)
    }
}
