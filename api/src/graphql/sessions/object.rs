//! `Session`: one session's figures, its runs and its timeline.

use agentmon_core::storage::models::event;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::run;
use agentmon_core::storage::models::session::SessionRow;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::run::RunObject;
use super::timeline::{self, TimelineConnection, TimelineEvent};
use crate::graphql::access::in_org;
use crate::graphql::context::GqlResult;
use crate::graphql::kpis::money;
use crate::graphql::loaders::Loaders;
use crate::graphql::paging::{page_size, List, LISTED};
use crate::graphql::users::node::UserObject;

pub struct SessionObject {
    pub org: Org,
    pub row: SessionRow,
}

#[Object(name = "Session")]
impl SessionObject {
    async fn id(&self) -> &str {
        &self.row.session_id
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<UserObject> {
        UserObject::load(ctx, &self.org, &self.row.user_id).await
    }
    /// What a person calls the session: its first user message, on one
    /// line, cut to 120 characters with "…"; null when it has none.
    async fn title(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let loader = Loaders::of(ctx)?.titles();
        Ok(loader
            .load_one((self.org.id, self.row.session_id.clone()))
            .await?)
    }

    /// Earliest event.
    async fn started_at(&self) -> DateTime<Utc> {
        self.row.started_at
    }
    /// Latest event.
    async fn last_event_at(&self) -> DateTime<Utc> {
        self.row.last_event_at
    }
    async fn message_count(&self) -> i32 {
        self.row.message_count
    }
    /// Runs started or finished in this session.
    async fn run_count(&self) -> i32 {
        self.row.run_count
    }
    async fn succeeded_runs(&self) -> i32 {
        self.row.succeeded_runs
    }
    async fn failed_runs(&self) -> i32 {
        self.row.failed_runs
    }
    async fn cancelled_runs(&self) -> i32 {
        self.row.cancelled_runs
    }
    async fn cost_usd(&self) -> String {
        money(self.row.cost_usd)
    }
    async fn input_tokens(&self) -> f64 {
        self.row.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.row.output_tokens as f64
    }
    async fn active_time_ms(&self) -> f64 {
        self.row.active_time_ms as f64
    }
    async fn handed_off(&self) -> bool {
        self.row.handed_off
    }
    async fn iterated_after_handoff(&self) -> bool {
        self.row.iterated_after_handoff
    }
    /// The producing agent, e.g. "claude-code", "codex": the attribute
    /// `agent`, which the OpenTelemetry receiver sets from `service.name`.
    async fn agent(&self) -> Option<&str> {
        self.row.agent.as_deref()
    }
    async fn model_calls(&self) -> i32 {
        self.row.model_calls
    }
    async fn cache_read_tokens(&self) -> f64 {
        self.row.cache_read_tokens as f64
    }
    async fn cache_creation_tokens(&self) -> f64 {
        self.row.cache_creation_tokens as f64
    }
    async fn tool_calls(&self) -> i32 {
        self.row.tool_calls
    }
    async fn failed_tool_calls(&self) -> i32 {
        self.row.failed_tool_calls
    }
    async fn lines_added(&self) -> f64 {
        self.row.lines_added as f64
    }
    async fn lines_removed(&self) -> f64 {
        self.row.lines_removed as f64
    }
    /// Merged attributes of its events, last write wins.
    async fn attributes(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.row.attributes.clone())
    }
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn runs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RunObject>> {
        let (org_id, id) = (self.org.id, self.row.session_id.as_str());
        let rows = in_org!(ctx, org_id, |tx| run::of_session(tx, org_id, id).await?)?;
        Ok(rows.into_iter().map(RunObject).collect())
    }
    /// Every stored event, by occurredAt then eventId. A long session
    /// (an agent's own telemetry makes thousands) is read in pages with
    /// `events`.
    #[graphql(complexity = "LISTED * child_complexity")]
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEvent>> {
        let (org_id, id) = (self.org.id, self.row.session_id.as_str());
        let events = in_org!(ctx, org_id, |tx| event::timeline(tx, org_id, id).await?)?;
        Ok(events.into_iter().map(TimelineEvent::from).collect())
    }
    /// The timeline a page at a time (at most 200 events), by occurredAt
    /// then eventId; `after` is a page's `endCursor`.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<TimelineConnection> {
        let first = page_size(List::Items, first).gql()?;
        let after = timeline::position(after).gql()?;
        let (org_id, id) = (self.org.id, self.row.session_id.as_str());
        let events = in_org!(ctx, org_id, |tx| event::timeline_page(
            tx,
            org_id,
            id,
            after,
            first + 1
        )
        .await?)?;
        Ok(timeline::connection(events, first))
    }
}
