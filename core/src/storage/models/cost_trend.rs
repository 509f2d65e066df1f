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

/// The median user of one day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayMedian {
    pub day: NaiveDate,
    pub median_usd: Decimal,
    pub active_users: i64,
}

#[derive(QueryableByName)]
struct MedianRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Numeric)]
    median: Decimal,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The median cost of the active users of each day of `from..=to` that had
/// any (one read of the org's user rollups, whoever asks: worth caching).
pub async fn medians(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> diesel::QueryResult<Vec<DayMedian>> {
    // The middle one of an odd count, the mean of the middle two of an even
    // one: rows (n + 1) / 2 and (n + 2) / 2 in integer division.
    let rows: Vec<MedianRow> = diesel::sql_query(
        "WITH active AS (SELECT day, cost_usd, \
           row_number() OVER (PARTITION BY day ORDER BY cost_usd) AS i, \
           count(*) OVER (PARTITION BY day) AS n \
         FROM user_daily WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND event_count > 0) \
         SELECT day, avg(cost_usd) AS median, max(n) AS n FROM active \
         WHERE i IN ((n + 1) / 2, (n + 2) / 2) GROUP BY day",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DayMedian {
            day: r.day,
            median_usd: r.median,
            active_users: r.n,
        })
        .collect())
}

#[derive(QueryableByName)]
struct OwnRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Numeric)]
    cost_usd: Decimal,
    #[diesel(sql_type = BigInt)]
    event_count: i64,
}

/// One point per day of `from..=to` for `user`, days without activity
/// included, beside the day's `medians`.
pub async fn points(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    user: &str,
    from: NaiveDate,
    to: NaiveDate,
    medians: &[DayMedian],
) -> diesel::QueryResult<Vec<CostPoint>> {
    let own: Vec<OwnRow> = diesel::sql_query(
        "SELECT day, cost_usd, event_count FROM user_daily \
         WHERE org_id = $1 AND user_id = $2 AND day BETWEEN $3 AND $4",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Text, _>(user)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?;
    let mut own: BTreeMap<NaiveDate, OwnRow> = own.into_iter().map(|r| (r.day, r)).collect();
    let median: BTreeMap<NaiveDate, &DayMedian> = medians.iter().map(|m| (m.day, m)).collect();
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            let mine = own.remove(&day);
            let m = median.get(&day);
            CostPoint {
                day,
                cost_usd: mine.as_ref().map_or(Decimal::ZERO, |r| r.cost_usd),
                active: mine.is_some_and(|r| r.event_count > 0),
                org_median_usd: m.map(|m| m.median_usd),
                active_users: m.map_or(0, |m| m.active_users),
            }
        })
        .collect())
}
