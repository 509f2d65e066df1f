//! How far projection has come: the events counted into the org rollups,
//! sampled while producers send, and each call's lag from its commit to
//! the moment its events were projected.

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl as _;
use tokio_util::sync::CancellationToken;

#[derive(diesel::QueryableByName)]
struct Sum {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Events projected so far, all orgs: the events counted into `org_daily`.
pub async fn projected_total(db: &agentmon_core::storage::db::Db) -> anyhow::Result<i64> {
    let mut conn = db.owner().await?;
    let sum: Sum =
        diesel::sql_query("SELECT coalesce(sum(event_count), 0)::bigint AS n FROM org_daily")
            .get_result(&mut conn)
            .await?;
    Ok(sum.n)
}

/// Samples [`projected_total`] every 10 ms until `stop`.
pub async fn sample(
    db: agentmon_core::storage::db::Db,
    stop: CancellationToken,
) -> anyhow::Result<Vec<(Instant, i64)>> {
    let mut samples = Vec::new();
    while !stop.is_cancelled() {
        samples.push((Instant::now(), projected_total(&db).await?));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(samples)
}

/// Per call, in ms, from its commit until the first sample after it whose
/// projected total reached the events committed up to and including it
/// (the callers take a last sample once everything is projected). The queue is
/// claimed oldest first, so a call counts as projected once as many events
/// as were committed up to it are (calls committed together may swap).
pub fn lags(commits: &[(i64, Instant)], samples: &[(Instant, i64)]) -> anyhow::Result<Vec<f64>> {
    commits
        .iter()
        .map(|(sent, at)| {
            let (done, _) = samples
                .iter()
                .find(|(when, total)| total >= sent && when >= at)
                .ok_or_else(|| anyhow::anyhow!("{sent} events never projected"))?;
            Ok(done.saturating_duration_since(*at).as_secs_f64() * 1_000.0)
        })
        .collect()
}
