//! The sums of a batch's differences to the rollups, and how they are
//! written: figures per org day and per user day (the org's active users
//! follow from its user days), duration-sketch buckets of both.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use diesel::sql_types::{BigInt, Date, Jsonb, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use super::contribution::{Contribution, Figures};
use crate::additive::increment::{figure_columns, increment_sql};
use crate::sql::write_rows;

#[derive(Serialize)]
struct OrgDayRow {
    org_id: Uuid,
    day: NaiveDate,
    active_users: i64,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Serialize)]
struct UserDayRow<'a> {
    org_id: Uuid,
    user_id: &'a str,
    day: NaiveDate,
    #[serde(flatten)]
    figures: Figures,
}

/// A user's week: what ranking and counting users over a range reads.
#[derive(Serialize, Default)]
struct UserWeekRow<'a> {
    org_id: Uuid,
    week: NaiveDate,
    user_id: &'a str,
    event_count: i64,
    runs: i64,
    cost_usd: rust_decimal::Decimal,
}

#[derive(Serialize)]
struct WeekBucketRow {
    org_id: Uuid,
    week: NaiveDate,
    bucket: i32,
    count: i64,
}

#[derive(Serialize)]
struct BucketRow<'a> {
    org_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    day: NaiveDate,
    bucket: i32,
    count: i64,
}

#[derive(diesel::QueryableByName)]
struct UserDayCount {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    event_count: i64,
    #[diesel(sql_type = BigInt)]
    delta: i64,
}

static ORG_DAILY: LazyLock<String> = LazyLock::new(|| {
    let sums: Vec<(&str, &str)> = [("active_users", "bigint")]
        .into_iter()
        .chain(figure_columns(&Figures::COLUMNS))
        .collect();
    increment_sql(
        "org_daily",
        &[("org_id", "uuid"), ("day", "date")],
        &sums,
        "",
    )
});
static USER_DAILY: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "user_daily",
        &[("org_id", "uuid"), ("user_id", "text"), ("day", "date")],
        &figure_columns(&Figures::COLUMNS),
        "",
    )
});
static USER_WEEKLY: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "user_weekly",
        &[("org_id", "uuid"), ("week", "date"), ("user_id", "text")],
        &figure_columns(&["event_count", "runs", "cost_usd"]),
        "",
    )
});

/// Refills the user weeks of org `$1` that hold its retention cutoff `$2`
/// (the first kept day, not a Monday) from their kept days, once the days
/// before the cutoff and the weeks begun before it are gone. A row written
/// meanwhile (a batch, an overlapping pass) is set to the same sums: the
/// statement reads the kept days as committed.
pub const REFILL_USER_WEEK: &str = "
INSERT INTO user_weekly (org_id, week, user_id, event_count, runs, cost_usd)
SELECT org_id, date_trunc('week', $2)::date, user_id, sum(event_count), sum(runs), sum(cost_usd)
  FROM user_daily
 WHERE org_id = $1 AND day >= $2 AND day < date_trunc('week', $2)::date + 7
   AND extract(isodow FROM $2) <> 1
 GROUP BY org_id, user_id
ON CONFLICT (org_id, week, user_id) DO UPDATE
   SET event_count = excluded.event_count, runs = excluded.runs, cost_usd = excluded.cost_usd";

/// The Monday of `day`'s week.
fn week_of(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

static ORG_WEEKLY_DURATIONS: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "org_weekly_durations",
        &[("org_id", "uuid"), ("week", "date"), ("bucket", "int")],
        &[("count", "bigint")],
        "",
    )
});

/// The same for the org's duration buckets of that week.
pub const REFILL_ORG_WEEK_DURATIONS: &str = "
INSERT INTO org_weekly_durations (org_id, week, bucket, count)
SELECT org_id, date_trunc('week', $2)::date, bucket, sum(count)
  FROM org_daily_durations
 WHERE org_id = $1 AND day >= $2 AND day < date_trunc('week', $2)::date + 7
   AND extract(isodow FROM $2) <> 1
 GROUP BY org_id, bucket
ON CONFLICT (org_id, week, bucket) DO UPDATE SET count = excluded.count";

static ORG_DURATIONS: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "org_daily_durations",
        &[("org_id", "uuid"), ("day", "date"), ("bucket", "int")],
        &[("count", "bigint")],
        "",
    )
});
static USER_DURATIONS: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "user_daily_durations",
        &[
            ("org_id", "uuid"),
            ("user_id", "text"),
            ("day", "date"),
            ("bucket", "int"),
        ],
        &[("count", "bigint")],
        "",
    )
});

/// The sums of a batch's differences, by key, in key order.
#[derive(Default)]
pub struct Deltas {
    org_days: BTreeMap<(Uuid, NaiveDate), Figures>,
    user_days: BTreeMap<(Uuid, String, NaiveDate), Figures>,
    org_buckets: BTreeMap<(Uuid, NaiveDate, i32), i64>,
    user_buckets: BTreeMap<(Uuid, String, NaiveDate, i32), i64>,
}

impl Deltas {
    fn prune(&mut self) {
        self.org_days.retain(|_, f| !f.is_zero());
        self.user_days.retain(|_, f| !f.is_zero());
        self.org_buckets.retain(|_, n| *n != 0);
        self.user_buckets.retain(|_, n| *n != 0);
    }
}

