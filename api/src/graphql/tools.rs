//! `OrgOverview.tools`: the range's tool calls by tool, most used first,
//! with failures, permission decisions and the p95 duration.

use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::tool;
use agentmon_core::Error;
use async_graphql::{Context, SimpleObject};
use chrono::NaiveDate;

use super::access::in_org;
use super::context::GqlResult;

/// Most tools one list holds.
const MAX_TOP: i32 = 50;

#[derive(SimpleObject)]
pub struct ToolUsage {
    pub name: String,
    pub calls: i32,
    /// Calls that ran and did not succeed.
    pub failed: i32,
    /// Calls whose permission was granted (when the agent reported it).
    pub accepted: i32,
    /// Calls whose permission was refused.
    pub rejected: i32,
    /// From the duration sketch, like the run percentiles; null without durations.
    pub duration_p95_ms: Option<f64>,
}

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub async fn tools(
    ctx: &Context<'_>,
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    top: i32,
) -> async_graphql::Result<Vec<ToolUsage>> {
    if !(1..=MAX_TOP).contains(&top) {
        return Err(Error::BadUserInput(format!("top must be 1 to {MAX_TOP}"))).gql();
    }
    let org_id = org.id;
    let rows = in_org!(ctx, org_id, |tx| tool::usage(
        tx,
        org_id,
        from,
        to,
        i64::from(top)
    )
    .await?)?;
    Ok(rows
        .into_iter()
        .map(|t| ToolUsage {
            name: t.tool,
            calls: int(t.calls),
            failed: int(t.failed),
            accepted: int(t.accepted),
            rejected: int(t.rejected),
            duration_p95_ms: t.duration_p95_ms,
        })
        .collect())
}
