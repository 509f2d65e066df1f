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

mod cutoffs;
mod days;
mod partitions;
mod sessions;

use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::removal::Removed;
use cutoffs::{cutoffs, Cutoff};
use days::forget_days;
use partitions::{drop_month, droppable_months};
use sessions::remove_old_sessions;

pub use partitions::partitions;
pub use sessions::SESSIONS_PER_TX;

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