#[async_trait]
impl crate::additive::Deltas<Contribution> for Deltas {
    fn add(&mut self, org: Uuid, c: &Contribution, sign: i64) {
        for (day, f) in &c.days {
            self.org_days.entry((org, *day)).or_default().add(f, sign);
            self.user_days
                .entry((org, c.user_id.clone(), *day))
                .or_default()
                .add(f, sign);
        }
        for (day, buckets) in &c.durations {
            for (bucket, n) in buckets {
                *self.org_buckets.entry((org, *day, *bucket)).or_insert(0) += sign * n;
                *self
                    .user_buckets
                    .entry((org, c.user_id.clone(), *day, *bucket))
                    .or_insert(0) += sign * n;
            }
        }
    }

    async fn write(mut self, tx: &mut AsyncPgConnection) -> Result<()> {
        self.prune();
        write_sums(tx, &self).await
    }
}

async fn write_sums(tx: &mut AsyncPgConnection, deltas: &Deltas) -> Result<()> {
    // User days first: their event counts going from zero to positive (or
    // back) are the org's active-user changes.
    let user_rows: Vec<UserDayRow> = deltas
        .user_days
        .iter()
        .map(|((org_id, user_id, day), figures)| UserDayRow {
            org_id: *org_id,
            user_id,
            day: *day,
            figures: *figures,
        })
        .collect();
    let mut active: BTreeMap<(Uuid, NaiveDate), i64> = BTreeMap::new();
    for chunk in user_rows.chunks(2_000) {
        let json = serde_json::to_value(chunk).map_err(anyhow::Error::from)?;
        let sql = format!(
            "WITH written AS ({} RETURNING t.org_id, t.user_id, t.day, t.event_count) \
             SELECT w.org_id, w.day, w.event_count, d.event_count AS delta FROM written w \
             JOIN jsonb_to_recordset($1) AS d(org_id uuid, user_id text, day date, event_count bigint) \
             ON d.org_id = w.org_id AND d.user_id = w.user_id AND d.day = w.day \
             WHERE d.event_count <> 0",
            *USER_DAILY
        );
        let counts: Vec<UserDayCount> = prepared(sql).bind::<Jsonb, _>(json).load(tx).await?;
        for c in counts {
            let before = c.event_count - c.delta;
            let change = match (before > 0, c.event_count > 0) {
                (false, true) => 1,
                (true, false) => -1,
                _ => 0,
            };
            if change != 0 {
                *active.entry((c.org_id, c.day)).or_insert(0) += change;
            }
        }
    }

    let mut org_keys: BTreeMap<(Uuid, NaiveDate), (i64, Figures)> =
        deltas.org_days.iter().map(|(k, f)| (*k, (0, *f))).collect();
    for (key, change) in active {
        org_keys.entry(key).or_insert((0, Figures::default())).0 += change;
    }
    let org_rows: Vec<OrgDayRow> = org_keys
        .into_iter()
        .map(|((org_id, day), (active_users, figures))| OrgDayRow {
            org_id,
            day,
            active_users,
            figures,
        })
        .collect();
    write_rows(tx, &ORG_DAILY, &org_rows).await?;

    let mut weeks: BTreeMap<(Uuid, NaiveDate, &str), UserWeekRow> = BTreeMap::new();
    for ((org_id, user_id, day), figures) in &deltas.user_days {
        let week = week_of(*day);
        let row = weeks
            .entry((*org_id, week, user_id))
            .or_insert_with(|| UserWeekRow {
                org_id: *org_id,
                week,
                user_id,
                ..UserWeekRow::default()
            });
        row.event_count += figures.event_count;
        row.runs += figures.runs;
        row.cost_usd += figures.cost_usd;
    }
    let week_rows: Vec<UserWeekRow> = weeks
        .into_values()
        .filter(|w| w.event_count != 0 || w.runs != 0 || !w.cost_usd.is_zero())
        .collect();
    write_rows(tx, &USER_WEEKLY, &week_rows).await?;

    let org_buckets: Vec<BucketRow> = deltas
        .org_buckets
        .iter()
        .map(|((org_id, day, bucket), count)| BucketRow {
            org_id: *org_id,
            user_id: None,
            day: *day,
            bucket: *bucket,
            count: *count,
        })
        .collect();
    write_rows(tx, &ORG_DURATIONS, &org_buckets).await?;
    let mut org_weeks: BTreeMap<(Uuid, NaiveDate, i32), i64> = BTreeMap::new();
    for ((org_id, day, bucket), count) in &deltas.org_buckets {
        *org_weeks
            .entry((*org_id, week_of(*day), *bucket))
            .or_insert(0) += count;
    }
    let org_week_rows: Vec<WeekBucketRow> = org_weeks
        .into_iter()
        .filter(|(_, count)| *count != 0)
        .map(|((org_id, week, bucket), count)| WeekBucketRow {
            org_id,
            week,
            bucket,
            count,
        })
        .collect();
    write_rows(tx, &ORG_WEEKLY_DURATIONS, &org_week_rows).await?;
    let user_buckets: Vec<BucketRow> = deltas
        .user_buckets
        .iter()
        .map(|((org_id, user_id, day, bucket), count)| BucketRow {
            org_id: *org_id,
            user_id: Some(user_id),
            day: *day,
            bucket: *bucket,
            count: *count,
        })
        .collect();
    write_rows(tx, &USER_DURATIONS, &user_buckets).await?;
    Ok(())
}
