//! Daily rollups per org/day and per org/user/day in the org's time zone,
//! with duration sketches: everything `Kpis` needs, answered from at most
//! one row per day (plus sketch buckets) whatever the number of events.
//!
//! Rollups change only by atomic increments: the difference between what a
//! session contributes now and what it contributed at its last projection
//! (kept in `rollup_contributions`). Keys are written in sorted order, so
//! concurrent workers cannot deadlock.

mod contribution;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::NaiveDate;
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

pub use contribution::{Contribution, Figures};

use crate::contributions;
use crate::sql::{delete_scope, write_rows};
use crate::{Batch, Changes, Projector, ReplayScope};

pub struct RollupsProjector;

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

fn increment_sql(
    table: &str,
    keys: &[(&str, &str)],
    extra: &[(&str, &str)],
    returning: &str,
) -> String {
    let typed = |(name, ty): &(&str, &str)| format!("{name} {ty}");
    let figures: Vec<(&str, &str)> = Figures::COLUMNS
        .iter()
        .map(|c| {
            (
                *c,
                if *c == "cost_usd" {
                    "numeric"
                } else {
                    "bigint"
                },
            )
        })
        .collect();
    let all: Vec<(&str, &str)> = keys.iter().chain(extra).chain(&figures).copied().collect();
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    let sets: Vec<String> = extra
        .iter()
        .chain(&figures)
        .map(|(c, _)| format!("{c} = t.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM jsonb_to_recordset($1) AS x({defs}) \
         ON CONFLICT ({keys}) DO UPDATE SET {sets} {returning}",
        cols = names.join(", "),
        defs = all.iter().map(typed).collect::<Vec<_>>().join(", "),
        keys = keys.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        sets = sets.join(", "),
    )
}

static ORG_DAILY: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "org_daily",
        &[("org_id", "uuid"), ("day", "date")],
        &[("active_users", "bigint")],
        "",
    )
});
static USER_DAILY: LazyLock<String> = LazyLock::new(|| {
    increment_sql(
        "user_daily",
        &[("org_id", "uuid"), ("user_id", "text"), ("day", "date")],
        &[],
        "",
    )
});
const ORG_DURATIONS: &str = "
INSERT INTO org_daily_durations AS t (org_id, day, bucket, count)
SELECT org_id, day, bucket, count FROM jsonb_to_recordset($1) AS x(org_id uuid, day date, bucket int, count bigint)
ON CONFLICT (org_id, day, bucket) DO UPDATE SET count = t.count + excluded.count";
const USER_DURATIONS: &str = "
INSERT INTO user_daily_durations AS t (org_id, user_id, day, bucket, count)
SELECT org_id, user_id, day, bucket, count FROM jsonb_to_recordset($1)
  AS x(org_id uuid, user_id text, day date, bucket int, count bigint)
ON CONFLICT (org_id, user_id, day, bucket) DO UPDATE SET count = t.count + excluded.count";
/// Where each session's contribution is kept.
const CONTRIBUTIONS: &str = "rollup_contributions";

/// The sums of a batch's differences, by key, in key order.
#[derive(Default)]
struct Deltas {
    org_days: BTreeMap<(Uuid, NaiveDate), Figures>,
    user_days: BTreeMap<(Uuid, String, NaiveDate), Figures>,
    org_buckets: BTreeMap<(Uuid, NaiveDate, i32), i64>,
    user_buckets: BTreeMap<(Uuid, String, NaiveDate, i32), i64>,
}

impl Deltas {
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

    fn prune(&mut self) {
        self.org_days.retain(|_, f| !f.is_zero());
        self.user_days.retain(|_, f| !f.is_zero());
        self.org_buckets.retain(|_, n| *n != 0);
        self.user_buckets.retain(|_, n| *n != 0);
    }
}

