//! Dead letters (SUPER_ADMIN): events the projectors could not take, with
//! their error and attempts, and `retryDeadLetters` to queue them again.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::models::dead_letter::{self, DeadLetter};
use agentmon_core::Error;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::actions;
use crate::graphql::context::{db, GqlResult, RequestContext};
use crate::graphql::paging::{page_size, List, PageInfo};

pub struct DeadLetterObject(pub DeadLetter);

#[Object(name = "DeadLetter")]
impl DeadLetterObject {
    async fn event_id(&self) -> Uuid {
        self.0.event_id
    }
    /// The org's slug.
    async fn org(&self) -> &str {
        &self.0.org
    }
    async fn session_id(&self) -> &str {
        &self.0.session_id
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn error(&self) -> &str {
        &self.0.error
    }
    async fn failed_at(&self) -> DateTime<Utc> {
        self.0.failed_at
    }
}

#[derive(SimpleObject)]
pub struct DeadLetterEdge {
    pub cursor: String,
    pub node: DeadLetterObject,
}

#[derive(SimpleObject)]
pub struct DeadLetterConnection {
    pub edges: Vec<DeadLetterEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

fn cursor(d: &DeadLetter) -> String {
    format!(
        "{}_{}_{}",
        d.failed_at.timestamp_micros(),
        d.org_id,
        d.event_id
    )
}

fn parse_cursor(after: &str) -> Result<dead_letter::After, Error> {
    let bad = || Error::BadUserInput("after is not a cursor of this list".into());
    let mut parts = after.splitn(3, '_');
    let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let org: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let event: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, org, event))
}

#[derive(Default)]
pub struct DeadLetterQuery;

#[Object]
impl DeadLetterQuery {
    /// SUPER_ADMIN: dead letters of one org (or all), newest first.
    async fn dead_letters(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<DeadLetterConnection> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let first = page_size(List::Items, first).gql()?;
        let after = after.as_deref().map(parse_cursor).transpose().gql()?;
        let org = crate::graphql::access::platform_org(ctx, org.as_deref())
            .await?
            .map(|o| o.id);
        let mut conn = db(ctx)?.owner().await.gql()?;
        let mut rows = dead_letter::page(&mut conn, org, after, first + 1)
            .await
            .gql()?;
        let total = dead_letter::count(&mut conn, org).await.gql()?;
        let more = rows.len() as i64 > first;
        rows.truncate(first as usize);
        Ok(DeadLetterConnection {
            page_info: PageInfo {
                has_next_page: more,
                end_cursor: rows.last().map(cursor),
            },
            edges: rows
                .into_iter()
                .map(|d| DeadLetterEdge {
                    cursor: cursor(&d),
                    node: DeadLetterObject(d),
                })
                .collect(),
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        })
    }
}

#[derive(Default)]
pub struct DeadLetterMutation;

#[Object]
impl DeadLetterMutation {
    /// SUPER_ADMIN: puts the dead letters of one org (or all) back on the
    /// queue; returns how many. A worker projects them (again failing ones
    /// come back here after their attempts).
    async fn retry_dead_letters(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
    ) -> async_graphql::Result<i32> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let found = crate::graphql::access::platform_org(ctx, org.as_deref()).await?;
        let n = actions::jobs::retry_dead_letters(db(ctx)?, viewer, found.as_ref())
            .await
            .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
