//! Org administration shared by the GraphQL mutations and the CLI.

use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::db::Db;
use agentmon_core::models::audit;
use agentmon_core::models::org::{self, NewOrg, Org, OrgChanges};
use agentmon_core::{Error, Result};
use diesel_async::AsyncConnection;

/// Changes an org. A new time zone moves every day boundary, so the org's
/// read models are rebuilt in the same transaction: readers see either the
/// old figures or the new ones. The audit entry is written in it too.
pub async fn update_org(
    db: &Db,
    actor: &UserPrincipal,
    slug: &str,
    changes: OrgChanges,
) -> Result<Org> {
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
        let entry = audit::Action {
            action: "ORG_UPDATED",
            target: Some(&after.slug),
            detail: serde_json::json!({
                "name": after.name, "timezone": after.timezone, "status": after.status,
                "retentionDays": after.retention_days,
            }),
        };
        audit::record(tx, after.id, actor, entry).await?;
        Ok(after)
    })
    .await
}

/// Creates an org and its audit entry in one transaction.
pub async fn create_org(db: &Db, actor: &UserPrincipal, new: &NewOrg) -> Result<Org> {
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| {
        let created = org::create(tx, new).await?;
        let entry = audit::Action {
            action: "ORG_CREATED",
            target: Some(&created.slug),
            detail: serde_json::json!({ "name": created.name, "timezone": created.timezone }),
        };
        audit::record(tx, created.id, actor, entry).await?;
        Ok(created)
    })
    .await
}

/// Who an operator at the command line is, in the audit log.
pub fn operator() -> UserPrincipal {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".into());
    UserPrincipal {
        sub: format!("cli:{user}"),
        role: Role::SuperAdmin,
        org: None,
    }
}
