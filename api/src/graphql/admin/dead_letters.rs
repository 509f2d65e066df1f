//! Dead letters (SUPER_ADMIN): events the projectors could not take, with
//! their error and attempts, and `retryDeadLetters` to queue them again.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::models::audit;
use agentmon_core::Error;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::super::context::{db, GqlResult, RequestContext};
use super::super::sessions::PageInfo;

const MAX_PAGE: i32 = 200;

#[derive(diesel::QueryableByName, SimpleObject, Clone)]
pub struct DeadLetter {
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    /// The org's slug.
    #[diesel(sql_type = Text)]
    pub org: String,
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub error: String,
    #[diesel(sql_type = Timestamptz)]
    pub failed_at: DateTime<Utc>,
    #[graphql(skip)]
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
}

#[derive(SimpleObject)]
pub struct DeadLetterEdge {
    pub cursor: String,
    pub node: DeadLetter,
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

fn parse_cursor(after: &str) -> Result<(DateTime<Utc>, Uuid, Uuid), Error> {
    let bad = || Error::BadUserInput("after is not a cursor of this list".into());
    let mut parts = after.splitn(3, '_');
    let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let org: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let event: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, org, event))
}

/// The org a slug names, for SUPER_ADMIN lists; `NOT_FOUND` when none.
async fn org_id(ctx: &Context<'_>, slug: Option<&str>) -> async_graphql::Result<Option<Uuid>> {
    Ok(super::platform_org(ctx, slug).await?.map(|o| o.id))
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
        let first = first.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(Error::BadUserInput(format!(
                "first must be 1 to {MAX_PAGE}"
            )))
            .gql();
        }
        let after = after.as_deref().map(parse_cursor).transpose().gql()?;
        let org = org_id(ctx, org.as_deref()).await?;
        let mut conn = db(ctx)?.owner().await.gql()?;
        let mut rows: Vec<DeadLetter> = diesel::sql_query(
            "SELECT d.event_id, o.slug AS org, coalesce(e.session_id, '') AS session_id,
                    d.attempts, d.error, d.failed_at, d.org_id
             FROM dead_letters d JOIN orgs o ON o.id = d.org_id
             LEFT JOIN events e ON e.org_id = d.org_id AND e.occurred_at = d.occurred_at
                               AND e.event_id = d.event_id
             WHERE ($1::uuid IS NULL OR d.org_id = $1)
               AND ($2::timestamptz IS NULL OR (d.failed_at, d.org_id, d.event_id) < ($2, $3, $4))
             ORDER BY d.failed_at DESC, d.org_id DESC, d.event_id DESC LIMIT $5",
        )
        .bind::<Nullable<SqlUuid>, _>(org)
        .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
        .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
        .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.2))
        .bind::<BigInt, _>(i64::from(first) + 1)
        .load(&mut conn)
        .await
        .map_err(Error::from)
        .gql()?;
        #[derive(diesel::QueryableByName)]
        struct Total {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let total: Total = diesel::sql_query(
            "SELECT count(*) AS n FROM dead_letters WHERE $1::uuid IS NULL OR org_id = $1",
        )
        .bind::<Nullable<SqlUuid>, _>(org)
        .get_result(&mut conn)
        .await
        .map_err(Error::from)
        .gql()?;
        let more = rows.len() > first as usize;
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
                    node: d,
                })
                .collect(),
            total_count: i32::try_from(total.n).unwrap_or(i32::MAX),
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
        let org_id = org_id(ctx, org.as_deref()).await?;
        let db = db(ctx)?;
        let n = agentmon_projectors::replay::requeue_dead_letters(db, org_id)
            .await
            .gql()?;
        let mut conn = db.owner().await.gql()?;
        let entry = audit::Action {
            action: "DEAD_LETTERS_RETRIED",
            target: org.as_deref(),
            detail: serde_json::json!({ "requeued": n }),
        };
        audit::record(&mut conn, org_id.unwrap_or(audit::PLATFORM), viewer, entry)
            .await
            .map_err(Error::from)
            .gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
