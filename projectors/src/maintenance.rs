//! Maintenance the worker runs when it starts and then every hour, one
//! worker at a time (an advisory lock): the monthly partitions of `events`
//! for every month an org may still receive — from the oldest day any org
//! keeps to three months ahead — so that ingest finds them ready and never
//! takes an exclusive lock on `events` inside a producer's call; then the
//! retention pass over every org (see [`crate::retention`]).

use std::time::Duration;

use agentmon_core::storage::db::Db;
use agentmon_core::Result;
use chrono::{DateTime, Datelike, Months, TimeZone, Utc};
use diesel::sql_types::Timestamptz;
use diesel_async::RunQueryDsl;

/// How often the worker runs the maintenance.
pub const EVERY: Duration = Duration::from_secs(3600);
/// Months of partitions made ahead of now.
pub const MONTHS_AHEAD: u32 = 3;

const LOCK: i64 = 0x6167_656e_746d_6f6e; // "agentmon"

#[derive(diesel::QueryableByName)]
struct Oldest {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    days: i32,
}

/// Makes the missing partitions and applies retention; returns how many
/// months it checked, or
/// `None` when another worker holds the maintenance. Each partition is made
/// in a transaction of its own: one long transaction would hold `events`
/// locked while ingest makes a partition too, and the two would deadlock.
pub async fn run(db: &Db, now: DateTime<Utc>) -> Result<Option<usize>> {
    #[derive(diesel::QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    let mut conn = db.owner().await?;
    let got: Got = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS got")
        .bind::<diesel::sql_types::BigInt, _>(LOCK)
        .get_result(&mut conn)
        .await?;
    if !got.got {
        return Ok(None);
    }
    let mut result = partitions(&mut conn, now).await;
    // A pass over a large org runs longer than a request may.
    if result.is_ok() {
        if let Err(e) = diesel::sql_query("SET statement_timeout = '15min'")
            .execute(&mut conn)
            .await
        {
            result = Err(e.into());
        }
    }
    if result.is_ok() {
        let pass = crate::retention::pass(
            &mut conn,
            None,
            now,
            crate::retention::Reclaim::DropPartitions,
            &mut |_| {},
        )
        .await;
        match pass {
            Ok(done)
                if done.removed.sessions + done.removed.events > 0 || !done.dropped.is_empty() =>
            {
                tracing::info!(sessions = done.removed.sessions, events = done.removed.events,
                    dropped = ?done.dropped, "retention: data past its org's retention removed")
            }
            Ok(_) => {}
            Err(e) => result = Err(e),
        }
    }
    diesel::sql_query("SET statement_timeout = '30s'")
        .execute(&mut conn)
        .await?;
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(LOCK)
        .execute(&mut conn)
        .await?;
    result.map(Some)
}

pub async fn partitions(
    conn: &mut diesel_async::AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize> {
    let oldest: Oldest =
        diesel::sql_query("SELECT coalesce(max(retention_days), 365) + 1 AS days FROM orgs")
            .get_result(conn)
            .await?;
    let months = months(now, oldest.days);
    for month in &months {
        diesel::sql_query("SELECT ensure_event_partition($1)")
            .bind::<Timestamptz, _>(*month)
            .execute(conn)
            .await?;
    }
    Ok(months.len())
}

/// The first instant of every month from `keep_days` before `now` to
/// [`MONTHS_AHEAD`] months after it.
fn months(now: DateTime<Utc>, keep_days: i32) -> Vec<DateTime<Utc>> {
    let first = now - chrono::Duration::days(i64::from(keep_days.max(1)));
    let mut month = Utc
        .with_ymd_and_hms(first.year(), first.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(first);
    let last = now + Months::new(MONTHS_AHEAD);
    let mut out = Vec::new();
    while month <= last {
        out.push(month);
        month = month + Months::new(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_months_run_from_the_oldest_kept_day_to_three_months_ahead() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let months = months(now, 60);
        let labels: Vec<String> = months
            .iter()
            .map(|m| m.format("%Y-%m").to_string())
            .collect();
        assert_eq!(
            labels,
            ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
        );
    }
}
