//! Users: `User`, `UserStats` and the users list of an org.

use agentmon_core::auth::policy::Capability;
use agentmon_core::metrics::kpis::Sums;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup::{self, Scope};
use agentmon_core::storage::models::user::UserRow;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::access::{authorize, authorize_user, in_org};
use super::cached::{cached, org_key};
use super::context::GqlResult;
use super::kpis::{daily_points, money, DailyPoint};
use super::loaders::UserLoader;
use super::ranges::DateRange;
use super::sessions::{list_sessions, SessionConnection, SessionFilterInput};

pub struct UserObject {
    pub org: Org,
    pub row: UserRow,
}

impl UserObject {
    /// A user known only by id (no row yet).
    pub fn bare(org: Org, user_id: &str) -> UserObject {
        let row = UserRow {
            org_id: org.id,
            user_id: user_id.to_string(),
            email: None,
            name: None,
            role: None,
            first_seen_at: None,
            last_active_at: None,
        };
        UserObject { org, row }
    }

    pub async fn load(
        ctx: &Context<'_>,
        org: &Org,
        user_id: &str,
    ) -> async_graphql::Result<UserObject> {
        let loader = ctx.data::<std::sync::Arc<DataLoader<UserLoader>>>()?;
        let row = loader
            .load_one((org.id, user_id.to_string()))
            .await
            .map_err(|e| e.again())
            .gql()?;
        Ok(match row {
            Some(row) => UserObject {
                org: org.clone(),
                row,
            },
            None => UserObject::bare(org.clone(), user_id),
        })
    }
}

impl UserObject {
    async fn member(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<agentmon_core::storage::models::member::Member>> {
        let loader = ctx.data::<std::sync::Arc<DataLoader<super::loaders::MemberLoader>>>()?;
        loader
            .load_one((self.org.id, self.row.user_id.clone()))
            .await
            .map_err(|e| e.again())
            .gql()
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
    /// the one the user's last token claimed.
    async fn role(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::enums::RoleValue>> {
        Ok(self
            .member(ctx)
            .await?
            .and_then(|m| m.role())
            .map(Into::into))
    }
    /// Who set `role` in agentmon; null when it comes from the token.
    async fn role_set_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self
            .member(ctx)
            .await?
            .filter(|m| m.role.is_some())
            .and_then(|m| m.set_by))
    }
    /// A disabled user's requests to this org are refused.
    async fn disabled(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.member(ctx).await?.is_some_and(|m| m.disabled))
    }
    /// Last signed-in request (written every few seconds).
    async fn last_seen_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(self.member(ctx).await?.and_then(|m| m.last_seen_at))
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

    /// The user's cost per day against the org's median user that day.
    #[graphql(complexity = 10)]
    async fn cost_trend(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<Vec<super::trends::CostTrendPoint>> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let (from, to) = range.days().gql()?;
        super::trends::cost_trend(ctx, &self.org, &self.row.user_id, from, to).await
    }

    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SessionFilterInput>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        order_by: Option<super::session_order::SessionOrder>,
    ) -> async_graphql::Result<SessionConnection> {
        authorize_user(ctx, &self.org, &self.row.user_id).await?;
        let mut filter = filter.unwrap_or_default();
        filter.user_id = Some(self.row.user_id.clone());
        list_sessions(ctx, &self.org, filter, first, after, order_by).await
    }
}

/// A user's figures over a range.
pub struct UserStats {
    org: Org,
    user_id: String,
    sums: Sums,
}

impl UserStats {
    pub fn new(org: Org, user_id: &str, sums: Sums) -> UserStats {
        UserStats {
            org,
            user_id: user_id.to_string(),
            sums,
        }
    }
}

#[Object]
impl UserStats {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<UserObject> {
        UserObject::load(ctx, &self.org, &self.user_id).await
    }
    async fn sessions(&self) -> i32 {
        i32::try_from(self.sums.sessions).unwrap_or(i32::MAX)
    }
    async fn runs(&self) -> i32 {
        i32::try_from(self.sums.runs).unwrap_or(i32::MAX)
    }
    async fn avg_runs_per_session(&self) -> Option<f64> {
        self.sums.avg_runs_per_session()
    }
    async fn avg_active_time_ms(&self) -> Option<f64> {
        self.sums.avg_active_time_ms()
    }
    async fn local_handoff_rate(&self) -> Option<f64> {
        self.sums.local_handoff_rate()
    }
    async fn post_handoff_iteration_rate(&self) -> Option<f64> {
        self.sums.post_handoff_iteration_rate()
    }
    async fn success_rate(&self) -> Option<f64> {
        self.sums.success_rate()
    }
    async fn cost_usd(&self) -> String {
        money(self.sums.cost_usd)
    }
    async fn total_tokens(&self) -> f64 {
        self.sums.total_tokens() as f64
    }
}

#[derive(SimpleObject)]
pub struct UserStatsEdge {
    pub cursor: String,
    pub node: UserStats,
}

#[derive(SimpleObject)]
pub struct UserStatsConnection {
    pub edges: Vec<UserStatsEdge>,
    pub page_info: super::sessions::PageInfo,
    pub total_count: i32,
}

/// Users with any event in the range (of one team, when given), by runs
/// then id.
pub async fn list_users(
    ctx: &Context<'_>,
    org: &Org,
    team: Option<uuid::Uuid>,
    range: DateRange,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<UserStatsConnection> {
    authorize(ctx, org, Capability::People).await?;
    let (from, to) = range.days().gql()?;
    let first = super::sessions::page_size(first).gql()?;
    let after = after.as_deref().map(decode_user_cursor).transpose().gql()?;
    let org_id = org.id;
    let (rows, total) = in_org!(ctx, org_id, |tx| {
        let after = after.as_ref().map(|(runs, id)| (*runs, id.as_str()));
        let rows = rollup::user_sums(
            tx,
            org_id,
            team,
            from,
            to,
            "runs DESC, user_id ASC",
            after,
            first + 1,
        )
        .await?;
        let total = rollup::user_count(tx, org_id, team, from, to).await?;
        (rows, total)
    })?;
    let has_next_page = rows.len() as i64 > first;
    let edges: Vec<UserStatsEdge> = rows
        .into_iter()
        .take(first as usize)
        .map(|r| {
            let sums = r.sums();
            UserStatsEdge {
                cursor: encode_user_cursor(sums.runs, &r.user_id),
                node: UserStats::new(org.clone(), &r.user_id, sums),
            }
        })
        .collect();
    Ok(UserStatsConnection {
        page_info: super::sessions::PageInfo {
            has_next_page,
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

fn encode_user_cursor(runs: i64, user_id: &str) -> String {
    super::sessions::encode_cursor(&serde_json::json!([runs, user_id]))
}

fn decode_user_cursor(cursor: &str) -> Result<(i64, String), agentmon_core::Error> {
    let value = super::sessions::decode_cursor(cursor)?;
    match (value[0].as_i64(), value[1].as_str()) {
        (Some(runs), Some(id)) => Ok((runs, id.to_string())),
        _ => Err(agentmon_core::Error::BadUserInput(
            "after is not a cursor of this list".into(),
        )),
    }
}