#[async_trait]
impl Projector for RollupsProjector {
    fn name(&self) -> &'static str {
        "rollups"
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let old = load_contributions(tx, batch).await?;
        let mut deltas = Deltas::default();
        let mut changed: Vec<(Uuid, &str, Contribution)> = Vec::new();
        for session in &batch.sessions {
            let cutoff = batch.cutoffs.get(&session.org_id).copied();
            let new = Contribution::of(session).since(cutoff);
            let key = (session.org_id, session.session_id.clone());
            match old.get(&key) {
                Some(previous) if *previous == new => continue,
                Some(previous) => deltas.add(session.org_id, &previous.clone().since(cutoff), -1),
                None => {}
            }
            deltas.add(session.org_id, &new, 1);
            changed.push((session.org_id, &session.session_id, new));
        }
        deltas.prune();
        write_deltas(tx, &deltas).await?;
        contributions::store(tx, CONTRIBUTIONS, &changed).await
    }

    async fn remove_sessions(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        sessions: &[String],
    ) -> Result<()> {
        remove_sessions(tx, org, sessions).await
    }

    async fn forget_days(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        cutoff: NaiveDate,
        cutoff_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        for table in [
            "org_daily",
            "user_daily",
            "org_daily_durations",
            "user_daily_durations",
        ] {
            diesel::sql_query(format!(
                "DELETE FROM {table} WHERE org_id = $1 AND day < $2"
            ))
            .bind::<SqlUuid, _>(org)
            .bind::<Date, _>(cutoff)
            .execute(tx)
            .await?;
        }
        diesel::sql_query(
            "UPDATE rollup_contributions c SET contribution = c.contribution
               || jsonb_build_object(
                    'days', (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                             FROM jsonb_each(c.contribution->'days') AS d(k, v) WHERE k >= $3),
                    'durations', (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                                  FROM jsonb_each(c.contribution->'durations') AS d(k, v) WHERE k >= $3))
             FROM sessions s
             WHERE s.org_id = $1 AND s.started_at < $2
               AND c.org_id = s.org_id AND c.session_id = s.session_id",
        )
        .bind::<SqlUuid, _>(org)
        .bind::<diesel::sql_types::Timestamptz, _>(cutoff_at)
        .bind::<Text, _>(cutoff.format("%Y-%m-%d").to_string())
        .execute(tx)
        .await?;
        Ok(())
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        for table in [
            "rollup_contributions",
            "org_daily",
            "user_daily",
            "org_daily_durations",
            "user_daily_durations",
        ] {
            delete_scope(tx, table, scope.org).await?;
        }
        Ok(())
    }
}

/// Takes sessions out of the rollups: subtracts what they contributed and
/// forgets their contributions. The caller holds the sessions' locks.
async fn remove_sessions(tx: &mut AsyncPgConnection, org: Uuid, sessions: &[String]) -> Result<()> {
    let by_org = BTreeMap::from([(org, sessions.to_vec())]);
    let old = load_of(tx, by_org).await?;
    let mut deltas = Deltas::default();
    for contribution in old.values() {
        deltas.add(org, contribution, -1);
    }
    deltas.prune();
    write_deltas(tx, &deltas).await?;
    diesel::sql_query(
        "DELETE FROM rollup_contributions WHERE org_id = $1 AND session_id = ANY($2)",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(sessions)
    .execute(tx)
    .await?;
    Ok(())
}

async fn load_contributions(
    tx: &mut AsyncPgConnection,
    batch: &Batch,
) -> Result<HashMap<(Uuid, String), Contribution>> {
    let mut by_org: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for s in &batch.sessions {
        by_org
            .entry(s.org_id)
            .or_default()
            .push(s.session_id.clone());
    }
    load_of(tx, by_org).await
}

async fn load_of(
    tx: &mut AsyncPgConnection,
    by_org: BTreeMap<Uuid, Vec<String>>,
) -> Result<HashMap<(Uuid, String), Contribution>> {
    let mut found = HashMap::new();
    for (org, sessions) in by_org {
        let stored: HashMap<String, Contribution> =
            contributions::load(tx, CONTRIBUTIONS, org, &sessions).await?;
        found.extend(stored.into_iter().map(|(id, c)| ((org, id), c)));
    }
    Ok(found)
}

async fn write_deltas(tx: &mut AsyncPgConnection, deltas: &Deltas) -> Result<()> {
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
        let counts: Vec<UserDayCount> = diesel::sql_query(sql)
            .bind::<Jsonb, _>(json)
            .load(tx)
            .await?;
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
    write_rows(tx, ORG_DURATIONS, &org_buckets).await?;
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
    write_rows(tx, USER_DURATIONS, &user_buckets).await?;
    Ok(())
}
