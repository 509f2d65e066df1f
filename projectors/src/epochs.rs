//! Projection epochs: cache keys carry an org's epoch, so bumping it makes
//! every cached figure of the org stale.

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Bumps the org's projection epoch: cached figures of it are stale.
pub(crate) async fn touch_org(tx: &mut AsyncPgConnection, org: Uuid) -> Result<()> {
    prepared("UPDATE orgs SET projection_epoch = projection_epoch + 1 WHERE id = $1")
        .bind::<SqlUuid, _>(org)
        .execute(tx)
        .await?;
    Ok(())
}

/// Bumps the projection epoch of every org a batch changed.
pub(crate) async fn touch_orgs(tx: &mut AsyncPgConnection, orgs: &[Uuid]) -> Result<()> {
    if orgs.is_empty() {
        return Ok(());
    }
    prepared("UPDATE orgs SET projection_epoch = projection_epoch + 1 WHERE id = ANY($1)")
        .bind::<Array<SqlUuid>, _>(orgs)
        .execute(tx)
        .await?;
    Ok(())
}
