//! Org administration shared by the GraphQL mutations and the CLI.

use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::audit;
use agentmon_core::storage::models::job::{self, Kind, NewJob};
use agentmon_core::storage::models::org::{self, NewOrg, Org, OrgChanges};
use agentmon_core::{Error, Result};
use diesel_async::AsyncConnection;

/// Changes an org. A new time zone moves every day boundary and a new
/// retention removes what is now too old: each queues a job (the org's
/// projection waits for a time-zone rebuild, readers keep the old figures
/// until it commits). The audit entry is written in the same transaction.
pub async fn update_org(
    db: &Db,
    actor: &UserPrincipal,
    slug: &str,
    changes: OrgChanges,
) -> Result<(Org, Vec<job::Job>)> {
    changes.validate()?;
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| {
        let before = org::lock_by_slug(tx, slug).await?;
        let after = org::update(tx, before.id, &changes).await?;
        let mut jobs = Vec::new();
        if after.timezone != before.timezone {
            let queued = job::create(tx, NewJob {
                kind: Kind::TimezoneChange,
                org_id: Some(after.id),
                params: serde_json::json!({ "from": before.timezone, "to": after.timezone }),
                created_by: &actor.sub,
                pause_now: true,
            })
            .await?;
            jobs.push(queued);
        }
        if after.retention_days != before.retention_days {
            let queued = job::create(tx, NewJob {
                kind: Kind::Retention,
                org_id: Some(after.id),
                params: serde_json::json!({ "from": before.retention_days, "to": after.retention_days }),
                created_by: &actor.sub,
                pause_now: false,
            })
            .await?;
            jobs.push(queued);
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.id.to_string()).collect();
        let entry = audit::Action {
            action: "ORG_UPDATED",
            target: Some(&after.slug),
            detail: serde_json::json!({
                "name": after.name, "timezone": after.timezone, "status": after.status,
                "retentionDays": after.retention_days, "jobs": ids,
            }),
        };
        audit::record(tx, after.id, actor, entry).await?;
        Ok((after, jobs))
    })
    .await
}

/// Queues a replay of one org (or every org), of one projector (or all),
/// and writes who asked to the audit log. An unknown projector is
/// `BAD_USER_INPUT` naming the known ones.
pub async fn queue_replay(
    db: &Db,
    actor: &UserPrincipal,
    org: Option<&Org>,
    projector: Option<&str>,
) -> Result<job::Job> {
    agentmon_projectors::replay::select(agentmon_projectors::registry(), projector)?;
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| {
        let queued = job::create(
            tx,
            NewJob {
                kind: Kind::Replay,
                org_id: org.map(|o| o.id),
                params: serde_json::json!({ "projector": projector }),
                created_by: &actor.sub,
                pause_now: false,
            },
        )
        .await?;
        let entry = audit::Action {
            action: "REPLAY",
            target: org.map(|o| o.slug.as_str()),
            detail: serde_json::json!({ "projector": projector, "job": queued.id }),
        };
        audit::record(tx, org.map_or(audit::PLATFORM, |o| o.id), actor, entry).await?;
        Ok(queued)
    })
    .await
}

/// Sets the org's breakdown keys, queues the job that breaks existing data
/// down again, and writes the audit entry, in one transaction.
pub async fn set_breakdown_keys(
    db: &Db,
    actor: &UserPrincipal,
    org: &Org,
    keys: &[String],
) -> Result<Org> {
    let mut conn = db.owner().await?;
    conn.transaction::<_, Error, _>(async |tx| {
        agentmon_core::storage::models::breakdown::set_keys(tx, org.id, keys).await?;
        let queued = job::create(
            tx,
            NewJob {
                kind: Kind::Replay,
                org_id: Some(org.id),
                params: serde_json::json!({ "projector": "breakdowns" }),
                created_by: &actor.sub,
                pause_now: false,
            },
        )
        .await?;
        let entry = audit::Action {
            action: "BREAKDOWN_KEYS_SET",
            target: Some(&org.slug),
            detail: serde_json::json!({ "keys": keys, "job": queued.id }),
        };
        audit::record(tx, org.id, actor, entry).await?;
        org::lock_by_slug(tx, &org.slug).await
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
