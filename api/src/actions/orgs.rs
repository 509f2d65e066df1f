//! Orgs: create one (SUPER_ADMIN, the operator), change one (its name, time
//! zone, status, retention), and the attribute keys its figures are broken
//! down by. A change that moves figures queues the job that moves them.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::breakdown;
use agentmon_core::storage::models::job::{self, Job, Kind, NewJob};
use agentmon_core::storage::models::org::{self, NewOrg, Org, OrgChanges};
use agentmon_core::Result;

use super::{audited, Audit, Scope};

/// Creates an org.
pub async fn create(db: &Db, actor: &UserPrincipal, new: &NewOrg) -> Result<Org> {
    audited!(db, actor, Scope::Platform, |tx| {
        let created = org::create(tx, new).await?;
        let detail = serde_json::json!({ "name": created.name, "timezone": created.timezone });
        let entry = Audit::new("ORG_CREATED", Some(&created.slug), detail).under(Some(created.id));
        (created, entry)
    })
}

/// Changes org `slug`. A new time zone moves every day boundary and a new
/// retention removes what is now too old: each queues a job (the org's
/// projection waits for a time-zone rebuild; readers keep the old figures
/// until it commits). The org as it is now, and the jobs queued.
pub async fn update(
    db: &Db,
    actor: &UserPrincipal,
    slug: &str,
    changes: OrgChanges,
) -> Result<(Org, Vec<Job>)> {
    changes.validate()?;
    audited!(db, actor, Scope::Platform, |tx| {
        let before = org::lock_by_slug(tx, slug).await?;
        let after = org::update(tx, before.id, &changes).await?;
        let mut jobs = Vec::new();
        if after.timezone != before.timezone {
            let params = serde_json::json!({ "from": before.timezone, "to": after.timezone });
            jobs.push(queue(tx, actor, &after, Kind::TimezoneChange, params, true).await?);
        }
        if after.retention_days != before.retention_days {
            let params =
                serde_json::json!({ "from": before.retention_days, "to": after.retention_days });
            jobs.push(queue(tx, actor, &after, Kind::Retention, params, false).await?);
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.id.to_string()).collect();
        let detail = serde_json::json!({
            "name": after.name, "timezone": after.timezone, "status": after.status,
            "retentionDays": after.retention_days, "jobs": ids,
        });
        let entry = Audit::new("ORG_UPDATED", Some(&after.slug), detail).under(Some(after.id));
        ((after, jobs), entry)
    })
}

/// Sets the org's breakdown keys (checked by `breakdown::check_keys`) and
/// queues the replay that breaks existing data down again. The org as it
/// is now.
pub async fn set_breakdown_keys(
    db: &Db,
    actor: &UserPrincipal,
    org: &Org,
    keys: &[String],
) -> Result<Org> {
    audited!(db, actor, Scope::Platform, |tx| {
        breakdown::set_keys(tx, org.id, keys).await?;
        let params = serde_json::json!({ "projector": "breakdowns" });
        let queued = queue(tx, actor, org, Kind::Replay, params, false).await?;
        let detail = serde_json::json!({ "keys": keys, "job": queued.id });
        let entry = Audit::new("BREAKDOWN_KEYS_SET", Some(&org.slug), detail).under(Some(org.id));
        (org::lock_by_slug(tx, &org.slug).await?, entry)
    })
}

/// Queues a job of `kind` for `org`, asked by `actor`.
async fn queue(
    tx: &mut diesel_async::AsyncPgConnection,
    actor: &UserPrincipal,
    org: &Org,
    kind: Kind,
    params: serde_json::Value,
    pause_now: bool,
) -> Result<Job> {
    job::create(
        tx,
        NewJob {
            kind,
            org_id: Some(org.id),
            params,
            created_by: &actor.sub,
            pause_now,
        },
    )
    .await
}
