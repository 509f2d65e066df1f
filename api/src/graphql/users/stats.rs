//! `UserStats`: a user's figures over a range, and the list of an org's
//! (or a team's) users with any event in a range, by runs.

use agentmon_core::auth::policy::Capability;
use agentmon_core::metrics::kpis::Sums;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup;
use async_graphql::{Context, Object, SimpleObject};

use super::node::UserObject;
use crate::graphql::access::{authorize, in_org};
use crate::graphql::context::GqlResult;
use crate::graphql::kpis::money;
use crate::graphql::paging::{decode_cursor, encode_cursor, page_size, List, PageInfo};
use crate::graphql::ranges::DateRange;

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
    pub page_info: PageInfo,
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
    let first = page_size(List::Counted, first).gql()?;
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
        page_info: PageInfo {
            has_next_page,
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

fn encode_user_cursor(runs: i64, user_id: &str) -> String {
    encode_cursor(&serde_json::json!([runs, user_id]))
}

fn decode_user_cursor(cursor: &str) -> Result<(i64, String), agentmon_core::Error> {
    let value = decode_cursor(cursor)?;
    match (value[0].as_i64(), value[1].as_str()) {
        (Some(runs), Some(id)) => Ok((runs, id.to_string())),
        _ => Err(agentmon_core::Error::BadUserInput(
            "after is not a cursor of this list".into(),
        )),
    }
}
