//! Tool usage over a range of an org's days: calls, failures, decisions,
//! and the p95 duration from the merged sketch buckets.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::metrics::sketch;
use crate::Result;

#[derive(diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = Text)]
    tool: String,
    #[diesel(sql_type = BigInt)]
    calls: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    accepted: i64,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
}

/// One tool's calls over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolUsage {
    pub tool: String,
    pub calls: i64,
    pub failed: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub duration_p95_ms: Option<f64>,
}

/// The `top` tools by calls (then name) over `from..=to`.
pub async fn usage(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    top: i64,
) -> Result<Vec<ToolUsage>> {
    let tools: Vec<Counts> = diesel::sql_query(
        "SELECT tool, sum(calls)::bigint AS calls, sum(failed)::bigint AS failed,
                sum(accepted)::bigint AS accepted, sum(rejected)::bigint AS rejected
         FROM org_daily_tools WHERE org_id = $1 AND day BETWEEN $2 AND $3
         GROUP BY tool HAVING sum(calls) > 0
         ORDER BY sum(calls) DESC, tool LIMIT $4",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<BigInt, _>(top)
    .load(conn)
    .await?;
    #[derive(diesel::QueryableByName)]
    struct Bucket {
        #[diesel(sql_type = Text)]
        tool: String,
        #[diesel(sql_type = Integer)]
        bucket: i32,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let names: Vec<&str> = tools.iter().map(|t| t.tool.as_str()).collect();
    let buckets: Vec<Bucket> = diesel::sql_query(
        "SELECT tool, bucket, sum(count)::bigint AS n FROM org_daily_tool_durations
         WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND tool = ANY($4) GROUP BY tool, bucket",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<diesel::sql_types::Array<Text>, _>(&names)
    .load(conn)
    .await?;
    Ok(tools
        .into_iter()
        .map(|t| {
            let of_tool: Vec<(i32, i64)> = buckets
                .iter()
                .filter(|b| b.tool == t.tool)
                .map(|b| (b.bucket, b.n))
                .collect();
            ToolUsage {
                duration_p95_ms: sketch::quantile(&of_tool, 0.95),
                tool: t.tool,
                calls: t.calls,
                failed: t.failed,
                accepted: t.accepted,
                rejected: t.rejected,
            }
        })
        .collect())
}
