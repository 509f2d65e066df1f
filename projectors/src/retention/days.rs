//! Forgetting the days before an org's cutoff: every projector's day rows,
//! what sessions begun earlier remember of them, and the ledger's keys.

use agentmon_core::Result;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::cutoffs::Cutoff;
use crate::epochs::touch_org;
use crate::locks::share_org;
use crate::registry::registry;

/// Deletes the org's rollup days before its cutoff and trims what sessions
/// that began earlier remember of those days, in one transaction.
pub async fn forget_days(conn: &mut AsyncPgConnection, cutoff: &Cutoff) -> Result<()> {
    let cutoff = *cutoff;
    conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
        share_org(tx, cutoff.org).await?;
        for projector in registry() {
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
    touch_org(conn, cutoff.org).await
}
