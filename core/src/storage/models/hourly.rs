//! Hourly points for short ranges (two days at most): what a chart of one
//! or two days draws, counted from the read models of those hours in the
//! org's time zone, empty hours included.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Jsonb, Nullable, Numeric, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::event::ModelCallInput;
use crate::metrics::pricing::CallCost;
use crate::storage::models::org::start_of_day;
use crate::storage::models::price;

/// Longest range, in days, that hourly points cover.
pub const MAX_DAYS: i64 = 2;

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq)]
pub struct HourlyPoint {
    /// The first instant of the hour.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// Sessions that started in the hour.
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    /// Runs that finished in the hour.
    #[diesel(sql_type = BigInt)]
    pub runs: i64,
    #[diesel(sql_type = BigInt)]
    pub succeeded: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    /// What was spent in the hour, as the day's cost counts it: each model
    /// call in its hour, whatever its run; a run without calls in the hour
    /// it finished, with the usage it reported.
    #[diesel(sql_type = Numeric)]
    pub cost_usd: Decimal,
    /// Users with any event in the hour.
    #[diesel(sql_type = BigInt)]
    pub active_users: i64,
}

/// The hours from the start of `from` to the end of `to` (days in `tz`), of
/// the org or of a team's current members; in a transaction bound to the org.
pub async fn points(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    team: Option<Uuid>,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> crate::Result<Vec<HourlyPoint>> {
    if (to - from).num_days() >= MAX_DAYS {
        return Err(crate::Error::BadUserInput(format!(
            "hourly points cover at most {MAX_DAYS} days; use daily points for {} days",
            (to - from).num_days() + 1
        )));
    }
    let start = start_of_day(from, tz);
    let end = start_of_day(to + chrono::Days::new(1), tz);
    let members = "($2::uuid IS NULL OR x.user_id IN \
        (SELECT user_id FROM team_members WHERE org_id = $1 AND team_id = $2))";
    // Hours count from the local midnight: zones half an hour off UTC
    // have hours that UTC's do not.
    let sql = format!(
        "WITH hours AS (
           SELECT h AS at FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') AS h),
         started AS (
           SELECT $3 + floor(extract(epoch FROM x.started_at - $3) / 3600) * interval '1 hour' AS at, count(*) AS n FROM sessions x
           WHERE x.org_id = $1 AND x.started_at >= $3 AND x.started_at < $4 AND {members} GROUP BY 1),
         finished AS (
           SELECT $3 + floor(extract(epoch FROM x.finished_at - $3) / 3600) * interval '1 hour' AS at, count(*) AS runs,
                  count(*) FILTER (WHERE x.status = 'SUCCEEDED') AS succeeded,
                  count(*) FILTER (WHERE x.status = 'FAILED') AS failed,
                  sum(x.cost_usd) FILTER (WHERE x.model_calls = 0) AS cost
           FROM runs x
           WHERE x.org_id = $1 AND x.status <> 'RUNNING' AND x.finished_at >= $3 AND x.finished_at < $4
             AND {members} GROUP BY 1),
         active AS (
           SELECT $3 + floor(extract(epoch FROM x.occurred_at - $3) / 3600) * interval '1 hour' AS at, count(DISTINCT x.user_id) AS n FROM events x
           WHERE x.org_id = $1 AND x.occurred_at >= $3 AND x.occurred_at < $4 AND {members}
             AND NOT EXISTS (SELECT 1 FROM projection_queue q WHERE q.org_id = x.org_id AND q.event_id = x.event_id)
           GROUP BY 1)
         SELECT h.at, coalesce(s.n, 0) AS sessions, coalesce(f.runs, 0) AS runs,
                coalesce(f.succeeded, 0) AS succeeded, coalesce(f.failed, 0) AS failed,
                coalesce(f.cost, 0) AS cost_usd, coalesce(a.n, 0) AS active_users
         FROM hours h LEFT JOIN started s USING (at) LEFT JOIN finished f USING (at)
           LEFT JOIN active a USING (at)
         ORDER BY h.at"
    );
    let mut points: Vec<HourlyPoint> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org)
        .bind::<Nullable<SqlUuid>, _>(team)
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)
        .await?;
    for (at, cost) in call_costs(conn, org, team, start, end, members).await? {
        let hour = ((at - start).num_seconds() / 3600) as usize;
        if let Some(point) = points.get_mut(hour) {
            point.cost_usd = (point.cost_usd + cost).normalize();
        }
    }
    Ok(points)
}

/// The cost of each projected model call from `start` to `end` (of the
/// team's members with `team`), priced as the fold prices it.
async fn call_costs(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    team: Option<Uuid>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    members: &str,
) -> crate::Result<Vec<(DateTime<Utc>, Decimal)>> {
    #[derive(diesel::QueryableByName)]
    struct Call {
        #[diesel(sql_type = Timestamptz)]
        occurred_at: DateTime<Utc>,
        #[diesel(sql_type = Jsonb)]
        call: serde_json::Value,
    }
    let sql = format!(
        "SELECT x.occurred_at, x.payload->'modelCall' AS call FROM events x
         WHERE x.org_id = $1 AND x.event_type = 'MODEL_CALL' AND x.occurred_at >= $3 AND x.occurred_at < $4
           AND {members}
           AND NOT EXISTS (SELECT 1 FROM projection_queue q WHERE q.org_id = x.org_id AND q.event_id = x.event_id)
           AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.org_id = x.org_id AND d.event_id = x.event_id)"
    );
    let calls: Vec<Call> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(org)
        .bind::<Nullable<SqlUuid>, _>(team)
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)
        .await?;
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    let prices = price::table(conn, org).await?;
    Ok(calls
        .into_iter()
        .filter_map(|c| {
            let call: ModelCallInput = serde_json::from_value(c.call).ok()?;
            let cost = CallCost::of(&call, c.occurred_at, &prices).usd();
            (call.counts() && !cost.is_zero()).then_some((c.occurred_at, cost))
        })
        .collect())
}
