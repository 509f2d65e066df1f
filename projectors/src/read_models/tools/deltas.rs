//! The sums of a batch's differences to the tool tables, and how they are
//! written: counts per (org, day, tool), sketch buckets per (org, day,
//! tool, bucket); rows that fall to nothing are deleted.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use uuid::Uuid;

use super::Contribution;
use crate::additive::increment::increment_sql;
use crate::sql::write_rows;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
struct Counts {
    calls: i64,
    failed: i64,
    accepted: i64,
    rejected: i64,
}

#[derive(Serialize)]
struct ToolRow<'a> {
    org_id: Uuid,
    day: NaiveDate,
    tool: &'a str,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Serialize)]
struct BucketRow<'a> {
    org_id: Uuid,
    day: NaiveDate,
    tool: &'a str,
    bucket: i32,
    count: i64,
}

const KEYS: [(&str, &str); 3] = [("org_id", "uuid"), ("day", "date"), ("tool", "text")];

static TOOLS: LazyLock<String> = LazyLock::new(|| {
    let sums = [
        ("calls", "bigint"),
        ("failed", "bigint"),
        ("accepted", "bigint"),
        ("rejected", "bigint"),
    ];
    increment_sql("org_daily_tools", &KEYS, &sums, "")
});
static BUCKETS: LazyLock<String> = LazyLock::new(|| {
    let keys = [KEYS[0], KEYS[1], KEYS[2], ("bucket", "int")];
    increment_sql(
        "org_daily_tool_durations",
        &keys,
        &[("count", "bigint")],
        "",
    )
});
const FORGET_TOOLS: &str = "DELETE FROM org_daily_tools t USING jsonb_to_recordset($1) \
    AS x(org_id uuid, day date, tool text) \
    WHERE t.org_id = x.org_id AND t.day = x.day AND t.tool = x.tool \
      AND t.calls = 0 AND t.failed = 0 AND t.accepted = 0 AND t.rejected = 0";
const FORGET_BUCKETS: &str = "DELETE FROM org_daily_tool_durations t USING jsonb_to_recordset($1) \
    AS x(org_id uuid, day date, tool text, bucket int) \
    WHERE t.org_id = x.org_id AND t.day = x.day AND t.tool = x.tool AND t.bucket = x.bucket \
      AND t.count = 0";

/// The sums of a batch's differences, in key order.
#[derive(Default)]
pub struct Deltas {
    tools: BTreeMap<(Uuid, NaiveDate, String), Counts>,
    buckets: BTreeMap<(Uuid, NaiveDate, String, i32), i64>,
}

#[async_trait]
impl crate::additive::Deltas<Contribution> for Deltas {
    fn add(&mut self, org: Uuid, c: &Contribution, sign: i64) {
        for ((day, tool), f) in &c.entries {
            let counts = self.tools.entry((org, *day, tool.clone())).or_default();
            counts.calls += sign * f.calls;
            counts.failed += sign * f.failed;
            counts.accepted += sign * f.accepted;
            counts.rejected += sign * f.rejected;
            for (bucket, n) in &f.durations {
                *self
                    .buckets
                    .entry((org, *day, tool.clone(), *bucket))
                    .or_insert(0) += sign * n;
            }
        }
    }

    async fn write(mut self, tx: &mut AsyncPgConnection) -> Result<()> {
        self.tools.retain(|_, c| *c != Counts::default());
        self.buckets.retain(|_, n| *n != 0);
        let tools: Vec<ToolRow> = self
            .tools
            .iter()
            .map(|((org_id, day, tool), counts)| ToolRow {
                org_id: *org_id,
                day: *day,
                tool,
                counts: *counts,
            })
            .collect();
        let buckets: Vec<BucketRow> = self
            .buckets
            .iter()
            .map(|((org_id, day, tool, bucket), count)| BucketRow {
                org_id: *org_id,
                day: *day,
                tool,
                bucket: *bucket,
                count: *count,
            })
            .collect();
        write_rows(tx, &TOOLS, &tools).await?;
        write_rows(tx, &BUCKETS, &buckets).await?;
        // Only a row that lost something can have fallen to zero.
        let lost: Vec<&ToolRow> = tools
            .iter()
            .filter(|r| {
                r.counts.calls < 0
                    || r.counts.failed < 0
                    || r.counts.accepted < 0
                    || r.counts.rejected < 0
            })
            .collect();
        write_rows(tx, FORGET_TOOLS, &lost).await?;
        let lost: Vec<&BucketRow> = buckets.iter().filter(|r| r.count < 0).collect();
        write_rows(tx, FORGET_BUCKETS, &lost).await
    }
}
