//! The fields of `User`: profile, role and access in the org, figures
//! over a range, cost against the org's median user, and sessions.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::member::Member;
use agentmon_core::storage::models::rollup::{self, Scope};
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::node::UserObject;
use super::stats::UserStats;
use crate::graphql::access::{authorize, authorize_user, in_org};
use crate::graphql::cached::{cached, org_key};
use crate::graphql::context::GqlResult;
use crate::graphql::enums::RoleValue;
use crate::graphql::kpis::{daily_points, DailyPoint, KpisObject};
use crate::graphql::ranges::DateRange;
use crate::graphql::sessions::filter::SessionFilterInput;
use crate::graphql::sessions::list::{list_sessions, SessionConnection};
use crate::graphql::sessions::order::SessionOrder;
use crate::graphql::trends::{cost_trend, CostTrendPoint};

impl UserObject {
    /// The user's role and access in the org, for its admins only: who may
    /// do what is theirs to read, not every manager's.
    async fn membership(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        authorize(ctx, &self.org, Capability::OrgAdmin).await?;
        self.member(ctx).await
    }
}

#[Object(name = "User")]
impl UserObject {
    async fn id(&self) -> &str {
        &self.row.user_id
    }
    async fn email(&self) -> Option<&str> {
        self.row.email.as_deref()
    }
    async fn name(&self) -> Option<&str> {
        self.row.name.as_deref()
    }
    /// The role that applies in this org: the one set in agentmon, else
    /// the one the user's last token claimed. ORG_ADMIN of the org and
    /// SUPER_ADMIN, like `roleSetBy`, `disabled` and `lastSeenAt`.
    async fn role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RoleValue>> {
        Ok(self
            .membership(ctx)
            .await?
            .and_then(|m| m.role())
            .map(Into::into))
    }
    /// Who set `role` in agentmon; null when it comes from the token.
    async fn role_set_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self
            .membership(ctx)
            .await?
            .filter(|m| m.role.is_some())
            .and_then(|m| m.set_by))
    }
    /// A disabled user's requests to this org are refused.
    async fn disabled(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.membership(ctx).await?.is_some_and(|m| m.disabled))
    }
    /// Last signed-in request (written every few seconds).
    async fn last_seen_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(self.membership(ctx).await?.and_then(|m| m.last_seen_at))
    }
    async fn first_seen_at(&self) -> Option<DateTime<Utc>> {
        self.row.first_seen_at
    }
    async fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_active_at
    }

    async fn stats(&self, ctx: &Context<'_>, range: DateRange) -> async_graphql::Result<UserStats> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let (from, to) = range.days().gql()?;
        let (org_id, user) = (self.org.id, self.row.user_id.as_str());
        let key = org_key(&self.org, "user-stats", from, to, user);
        let sums = cached(ctx, key, || async {
            in_org!(ctx, org_id, |tx| rollup::sums(
                tx,
                Scope::User(org_id, user),
                from,
                to
            )
            .await?)
        })
        .await?;
        Ok(UserStats::new(self.org.clone(), &self.row.user_id, sums))
    }

    async fn daily(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<Vec<DailyPoint>> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let (from, to) = range.days().gql()?;
        let (org_id, user) = (self.org.id, self.row.user_id.as_str());
        let days = in_org!(ctx, org_id, |tx| rollup::daily(
            tx,
            Scope::User(org_id, user),
            from,
            to
        )
        .await?)?;
        Ok(daily_points(days))
    }

    /// The user's Kpis over the range: every figure of the overview, the
    /// agents' model calls, tools, code and waste included.
    async fn kpis(&self, ctx: &Context<'_>, range: DateRange) -> async_graphql::Result<KpisObject> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let (from, to) = range.days().gql()?;
        let (org_id, user) = (self.org.id, self.row.user_id.as_str());
        let kpis = in_org!(ctx, org_id, |tx| rollup::kpis(
            tx,
            Scope::User(org_id, user),
            from,
            to
        )
        .await?)?;
        Ok(KpisObject(kpis))
    }

    /// The user's cost per day against the org's median user that day.
    #[graphql(complexity = 10)]
    async fn cost_trend(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<Vec<CostTrendPoint>> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let (from, to) = range.days().gql()?;
        cost_trend(ctx, &self.org, &self.row.user_id, from, to).await
    }

    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SessionFilterInput>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        order_by: Option<SessionOrder>,
    ) -> async_graphql::Result<SessionConnection> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let mut filter = filter.unwrap_or_default();
        filter.user_id = Some(self.row.user_id.clone());
        list_sessions(ctx, &self.org, filter, first, after, order_by).await
    }
}
