//! What each kind of job does: a rebuild (replay, time-zone change) or an
//! erasure pauses the org's projection and waits for the batches in flight
//! before it holds the org; a retention pass runs beside projection.

use agentmon_core::storage::models::job::{Job, Kind};
use agentmon_core::{Error, Result};
use diesel::sql_types::{Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::locks::drain_org;
use crate::registry::registry;
use crate::retention::{self, Reclaim};
use crate::{erasure, maintenance, replay};

/// The job's own work; returns what it did, for `jobs.result`. `progress`
/// is told the fraction done.
pub async fn work(
    conn: &mut AsyncPgConnection,
    job: &Job,
    progress: &tokio::sync::watch::Sender<f64>,
) -> Result<serde_json::Value> {
    let mut report = |f: f64| {
        let _ = progress.send(f);
    };
    match job.kind() {
        Some(Kind::Replay) | Some(Kind::TimezoneChange) => {
            let only = job.params.get("projector").and_then(|p| p.as_str());
            let projectors = replay::select(registry(), only)?;
            let orgs = match job.org_id {
                Some(org) => vec![org],
                None => replay::all_orgs(conn).await?,
            };
            let (mut sessions, mut events) = (0, 0);
            let n = orgs.len().max(1) as f64;
            for (i, org) in orgs.iter().enumerate() {
                pause(conn, job.id, Some(*org)).await?;
                drain_org(conn, *org).await?;
                let mut within = |f: f64| report((i as f64 + f) / n);
                let (s, e) = conn
                    .transaction::<_, Error, _>(async |tx| {
                        replay::replay_org(tx, &projectors, *org, &mut within).await
                    })
                    .await?;
                sessions += s;
                events += e;
            }
            pause(conn, job.id, None).await?;
            Ok(serde_json::json!({ "orgs": orgs.len(), "sessions": sessions, "events": events }))
        }
        Some(Kind::Retention) => {
            maintenance::partitions(conn, chrono::Utc::now()).await?;
            let done = retention::pass(
                conn,
                job.org_id,
                chrono::Utc::now(),
                Reclaim::DropPartitions,
                &mut report,
            )
            .await?;
            Ok(serde_json::json!({
                "sessions": done.removed.sessions, "events": done.removed.events,
                "runs": done.removed.runs, "droppedPartitions": done.dropped,
            }))
        }
        Some(Kind::Erasure) => {
            let org = job
                .org_id
                .ok_or_else(|| Error::internal("an erasure job without an org"))?;
            let user = job
                .params
                .get("userId")
                .and_then(|u| u.as_str())
                .ok_or_else(|| Error::internal("an erasure job without a user"))?
                .to_string();
            let id = job.id;
            pause(conn, job.id, Some(org)).await?;
            drain_org(conn, org).await?;
            let removed = conn
                .transaction::<_, Error, _>(async |tx| erasure::erase(tx, org, &user, id).await)
                .await?;
            Ok(serde_json::json!({
                "events": removed.events, "sessions": removed.sessions, "runs": removed.runs,
            }))
        }
        None => Err(Error::internal(format!(
            "no runner knows jobs of kind {}",
            job.kind
        ))),
    }
}

/// Says which org this job holds (its projection waits), or none.
async fn pause(conn: &mut AsyncPgConnection, job: Uuid, org: Option<Uuid>) -> Result<()> {
    diesel::sql_query("UPDATE jobs SET paused_org = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(job)
        .bind::<Nullable<SqlUuid>, _>(org)
        .execute(conn)
        .await?;
    Ok(())
}
