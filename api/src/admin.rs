//! Org administration shared by the GraphQL mutations and the CLI.

use agentmon_core::db::Db;
use agentmon_core::models::org::{self, Org, OrgChanges};
use agentmon_core::{Error, Result};
use diesel_async::AsyncConnection;

/// Changes an org. A new time zone moves every day boundary, so the org's
/// read models are rebuilt in the same transaction: readers see either the
/// old figures or the new ones.
pub async fn update_org(db: &Db, slug: &str, changes: OrgChanges) -> Result<Org> {
    changes.validate()?;
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| {
        let before = org::lock_by_slug(tx, slug).await?;
        let after = org::update(tx, before.id, &changes).await?;
        if after.timezone != before.timezone {
            let projectors = agentmon_projectors::registry();
            let (sessions, _) = agentmon_projectors::replay::replay_org(tx, &projectors, after.id).await?;
            tracing::info!(org = %after.slug, from = %before.timezone, to = %after.timezone, sessions,
                "time zone changed; read models rebuilt");
        }
        Ok(after)
    })
    .await
}
