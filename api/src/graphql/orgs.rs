//! Orgs: `Org` with everything reached through it, listing the viewer's
//! orgs and opening one.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::org::{self, Org};
use agentmon_core::storage::models::user;
use agentmon_core::Error;
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::access::{authorize, find_org, in_org, Access};
use super::admin::audit::AuditConnection;
use super::admin::keys::ApiKeyObject;
use super::admin::lifecycle::ErasureObject;
use super::context::{db, GqlResult, RequestContext};
use super::overview::OrgOverview;
use super::paging::LISTED;
use super::ranges::DateRange;
use super::sessions::filter::SessionFilterInput;
use super::sessions::list::{find_session, list_sessions, SessionConnection};
use super::sessions::object::SessionObject;
use super::sessions::order::SessionOrder;
use super::teams::{self, TeamObject};
use super::users::node::UserObject;
use super::users::search::matching_users;
use super::users::stats::{list_users, UserStatsConnection};

pub struct OrgObject(pub Org);

#[Object(name = "Org")]
impl OrgObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> super::enums::OrgStatusValue {
        self.0.status().into()
    }
    /// IANA name; the org's days are counted in it.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    /// Days of data the org keeps.
    async fn retention_days(&self) -> i32 {
        self.0.retention_days
    }

    /// The attribute keys the org's figures are broken down by (up to five).
    async fn breakdown_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        authorize(ctx, &self.0, Capability::OrgOverview).await?;
        let org_id = self.0.id;
        in_org!(ctx, org_id, |tx| {
            agentmon_core::storage::models::breakdown::keys(tx, org_id).await?
        })
    }

    /// MANAGER and up: the org's alert rules and budgets.
    async fn alert_rules(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::alert_rules::AlertRuleObject>> {
        super::alert_rules::of_org(ctx, &self.0).await
    }

    /// MANAGER and up: what a rule on this metric, window and scope (the
    /// org, `teamId` or `userId`) reads now.
    async fn alert_value(
        &self,
        ctx: &Context<'_>,
        metric: super::alert_rules::AlertMetric,
        window: super::alert_rules::AlertWindow,
        team_id: Option<ID>,
        user_id: Option<String>,
    ) -> async_graphql::Result<super::alert_value::AlertValue> {
        super::alert_value::of(ctx, &self.0, metric, window, team_id, user_id).await
    }

    /// MANAGER and up: the state changes of its rules, newest first, with
    /// their deliveries.
    async fn alert_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::alert_notifications::AlertNotificationConnection> {
        super::alert_notifications::page(ctx, &self.0, first, after).await
    }

    /// ORG_ADMIN of this org and SUPER_ADMIN: where its alerts are sent.
    async fn alert_channels(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::alerts::AlertChannel>> {
        super::alerts::of_org(ctx, &self.0).await
    }

    /// ORG_ADMIN of this org and SUPER_ADMIN: every user with a role in
    /// this org (signed in, or set here).
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UserObject>> {
        super::admin::members::of_org(ctx, &self.0).await
    }

    /// ORG_ADMIN of this org and SUPER_ADMIN: receipts of user erasures, newest first.
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn erasures(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ErasureObject>> {
        super::admin::lifecycle::of_org(ctx, &self.0).await
    }

    /// Every role that may read the org's overview.
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn teams(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TeamObject>> {
        teams::of_org(ctx, &self.0).await
    }

    async fn team(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<TeamObject>> {
        teams::one(ctx, &self.0, &id).await
    }

    /// ORG_ADMIN of this org and SUPER_ADMIN.
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKeyObject>> {
        super::admin::keys::of_org(ctx, &self.0).await
    }

    /// ORG_ADMIN of this org and SUPER_ADMIN; newest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditConnection> {
        super::admin::audit::of_org(ctx, &self.0, first, after).await
    }

    /// When the newest projected event of the org happened: how fresh its figures are.
    async fn last_event_at(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        authorize(ctx, &self.0, Capability::OrgOverview).await?;
        let org_id = self.0.id;
        in_org!(ctx, org_id, |tx| {
            agentmon_core::storage::models::session::newest_event(tx, org_id).await?
        })
    }

    async fn overview(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
    ) -> async_graphql::Result<OrgOverview> {
        authorize(ctx, &self.0, Capability::OrgOverview).await?;
        let (from, to) = range.days().gql()?;
        Ok(OrgOverview {
            org: self.0.clone(),
            team: None,
            from,
            to,
        })
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
        list_sessions(
            ctx,
            &self.0,
            filter.unwrap_or_default(),
            first,
            after,
            order_by,
        )
        .await
    }

    async fn session(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<SessionObject>> {
        find_session(ctx, &self.0, &id).await
    }

    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        range: DateRange,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<UserStatsConnection> {
        list_users(ctx, &self.0, None, range, first, after).await
    }

    /// MANAGER and up: users whose id starts with `text` or whose name or
    /// email holds it (any case), the exact id first, then the most
    /// recently active.
    #[graphql(complexity = "first.max(0) as usize * child_complexity")]
    async fn user_search(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<Vec<UserObject>> {
        matching_users(ctx, &self.0, &text, first).await
    }

    /// A user of this org; FORBIDDEN when the viewer may not see them.
    async fn user(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<UserObject>> {
        let viewer = authorize(ctx, &self.0, Capability::OwnSessions).await?;
        if viewer.sub != id {
            authorize(ctx, &self.0, Capability::People).await?;
        }
        let org_id = self.0.id;
        let row = in_org!(ctx, org_id, |tx| user::by_id(tx, org_id, &id).await?)?;
        Ok(row.map(|row| UserObject {
            org: self.0.clone(),
            row,
        }))
    }
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// The viewer's org; every org for SUPPORT and SUPER_ADMIN.
    async fn orgs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrgObject>> {
        let user = RequestContext::of(ctx)?.user().gql()?;
        let mut conn = db(ctx)?.app().await.gql()?;
        let orgs = match (&user.org, user.role.is_cross_org()) {
            (_, true) => org::all(&mut conn).await.gql()?,
            (Some(slug), false) => org::by_slug(&mut conn, slug)
                .await
                .gql()?
                .into_iter()
                .collect(),
            (None, false) => Vec::new(),
        };
        Ok(orgs.into_iter().map(OrgObject).collect())
    }

    /// One org by slug: a FORBIDDEN error when the viewer may not see it,
    /// null when it does not exist.
    async fn org(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> async_graphql::Result<Option<OrgObject>> {
        let user = RequestContext::of(ctx)?.user().gql()?;
        if !user.may_see_org(&slug) {
            return Err(Error::Forbidden(format!(
                "your token is for org {:?}; you may not see org {slug:?}",
                user.org.as_deref().unwrap_or_default()
            )))
            .gql();
        }
        let request = RequestContext::of(ctx)?;
        match find_org(
            db(ctx)?,
            &request.audited,
            user,
            &slug,
            Capability::OwnSessions,
            Access::Query,
        )
        .await
        {
            Ok(found) => Ok(Some(OrgObject(found))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e).gql(),
        }
    }
}
