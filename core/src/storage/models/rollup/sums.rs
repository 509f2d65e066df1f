//! Sums, distinct active users, sketch buckets and daily points over a
//! range of days, for any scope.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Integer, Numeric, Text, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::metrics::kpis::{Kpis, Sums};

use super::scope::Scope;

pub(super) const SUMS: &str = "coalesce(sum(event_count), 0)::bigint AS event_count, \
  coalesce(sum(sessions), 0)::bigint AS sessions, coalesce(sum(session_runs), 0)::bigint AS session_runs, \
  coalesce(sum(session_active_ms), 0)::bigint AS session_active_ms, \
  coalesce(sum(handed_off), 0)::bigint AS handed_off, coalesce(sum(iterated), 0)::bigint AS iterated, \
  coalesce(sum(runs), 0)::bigint AS runs, coalesce(sum(succeeded), 0)::bigint AS succeeded, \
  coalesce(sum(failed), 0)::bigint AS failed, coalesce(sum(cancelled), 0)::bigint AS cancelled, \
  coalesce(sum(cost_usd), 0) AS cost_usd, coalesce(sum(input_tokens), 0)::bigint AS input_tokens, \
  coalesce(sum(output_tokens), 0)::bigint AS output_tokens, \
  coalesce(sum(failed_tool), 0)::bigint AS failed_tool, coalesce(sum(failed_model), 0)::bigint AS failed_model, \
  coalesce(sum(failed_timeout), 0)::bigint AS failed_timeout, coalesce(sum(failed_other), 0)::bigint AS failed_other";

#[derive(diesel::QueryableByName, Debug)]
pub struct SumsRow {
    #[diesel(sql_type = BigInt)]
    event_count: i64,
    #[diesel(sql_type = BigInt)]
    sessions: i64,
    #[diesel(sql_type = BigInt)]
    session_runs: i64,
    #[diesel(sql_type = BigInt)]
    session_active_ms: i64,
    #[diesel(sql_type = BigInt)]
    handed_off: i64,
    #[diesel(sql_type = BigInt)]
    iterated: i64,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    succeeded: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = Numeric)]
    cost_usd: Decimal,
    #[diesel(sql_type = BigInt)]
    input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    output_tokens: i64,
    #[diesel(sql_type = BigInt)]
    failed_tool: i64,
    #[diesel(sql_type = BigInt)]
    failed_model: i64,
    #[diesel(sql_type = BigInt)]
    failed_timeout: i64,
    #[diesel(sql_type = BigInt)]
    failed_other: i64,
}

impl From<&SumsRow> for Sums {
    fn from(r: &SumsRow) -> Sums {
        Sums {
            event_count: r.event_count,
            sessions: r.sessions,
            session_runs: r.session_runs,
            session_active_ms: r.session_active_ms,
            handed_off: r.handed_off,
            iterated: r.iterated,
            runs: r.runs,
            succeeded: r.succeeded,
            failed: r.failed,
            cancelled: r.cancelled,
            cost_usd: r.cost_usd,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            failed_tool: r.failed_tool,
            failed_model: r.failed_model,
            failed_timeout: r.failed_timeout,
            failed_other: r.failed_other,
        }
    }
}

/// Runs `sql` with the range and the scope's keys bound.
macro_rules! bound {
    ($sql:expr, $scope:expr, $from:expr, $to:expr) => {{
        let query = diesel::sql_query($sql)
            .into_boxed::<diesel::pg::Pg>()
            .bind::<Date, _>($from)
            .bind::<Date, _>($to);
        match $scope {
            Scope::Org(org) => query.bind::<SqlUuid, _>(org),
            Scope::User(org, user) => query
                .bind::<SqlUuid, _>(org)
                .bind::<Text, _>(user.to_string()),
            Scope::Team(org, team) => query.bind::<SqlUuid, _>(org).bind::<SqlUuid, _>(team),
            Scope::Global => query,
        }
    }};
}

