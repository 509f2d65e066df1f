//! Running the projectors on a folded batch, the step from folds to read
//! models.

use agentmon_core::Result;
use diesel_async::AsyncPgConnection;
use futures::FutureExt;
use uuid::Uuid;

use crate::epochs::touch_orgs;
use crate::projector::{Batch, Changes, Projector};

/// Runs the projectors interested in the batch, then bumps the projection
/// epoch of every org it changed (cache keys carry it). The worker announces
/// the change on the bus after the commit.
pub async fn run_projectors(
    tx: &mut AsyncPgConnection,
    projectors: &[Box<dyn Projector>],
    batch: &Batch,
) -> Result<Changes> {
    let mut changes = Changes::default();
    for projector in projectors {
        if !batch.events.iter().any(|e| projector.interested_in(e)) {
            continue;
        }
        let applied = std::panic::AssertUnwindSafe(projector.apply(tx, batch))
            .catch_unwind()
            .await
            .map_err(|_| {
                agentmon_core::Error::internal(format!("projector {} panicked", projector.name()))
            })?
            .map_err(|e| {
                // A fault of the moment stays one (it spends no attempt);
                // anything else is named after its projector.
                if e.is_transient() {
                    e
                } else {
                    agentmon_core::Error::internal(format!("projector {}: {e}", projector.name()))
                }
            })?;
        changes.merge(applied);
    }
    let orgs: Vec<Uuid> = changes.orgs.iter().copied().collect();
    touch_orgs(tx, &orgs).await?;
    Ok(changes)
}
