//! Breakdowns read back: an org's run figures over a range of days by model
//! or by one of its chosen attribute keys, from `org_daily_breakdowns`.

use chrono::NaiveDate;
use diesel::sql_types::{Array, BigInt, Date, Numeric, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{Error, Result};

/// Most attribute keys an org breaks down.
pub const MAX_KEYS: usize = 5;

#[derive(diesel::QueryableByName, Debug, Clone, Default, PartialEq)]
pub struct Row {
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub runs: i64,
    #[diesel(sql_type = BigInt)]
    pub succeeded: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    #[diesel(sql_type = BigInt)]
    pub cancelled: i64,
    #[diesel(sql_type = Numeric)]
    pub cost_usd: Decimal,
    #[diesel(sql_type = BigInt)]
    pub input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub output_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub model_calls: i64,
    #[diesel(sql_type = BigInt)]
    pub cache_read_tokens: i64,
    #[diesel(sql_type = BigInt)]
    pub cache_creation_tokens: i64,
    #[diesel(sql_type = Numeric)]
    pub estimated_cost_usd: Decimal,
    #[diesel(sql_type = BigInt)]
    pub lines_added: i64,
    #[diesel(sql_type = BigInt)]
    pub lines_removed: i64,
    #[diesel(sql_type = BigInt)]
    pub commits: i64,
    #[diesel(sql_type = BigInt)]
    pub pull_requests: i64,
}

impl Row {
    pub fn add(&mut self, other: &Row) {
        self.sessions += other.sessions;
        self.runs += other.runs;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.cancelled += other.cancelled;
        self.cost_usd += other.cost_usd;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.model_calls += other.model_calls;
        self.cache_read_tokens += other.cache_read_tokens;
        self.cache_creation_tokens += other.cache_creation_tokens;
        self.estimated_cost_usd += other.estimated_cost_usd;
        self.lines_added += other.lines_added;
        self.lines_removed += other.lines_removed;
        self.commits += other.commits;
        self.pull_requests += other.pull_requests;
    }
}

/// Every value of `dimension` (`model` or `attr:<key>`) over the days, by
/// cost, then runs, then value; in a transaction bound to the org. A value
/// with any figure is listed: a model used only in the calls of runs named
/// for another model has cost and tokens but no sessions or runs of its own.
pub async fn rows(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    dimension: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Row>> {
    Ok(diesel::sql_query(
        "SELECT value, sum(sessions)::bigint AS sessions, sum(runs)::bigint AS runs,
                sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed,
                sum(cancelled)::bigint AS cancelled, sum(cost_usd) AS cost_usd,
                sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
                sum(model_calls)::bigint AS model_calls,
                sum(cache_read_tokens)::bigint AS cache_read_tokens,
                sum(cache_creation_tokens)::bigint AS cache_creation_tokens,
                sum(estimated_cost_usd) AS estimated_cost_usd,
                sum(lines_added)::bigint AS lines_added, sum(lines_removed)::bigint AS lines_removed,
                sum(commits)::bigint AS commits, sum(pull_requests)::bigint AS pull_requests
         FROM org_daily_breakdowns
         WHERE org_id = $1 AND dimension = $2 AND day BETWEEN $3 AND $4
         GROUP BY value
         HAVING sum(sessions) <> 0 OR sum(runs) <> 0 OR sum(cost_usd) <> 0
             OR sum(input_tokens) <> 0 OR sum(output_tokens) <> 0 OR sum(model_calls) <> 0
             OR sum(lines_added) <> 0 OR sum(lines_removed) <> 0 OR sum(commits) <> 0
             OR sum(pull_requests) <> 0
         ORDER BY sum(cost_usd) DESC, sum(runs) DESC, value",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Text, _>(dimension)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}

/// The org's chosen attribute keys.
pub async fn keys(conn: &mut AsyncPgConnection, org: Uuid) -> Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Keys {
        #[diesel(sql_type = Array<Text>)]
        breakdown_keys: Vec<String>,
    }
    let row: Keys = diesel::sql_query("SELECT breakdown_keys FROM orgs WHERE id = $1")
        .bind::<SqlUuid, _>(org)
        .get_result(conn)
        .await?;
    Ok(row.breakdown_keys)
}

/// Checks and normalises keys an admin chose: at most five, each 1 to 128
/// characters, no repeats (trimmed, order kept).
pub fn check_keys(keys: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        let key = key.trim();
        if key.is_empty() || key.chars().count() > 128 || key.contains('\0') {
            return Err(Error::BadUserInput(
                "an attribute key has 1 to 128 characters (no NUL)".into(),
            ));
        }
        if !out.iter().any(|k| k == key) {
            out.push(key.to_string());
        }
    }
    if out.len() > MAX_KEYS {
        return Err(Error::BadUserInput(format!(
            "an org breaks down at most {MAX_KEYS} attribute keys; got {}. The others stay filterable",
            out.len()
        )));
    }
    Ok(out)
}

/// Stores the org's keys (with the owner's rights: orgs are read-only to requests).
pub async fn set_keys(conn: &mut AsyncPgConnection, org: Uuid, keys: &[String]) -> Result<()> {
    diesel::sql_query("UPDATE orgs SET breakdown_keys = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(org)
        .bind::<Array<Text>, _>(keys)
        .execute(conn)
        .await?;
    Ok(())
}
