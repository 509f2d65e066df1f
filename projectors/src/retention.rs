//! Retention (SPEC section 9): what is older than an org keeps goes.
//!
//! For each org, with its cutoff (the first instant of its first kept day
//! in its time zone): rollup days before the cutoff are deleted and what
//! sessions still remember of those days forgotten; sessions whose last
//! event is before the cutoff go with their events, runs and ledger rows
//! (in transactions of [`SESSIONS_PER_TX`] sessions, holding their locks),
//! and their users' first seen, last active and profile are derived again
//! from what is left.
//! Then a month of `events` past every org's cutoff, holding no event of a
//! kept session, is dropped as a partition: storage comes back at once,
//! without deleting rows one by one.
//!
//! We chose this small task over pg_partman: the partitions are plain
//! monthly ranges made by `ensure_event_partition`, the drop must wait for
//! per-org retention and kept sessions (which pg_partman's retention cannot
//! know), and the embedded PostgreSQL ships without extensions.

use std::collections::BTreeSet;

use agentmon_core::storage::models::org::{first_kept_day, start_of_day};
use agentmon_core::Result;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::sql_types::{Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::removal::{self, Events, Removed};
use crate::worker::lock_sessions;

/// Sessions removed per transaction.
pub const SESSIONS_PER_TX: usize = 1_000;
/// Users whose first seen, last active and profile are derived again per
/// transaction, after their old sessions went.
const USERS_PER_TX: usize = 500;

/// How a pass reclaims the events of a month past every org's retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaim {
    /// Drop the month's partition (the default).
    DropPartitions,
    /// Delete the rows one by one (for comparison in benchmarks).
    DeleteRows,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub orgs: usize,
    pub removed: Removed,
    /// Partitions dropped, by name.
    pub dropped: Vec<String>,
}

/// One org's cutoff.
#[derive(Debug, Clone, Copy)]
struct Cutoff {
    org: Uuid,
    day: NaiveDate,
    at: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct OrgRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    timezone: String,
    #[diesel(sql_type = Integer)]
    retention_days: i32,
}

async fn cutoffs(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> Result<Vec<Cutoff>> {
    let rows: Vec<OrgRow> =
        diesel::sql_query("SELECT id, timezone, retention_days FROM orgs ORDER BY id")
            .load(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|o| {
            let tz: Tz = o.timezone.parse().unwrap_or(Tz::UTC);
            let day = first_kept_day(now, tz, o.retention_days);
            Cutoff {
                org: o.id,
                day,
                at: start_of_day(day, tz),
            }
        })
        .collect())
}

/// Applies retention to one org (or every org), then drops the months past
/// every org's retention. `progress` is told the fraction done.
pub async fn pass(
    conn: &mut AsyncPgConnection,
    org: Option<Uuid>,
    now: DateTime<Utc>,
    reclaim: Reclaim,
    progress: &mut (dyn FnMut(f64) + Send),
) -> Result<RetentionReport> {
    let all = cutoffs(conn, now).await?;
    let droppable = match reclaim {
        Reclaim::DropPartitions => droppable_months(conn, &all).await?,
        Reclaim::DeleteRows => Vec::new(),
    };
    let dropped_below = droppable.last().map(|(_, end)| *end);
    let mine: Vec<Cutoff> = all
        .iter()
        .filter(|c| org.is_none_or(|o| o == c.org))
        .copied()
        .collect();
    let mut report = RetentionReport::default();
    for (i, cutoff) in mine.iter().enumerate() {
        let started = std::time::Instant::now();
        forget_days(conn, cutoff).await?;
        let forgot = started.elapsed();
        let removed = remove_old_sessions(conn, cutoff, dropped_below).await?;
        tracing::debug!(org = %cutoff.org, ?forgot, removed = ?started.elapsed() - forgot, "retention: org done");
        report.removed.events += removed.events;
        report.removed.sessions += removed.sessions;
        report.removed.runs += removed.runs;
        report.orgs += 1;
        progress((i + 1) as f64 / (mine.len() + 1) as f64);
    }
    for (name, end) in droppable {
        let started = std::time::Instant::now();
        let dropped = drop_month(conn, &name, end, &all).await?;
        tracing::debug!(partition = %name, took = ?started.elapsed(), "retention: month dropped");
        if dropped {
            report.dropped.push(name);
        }
    }
    Ok(report)
}

