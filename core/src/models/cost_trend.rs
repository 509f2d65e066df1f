//! A user's cost per day beside the org's median user that day: the median
//! of the cost of every user with an event on the day (a user active
//! without a finished run counts with 0), exact, from the user rollups.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Numeric, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostPoint {
    pub day: NaiveDate,
    /// The user's cost of runs finished on the day.
    pub cost_usd: Decimal,
    /// Whether the user had any event on the day.
    pub active: bool,
    /// The median cost of the day's active users; `None` without any.
    pub org_median_usd: Option<Decimal>,
    /// Users with an event on the day.
    pub active_users: i64,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Numeric)]
    median: Decimal,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Numeric)]
    mine: Decimal,
    #[diesel(sql_type = BigInt)]
    mine_events: i64,
}

/// One point per day of `from..=to`, days without activity included.
pub async fn points(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    user: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> diesel::QueryResult<Vec<CostPoint>> {
    // The middle one of an odd count, the mean of the middle two of an even
    // one: rows (n + 1) / 2 and (n + 2) / 2 in integer division.
    let rows: Vec<Row> = diesel::sql_query(
        "WITH active AS (SELECT day, user_id, cost_usd, event_count, \
           row_number() OVER (PARTITION BY day ORDER BY cost_usd, user_id) AS i, \
           count(*) OVER (PARTITION BY day) AS n \
         FROM user_daily WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND event_count > 0) \
         SELECT day, avg(cost_usd) FILTER (WHERE i IN ((n + 1) / 2, (n + 2) / 2)) AS median, \
           max(n) AS n, coalesce(sum(cost_usd) FILTER (WHERE user_id = $4), 0) AS mine, \
           coalesce(sum(event_count) FILTER (WHERE user_id = $4), 0)::bigint AS mine_events \
         FROM active GROUP BY day",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Text, _>(user)
    .load(conn)
    .await?;
    let mut by_day: BTreeMap<NaiveDate, Row> = rows.into_iter().map(|r| (r.day, r)).collect();
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| match by_day.remove(&day) {
            Some(r) => CostPoint {
                day,
                cost_usd: r.mine,
                active: r.mine_events > 0,
                org_median_usd: Some(r.median),
                active_users: r.n,
            },
            None => CostPoint {
                day,
                cost_usd: Decimal::ZERO,
                active: false,
                org_median_usd: None,
                active_users: 0,
            },
        })
        .collect())
}