pub async fn sums(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Sums> {
    let sql = format!(
        "SELECT {SUMS} FROM {} WHERE {}",
        scope.daily_table(),
        scope.filter()
    );
    let row: SumsRow = bound!(sql, scope, from, to).get_result(conn).await?;
    Ok(Sums::from(&row))
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct users with any event on a day of the range.
pub async fn active_users(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<i64> {
    let sql = match scope {
        Scope::Global => "SELECT platform_active_users($1, $2) AS n".to_string(),
        _ => format!(
            "SELECT count(DISTINCT user_id) AS n FROM user_daily WHERE {} AND event_count > 0",
            scope.filter()
        ),
    };
    let count: Count = bound!(sql, scope, from, to).get_result(conn).await?;
    Ok(count.n)
}

#[derive(diesel::QueryableByName)]
struct Week {
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct users with any event in each week (Monday to Sunday) touching
/// `from..=to`, counted over the week's days inside the range; weeks
/// without one are left out. Not for the global scope.
pub async fn weekly_active_users(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<BTreeMap<NaiveDate, i64>> {
    let sql = format!(
        "SELECT date_trunc('week', day)::date AS week, count(DISTINCT user_id) AS n \
         FROM user_daily WHERE {} AND event_count > 0 GROUP BY 1",
        scope.filter()
    );
    let weeks: Vec<Week> = bound!(sql, scope, from, to).load(conn).await?;
    Ok(weeks.into_iter().map(|w| (w.week, w.n)).collect())
}

#[derive(diesel::QueryableByName)]
struct Bucket {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

async fn buckets_by_day(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Bucket>> {
    let sql = format!(
        "SELECT day, bucket, sum(count)::bigint AS count FROM {} WHERE {} GROUP BY day, bucket",
        scope.durations_table(),
        scope.filter()
    );
    bound!(sql, scope, from, to).load(conn).await
}

/// The Kpis of a scope over whole days `from..=to`.
pub async fn kpis(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Kpis> {
    let sums = sums(conn, scope, from, to).await?;
    let active = active_users(conn, scope, from, to).await?;
    let sql = format!(
        "SELECT bucket, sum(count)::bigint AS n FROM {} WHERE {} GROUP BY bucket",
        scope.durations_table(),
        scope.filter()
    );
    #[derive(diesel::QueryableByName)]
    struct B {
        #[diesel(sql_type = Integer)]
        bucket: i32,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let buckets: Vec<B> = bound!(sql, scope, from, to).load(conn).await?;
    let buckets: Vec<(i32, i64)> = buckets.into_iter().map(|b| (b.bucket, b.n)).collect();
    Ok(Kpis::from_sums(&sums, active, &buckets))
}

#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(embed)]
    sums: SumsRow,
}

/// One Kpis per day of `from..=to`, days without activity as zeros.
pub async fn daily(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, Kpis)>> {
    let active = match scope {
        Scope::User(..) => "(sum(event_count) > 0)::int::bigint",
        Scope::Team(..) => "(count(*) FILTER (WHERE event_count > 0))::bigint",
        _ => "coalesce(sum(active_users), 0)::bigint",
    };
    let sql = format!(
        "SELECT day, {active} AS active, {SUMS} FROM {} WHERE {} GROUP BY day",
        scope.daily_table(),
        scope.filter()
    );
    let rows: Vec<DayRow> = bound!(sql, scope, from, to).load(conn).await?;
    let mut by_day: BTreeMap<NaiveDate, (i64, Sums)> = rows
        .iter()
        .map(|r| (r.day, (r.active, Sums::from(&r.sums))))
        .collect();
    let mut buckets: BTreeMap<NaiveDate, Vec<(i32, i64)>> = BTreeMap::new();
    for b in buckets_by_day(conn, scope, from, to).await? {
        buckets.entry(b.day).or_default().push((b.bucket, b.count));
    }
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|day| {
            let (active, sums) = by_day.remove(&day).unwrap_or_default();
            let b = buckets.remove(&day).unwrap_or_default();
            (day, Kpis::from_sums(&sums, active, &b))
        })
        .collect())
}