/// Deletes the org's rollup days before its cutoff and trims what sessions
/// that began earlier remember of those days, in one transaction.
async fn forget_days(conn: &mut AsyncPgConnection, cutoff: &Cutoff) -> Result<()> {
    let cutoff = *cutoff;
    conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
        removal::share_org(tx, cutoff.org).await?;
        for projector in crate::registry() {
            projector
                .forget_days(tx, cutoff.org, cutoff.day, cutoff.at)
                .await?;
        }
        diesel::sql_query("DELETE FROM event_keys WHERE org_id = $1 AND occurred_at < $2")
            .bind::<SqlUuid, _>(cutoff.org)
            .bind::<Timestamptz, _>(cutoff.at)
            .execute(tx)
            .await?;
        Ok(())
    })
    .await?;
    // After the commit: sharing the row, the transaction could not update it.
    removal::touch_org(conn, cutoff.org).await
}

/// Removes the sessions whose last event is before the cutoff, a few
/// hundred per transaction. Events below `dropped_below` are left to the
/// partition drop.
async fn remove_old_sessions(
    conn: &mut AsyncPgConnection,
    cutoff: &Cutoff,
    dropped_below: Option<DateTime<Utc>>,
) -> Result<Removed> {
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    let old: Vec<Session> = diesel::sql_query(
        "SELECT session_id FROM sessions WHERE org_id = $1 AND last_event_at < $2 ORDER BY session_id",
    )
    .bind::<SqlUuid, _>(cutoff.org)
    .bind::<Timestamptz, _>(cutoff.at)
    .load(conn)
    .await?;
    let old: Vec<String> = old.into_iter().map(|s| s.session_id).collect();
    let mut total = Removed::default();
    let mut affected: BTreeSet<String> = BTreeSet::new();
    let events = Events::Before {
        cutoff: cutoff.at,
        dropped_below,
    };
    for chunk in old.chunks(SESSIONS_PER_TX) {
        let org = cutoff.org;
        let at = cutoff.at;
        let removed = conn
            .transaction::<_, agentmon_core::Error, _>(async |tx| {
                removal::share_org(tx, org).await?;
                let keys: BTreeSet<(Uuid, String)> =
                    chunk.iter().map(|s| (org, s.clone())).collect();
                lock_sessions(tx, &keys).await?;
                // A session may have moved on since it was listed.
                #[derive(diesel::QueryableByName)]
                struct Still {
                    #[diesel(sql_type = Text)]
                    session_id: String,
                    #[diesel(sql_type = Text)]
                    user_id: String,
                }
                let still: Vec<Still> = diesel::sql_query(
                    "SELECT session_id, user_id FROM sessions
                     WHERE org_id = $1 AND session_id = ANY($2) AND last_event_at < $3",
                )
                .bind::<SqlUuid, _>(org)
                .bind::<diesel::sql_types::Array<Text>, _>(chunk)
                .bind::<Timestamptz, _>(at)
                .load(tx)
                .await?;
                let users: BTreeSet<String> = still.iter().map(|s| s.user_id.clone()).collect();
                let still: Vec<String> = still.into_iter().map(|s| s.session_id).collect();
                let removed = removal::remove_sessions(tx, org, &still, events).await?;
                Ok((removed, users))
            })
            .await?;
        removal::touch_org(conn, org).await?;
        total.events += removed.0.events;
        total.sessions += removed.0.sessions;
        total.runs += removed.0.runs;
        affected.extend(removed.1);
    }
    // Once at the end: what their remaining sessions say of them. Users
    // first seen before the cutoff are taken too, so that a pass cut short
    // before this point is completed by the next one.
    #[derive(diesel::QueryableByName)]
    struct Old {
        #[diesel(sql_type = Text)]
        user_id: String,
    }
    let old: Vec<Old> =
        diesel::sql_query("SELECT user_id FROM users WHERE org_id = $1 AND first_seen_at < $2")
            .bind::<SqlUuid, _>(cutoff.org)
            .bind::<Timestamptz, _>(cutoff.at)
            .load(conn)
            .await?;
    affected.extend(old.into_iter().map(|o| o.user_id));
    let affected: Vec<String> = affected.into_iter().collect();
    for users in affected.chunks(USERS_PER_TX) {
        let org = cutoff.org;
        conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
            removal::refresh_users(tx, org, users).await
        })
        .await?;
    }
    Ok(total)
}

/// The months of `events`, oldest first, that lie before every org's
/// cutoff and hold no event of a session kept; stops at the first that
/// does not qualify. Returns (partition, end of month).
async fn droppable_months(
    conn: &mut AsyncPgConnection,
    cutoffs: &[Cutoff],
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let Some(horizon) = cutoffs.iter().map(|c| c.at).min() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, end) in partitions(conn).await? {
        if end > horizon {
            break;
        }
        if holds_kept(conn, cutoffs, end).await? {
            break;
        }
        out.push((name, end));
    }
    Ok(out)
}

/// Whether events before `end` belong to a kept session (one whose last
/// event is at or after its org's cutoff, begun before `end`) or still wait
/// for projection.
async fn holds_kept(
    conn: &mut AsyncPgConnection,
    cutoffs: &[Cutoff],
    end: DateTime<Utc>,
) -> Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        kept: bool,
    }
    let orgs: Vec<Uuid> = cutoffs.iter().map(|c| c.org).collect();
    let ats: Vec<DateTime<Utc>> = cutoffs.iter().map(|c| c.at).collect();
    let kept: Kept = diesel::sql_query(
        "SELECT EXISTS (
           SELECT 1 FROM unnest($1::uuid[], $2::timestamptz[]) AS c(org, cutoff)
           JOIN sessions s ON s.org_id = c.org AND s.started_at < $3 AND s.last_event_at >= c.cutoff
         ) OR EXISTS (SELECT 1 FROM projection_queue WHERE occurred_at < $3) AS kept",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&orgs)
    .bind::<diesel::sql_types::Array<Timestamptz>, _>(&ats)
    .bind::<Timestamptz, _>(end)
    .get_result(conn)
    .await?;
    Ok(kept.kept)
}

/// The monthly partitions of `events` (named `events_YYYYmMM`), oldest
/// first, with the end of their month.
pub async fn partitions(conn: &mut AsyncPgConnection) -> Result<Vec<(String, DateTime<Utc>)>> {
    #[derive(diesel::QueryableByName)]
    struct Part {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let parts: Vec<Part> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = 'events' ORDER BY 1",
    )
    .load(conn)
    .await?;
    Ok(parts
        .into_iter()
        .filter_map(|p| month_end(&p.name).map(|end| (p.name, end)))
        .collect())
}

/// The end of the month a partition named `events_YYYYmMM` holds.
fn month_end(name: &str) -> Option<DateTime<Utc>> {
    let rest = name.strip_prefix("events_")?;
    let (year, month) = rest.split_once('m')?;
    let start = Utc
        .with_ymd_and_hms(year.parse().ok()?, month.parse().ok()?, 1, 0, 0, 0)
        .single()?;
    Some(start + chrono::Months::new(1))
}

/// Drops one month: its queue and dead-letter rows and its partition, in
/// one transaction that gives up (to try next hour) rather than wait long
/// for the lock on `events`.
async fn drop_month(
    conn: &mut AsyncPgConnection,
    name: &str,
    end: DateTime<Utc>,
    cutoffs: &[Cutoff],
) -> Result<bool> {
    let start = end - chrono::Months::new(1);
    debug_assert_eq!(start.day(), 1);
    let name = name.to_string();
    let result = conn
        .transaction::<_, agentmon_core::Error, _>(async |tx| {
            diesel::sql_query("SET LOCAL lock_timeout = '1s'")
                .execute(tx)
                .await?;
            // Once more, now: a session may have become kept since the
            // month was chosen, or events of it may wait for projection.
            if holds_kept(tx, cutoffs, end).await? {
                return Ok(false);
            }
            for table in ["projection_queue", "dead_letters"] {
                diesel::sql_query(format!(
                    "DELETE FROM {table} WHERE occurred_at >= $1 AND occurred_at < $2"
                ))
                .bind::<Timestamptz, _>(start)
                .bind::<Timestamptz, _>(end)
                .execute(tx)
                .await?;
            }
            diesel::sql_query(format!("DROP TABLE IF EXISTS {}", quote_ident(&name)))
                .execute(tx)
                .await?;
            Ok(true)
        })
        .await;
    match result {
        Ok(false) => Ok(false),
        Ok(true) => {
            tracing::info!(partition = %name, "retention: month dropped");
            Ok(true)
        }
        Err(e) if e.is_transient() => {
            tracing::warn!(partition = %name, error = %e, "retention: month busy; dropping it next time");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_name_gives_the_end_of_its_month() {
        let end = month_end("events_2026m12").map(|e| e.to_rfc3339());
        assert_eq!(end.as_deref(), Some("2027-01-01T00:00:00+00:00"));
        assert_eq!(month_end("events_default"), None);
    }
}
